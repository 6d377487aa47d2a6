# frozen_string_literal: true

module Roam
  # An ordered list of (key, value, flags) entries, as roam carries them.
  # Values are a String (UTF-8 text), Roam::Bytes-tagged binary String
  # (Encoding::BINARY) or an Integer (u64). Build one from a Hash:
  # Roam::Metadata.new("want" => "accept", "n" => 5).
  class Metadata
    include Enumerable
    Entry = Struct.new(:key, :value, :flags)
    SENSITIVE = 1
    NO_PROPAGATE = 2

    attr_reader :entries

    def initialize(hash = nil)
      @entries = []
      hash&.each { |k, v| add(k, v) }
    end

    def self.from(x)
      case x
      when nil then nil
      when Metadata then x
      when Hash then new(x)
      else raise ArgumentError, "metadata must be a Hash or Roam::Metadata, not #{x.class}"
      end
    end

    # metadata plus entries (a Hash of more entries, from keywords).
    def self.merge(metadata, entries)
      return from(metadata) if entries.nil? || entries.empty?

      out = new
      from(metadata)&.each { |e| out.add(e.key, e.value, e.flags) }
      entries.each { |k, v| out.add(k, v) }
      out
    end

    def add(key, value, flags = 0)
      unless value.is_a?(String) || (value.is_a?(Integer) && value >= 0 && value < 2**64)
        raise ArgumentError, "metadata value must be a String or a u64 Integer"
      end
      @entries << Entry.new(key.to_s, value, flags)
      self
    end

    def each(&blk) = @entries.each(&blk)
    def size = @entries.size
    def empty? = @entries.empty?

    # The first value for key (nil if none).
    def [](key)
      key = key.to_s
      e = @entries.find { |x| x.key == key }
      e&.value
    end

    def to_h = @entries.each_with_object({}) { |e, h| h[e.key] = e.value unless h.key?(e.key) }
    def ==(other) = other.is_a?(Metadata) && other.entries == entries
    def inspect = "#<Roam::Metadata #{@entries.map { |e| "#{e.key}=#{e.value.inspect}" }.join(', ')}>"
    alias to_s inspect

    # An owned roam_metadata with these entries; yields it, frees it after.
    def self.with_native(md)
      md = from(md)
      return yield(nil) if md.nil?

      pp = FFI::MemoryPointer.new(:pointer)
      Error.check(Native.roam_metadata_new(pp), "roam_metadata_new")
      ptr = pp.read_pointer
      begin
        md.entries.each do |e|
          k = e.key.b
          rc = if e.value.is_a?(Integer)
                 Native.roam_metadata_add_u64(ptr, k, k.bytesize, e.value, e.flags)
               elsif e.value.encoding == Encoding::BINARY
                 Native.roam_metadata_add_bytes(ptr, k, k.bytesize, e.value, e.value.bytesize, e.flags)
               else
                 v = Postcard.utf8(e.value)
                 Native.roam_metadata_add_string(ptr, k, k.bytesize, v, v.bytesize, e.flags)
               end
          Error.check(rc, "metadata entry #{e.key}")
        end
        yield ptr
      ensure
        Native.roam_metadata_free(ptr)
      end
    end

    # A Ruby copy of a roam_metadata (a callback's view), nil for NULL.
    def self.read(ptr)
      return nil if ptr.nil? || ptr.null?

      out = new
      n = Native.roam_metadata_count(ptr)
      return out if n.zero?

      key = FFI::MemoryPointer.new(:pointer)
      key_len = FFI::MemoryPointer.new(:size_t)
      kind = FFI::MemoryPointer.new(:int)
      val = FFI::MemoryPointer.new(:pointer)
      val_len = FFI::MemoryPointer.new(:size_t)
      u64 = FFI::MemoryPointer.new(:uint64)
      flags = FFI::MemoryPointer.new(:uint64)
      n.times do |i|
        next if Native.roam_metadata_get(ptr, i, key, key_len, kind, val, val_len, u64, flags) != 0

        k = key.read_pointer.read_bytes(key_len.read(:size_t)).force_encoding(Encoding::UTF_8)
        vl = val_len.read(:size_t)
        v = case kind.read_int
            when 0 then (vl.zero? ? +"" : val.read_pointer.read_bytes(vl)).force_encoding(Encoding::UTF_8)
            when 1 then vl.zero? ? "".b : val.read_pointer.read_bytes(vl)
            else u64.read_uint64
            end
        out.add(k, v, flags.read_uint64)
      end
      out
    end
  end
end
