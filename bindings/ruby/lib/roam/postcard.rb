# frozen_string_literal: true

module Roam
  # Postcard through libroam's codec (roam_postcard.h): a growing writer and
  # a reader over bytes in place. The typed layer (Roam::Types) drives them.
  module Postcard
    N = Native

    # The UTF-8 bytes of s: binary Strings are taken as they are (libroam
    # checks them), other encodings converted.
    def self.utf8(s)
      s.encoding == Encoding::BINARY ? s.dup.force_encoding(Encoding::UTF_8) : s.encode(Encoding::UTF_8)
    end

    # A growing roam_postcard_writer. Errors are sticky (checked by #finish).
    class Writer
      attr_reader :ptr
      # While a call's arguments are encoded: what channel arguments need.
      attr_accessor :ctx

      def initialize
        @ptr = FFI::MemoryPointer.new(:uint8, Native::WRITER_SIZE)
        Error.check(N.roam_postcard_writer_init_growing(@ptr, Native::WRITER_SIZE))
        @len = FFI::MemoryPointer.new(:size_t)
        ObjectSpace.define_finalizer(self, self.class.releaser(@ptr))
      end

      def self.releaser(ptr) = proc { N.roam_postcard_writer_free(ptr) }

      def reset
        N.roam_postcard_writer_reset(@ptr)
        @ctx = nil
        self
      end

      # The error so far (0 while none).
      def error = @ptr.get_int(40)

      # Raises if anything failed; else the length written.
      def finish
        rc = N.roam_postcard_writer_finish(@ptr, @len)
        Error.check(rc, "postcard encoding")
        @len.read(:size_t)
      end

      # The bytes written (valid until the next write / reset).
      def buf = @ptr.get_pointer(8)

      def to_s
        n = finish
        n.zero? ? "".b : buf.read_bytes(n)
      end

      # Yields a reset writer from the thread's pool (nested uses get
      # their own).
      def self.using
        pool = (Thread.current[:roam_writers] ||= [])
        w = pool.pop || new
        begin
          yield w.reset
        ensure
          w.ctx = nil
          pool.push(w)
        end
      end

      def str(s)
        s = s.to_s
        s = Postcard.utf8(s) unless s.encoding == Encoding::UTF_8 || s.encoding == Encoding::US_ASCII
        N.roam_postcard_write_str(@ptr, s, s.bytesize)
      end

      def bytes(s) = N.roam_postcard_write_bytes(@ptr, s, s.bytesize)
    end

    # A roam_postcard_reader over a pointer (or a String kept alive here).
    class Reader
      attr_reader :ptr
      attr_accessor :ctx

      def initialize(data, len = nil)
        @ptr = FFI::MemoryPointer.new(:uint8, Native::READER_SIZE)
        if data.is_a?(String)
          @keep = data
          len = data.bytesize
          data = len.zero? ? nil : FFI::MemoryPointer.from_string(data)
          @keep_ptr = data
        end
        Error.check(N.roam_postcard_reader_init(@ptr, Native::READER_SIZE, data, len))
        @out = FFI::MemoryPointer.new(:uint64, 2)
        @out2 = FFI::MemoryPointer.new(:uint64)
      end

      attr_reader :out, :out2

      # Points this reader at other bytes (pointer, length).
      def reinit(data, len)
        @keep = @keep_ptr = nil
        @ctx = nil
        Error.check(N.roam_postcard_reader_init(@ptr, Native::READER_SIZE, len.zero? ? nil : data, len))
        self
      end

      # Yields a reader over (pointer, len) from the thread's pool.
      def self.using(data, len)
        pool = (Thread.current[:roam_readers] ||= [])
        r = pool.pop || new(nil, 0)
        begin
          yield r.reinit(data, len)
        ensure
          r.ctx = nil
          pool.push(r)
        end
      end

      # The value of type in (pointer, len), every byte used: items and
      # answers, decoded where libroam hands them over.
      def self.decode(type, data, len)
        using(data, len) do |r|
          v = type.decode(r)
          r.finish
          v
        end
      end

      def error = @ptr.get_int(32)

      # Raises unless everything read was well-formed and nothing is left.
      def finish
        rc = N.roam_postcard_reader_finish(@ptr)
        raise Error.for(rc, "postcard decoding at byte #{@ptr.get(:size_t, 24)}") if rc != 0
      end

      def check(rc)
        raise Error.for(rc, "postcard decoding at byte #{@ptr.get(:size_t, 24)}") if rc != 0
      end

      def str
        check(N.roam_postcard_read_str(@ptr, @out, @out2))
        n = @out2.read(:size_t)
        n.zero? ? +"" : @out.read_pointer.read_bytes(n).force_encoding(Encoding::UTF_8)
      end

      def bytes
        check(N.roam_postcard_read_bytes(@ptr, @out, @out2))
        n = @out2.read(:size_t)
        n.zero? ? "".b : @out.read_pointer.read_bytes(n)
      end
    end
  end
end
