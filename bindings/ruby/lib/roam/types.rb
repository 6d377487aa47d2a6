# frozen_string_literal: true

require "set"

module Roam
  # The typed layer's types: each knows its postcard encoding (through
  # libroam's codec) and its roam signature (through the roam_sig_* builder).
  #
  #   primitives   :bool :u8 :u16 :u32 :u64 :u128 :i8 :i16 :i32 :i64 :i128
  #                :f32 :f64 :char :string :bytes :unit (Ruby: true/false,
  #                Integer, Float, a one-character String, String (UTF-8),
  #                binary String, nil)
  #   containers   Roam.list(T) (Array), Roam.option(T) (nil or a value),
  #                Roam.map(K, V) (Hash), Roam.set(T) (Set),
  #                Roam.array(T, N) (Array of N), Roam.tuple(A, B, ...) (Array)
  #   declared     Roam.struct / Roam.enum classes (used by name)
  #   methods      Roam.result(T, E), Roam.tx(T), Roam.rx(T)
  module Types
    N = Native

    # Turns a type spec (Symbol, a declared class / module, a Type) into a Type.
    def self.resolve(spec)
      case spec
      when Type then spec
      when Symbol then PRIMITIVES.fetch(spec) { raise ArgumentError, "unknown roam type #{spec.inspect}" }
      when nil then PRIMITIVES[:unit]
      else
        return spec.roam_type if spec.respond_to?(:roam_type)

        raise ArgumentError, "not a roam type: #{spec.inspect}"
      end
    end

    # The names of the declared types being described (for roam_sig_ref).
    def self.sig_stack = (Thread.current[:roam_sig_stack] ||= [])

    def self.invalid(what, v)
      raise Roam::EINVAL.new(Error::CODES[:EINVAL], "expected #{what}, got #{v.inspect[0, 60]}")
    end

    # A composite type's signature: its head (rc, what roam_sig_list & co
    # returned), then its element types' in order, up to the first failure.
    def self.sig_of_elements(b, rc, *types)
      types.each { |t| rc = t.sig(b) if rc.zero? }
      rc
    end

    class Type
      def min_size = 1
      def inspect = "#<roam #{self}>"
    end

    class Int < Type
      attr_reader :name

      def initialize(name, tag, bits, signed)
        @name = name
        @tag = tag
        @min = signed ? -(2**(bits - 1)) : 0
        @max = signed ? 2**(bits - 1) - 1 : 2**bits - 1
        @write = :"roam_postcard_write_#{name}"
        @read = :"roam_postcard_read_#{name}"
        @ffi = { u8: :uint8, u16: :uint16, u32: :uint32, u64: :uint64,
                 i8: :int8, i16: :int16, i32: :int32, i64: :int64 }.fetch(name)
      end

      def encode(w, v)
        Types.invalid(@name, v) unless v.is_a?(Integer) && v >= @min && v <= @max
        N.send(@write, w.ptr, v)
      end

      def decode(r)
        r.check(N.send(@read, r.ptr, r.out))
        r.out.get(@ffi, 0)
      end

      def sig(b) = N.roam_sig_primitive(b, @tag)
      def to_s = @name.to_s
    end

    class Int128 < Type
      def initialize(signed)
        @signed = signed
        @min = signed ? -(2**127) : 0
        @max = signed ? 2**127 - 1 : 2**128 - 1
      end

      def encode(w, v)
        Types.invalid(to_s, v) unless v.is_a?(Integer) && v >= @min && v <= @max
        u = v & (2**128 - 1)
        hi = u >> 64
        lo = u & (2**64 - 1)
        if @signed
          hi -= 2**64 if hi >= 2**63
          N.roam_postcard_write_i128(w.ptr, hi, lo)
        else
          N.roam_postcard_write_u128(w.ptr, hi, lo)
        end
      end

      def decode(r)
        if @signed
          r.check(N.roam_postcard_read_i128(r.ptr, r.out, r.out2))
          (r.out.get_int64(0) << 64) | r.out2.get_uint64(0)
        else
          r.check(N.roam_postcard_read_u128(r.ptr, r.out, r.out2))
          (r.out.get_uint64(0) << 64) | r.out2.get_uint64(0)
        end
      end

      def sig(b) = N.roam_sig_primitive(b, @signed ? 0x0B : 0x06)
      def to_s = @signed ? "i128" : "u128"
    end

    class Float < Type
      def initialize(bits) = @bits = bits

      def encode(w, v)
        Types.invalid(to_s, v) unless v.is_a?(Numeric)
        @bits == 32 ? N.roam_postcard_write_f32(w.ptr, v.to_f) : N.roam_postcard_write_f64(w.ptr, v.to_f)
      end

      def decode(r)
        if @bits == 32
          r.check(N.roam_postcard_read_f32(r.ptr, r.out))
          r.out.get_float32(0)
        else
          r.check(N.roam_postcard_read_f64(r.ptr, r.out))
          r.out.get_float64(0)
        end
      end

      def min_size = @bits / 8
      def sig(b) = N.roam_sig_primitive(b, @bits == 32 ? 0x0C : 0x0D)
      def to_s = "f#{@bits}"
    end

    class Bool < Type
      def encode(w, v)
        Types.invalid("bool", v) unless v == true || v == false
        N.roam_postcard_write_bool(w.ptr, v ? 1 : 0)
      end

      def decode(r)
        r.check(N.roam_postcard_read_bool(r.ptr, r.out))
        r.out.get_int(0) == 1
      end

      def sig(b) = N.roam_sig_primitive(b, 0x01)
      def to_s = "bool"
    end

    class Char < Type
      def encode(w, v)
        Types.invalid("char (a one-character String)", v) unless v.is_a?(String) && v.length == 1
        N.roam_postcard_write_char(w.ptr, v.encode(Encoding::UTF_8).ord)
      end

      def decode(r)
        r.check(N.roam_postcard_read_char(r.ptr, r.out))
        r.out.get_uint32(0).chr(Encoding::UTF_8)
      end

      def sig(b) = N.roam_sig_primitive(b, 0x0E)
      def to_s = "char"
    end

    class Str < Type
      def encode(w, v)
        Types.invalid("String", v) unless v.is_a?(String) || v.is_a?(Symbol)
        w.str(v)
      end

      def decode(r) = r.str
      def sig(b) = N.roam_sig_primitive(b, 0x0F)
      def to_s = "string"
    end

    class Bytes < Type
      def encode(w, v)
        Types.invalid("bytes (a String)", v) unless v.is_a?(String)
        w.bytes(v)
      end

      def decode(r) = r.bytes
      def sig(b) = N.roam_sig_primitive(b, 0x11)
      def to_s = "bytes"
    end

    class Unit < Type
      def encode(w, _v) = w.error
      def decode(_r) = nil
      def min_size = 0
      def sig(b) = N.roam_sig_primitive(b, 0x10)
      def to_s = "unit"
    end

    class List < Type
      attr_reader :elem

      def initialize(elem) = @elem = Types.resolve(elem)

      def encode(w, v)
        Types.invalid("Array of #{@elem}", v) unless v.respond_to?(:each) && v.respond_to?(:size)
        rc = N.roam_postcard_write_len(w.ptr, v.size)
        v.each { |x| rc = @elem.encode(w, x) }
        rc
      end

      def decode(r)
        r.check(N.roam_postcard_read_len(r.ptr, @elem.min_size, r.out))
        Array.new(r.out.get_uint64(0)) { @elem.decode(r) }
      end

      def sig(b) = Types.sig_of_elements(b, N.roam_sig_list(b), @elem)

      def to_s = "list<#{@elem}>"
    end

    class SetOf < List
      def decode(r) = super.to_set

      def sig(b) = Types.sig_of_elements(b, N.roam_sig_set(b), @elem)

      def to_s = "set<#{@elem}>"
    end

    class ArrayOf < List
      def initialize(elem, len)
        super(elem)
        @len = len
      end

      def encode(w, v)
        Types.invalid("Array of #{@len} #{@elem}", v) unless v.respond_to?(:size) && v.size == @len
        rc = 0
        v.each { |x| rc = @elem.encode(w, x) }
        rc
      end

      def decode(r) = Array.new(@len) { @elem.decode(r) }
      def min_size = @elem.min_size * @len

      def sig(b) = Types.sig_of_elements(b, N.roam_sig_array(b, @len), @elem)

      def to_s = "[#{@elem}; #{@len}]"
    end

    class MapOf < Type
      def initialize(key, value)
        @key = Types.resolve(key)
        @value = Types.resolve(value)
      end

      def encode(w, v)
        Types.invalid("Hash", v) unless v.is_a?(Hash)
        rc = N.roam_postcard_write_len(w.ptr, v.size)
        v.each do |k, x|
          @key.encode(w, k)
          rc = @value.encode(w, x)
        end
        rc
      end

      def decode(r)
        r.check(N.roam_postcard_read_len(r.ptr, @key.min_size + @value.min_size, r.out))
        n = r.out.get_uint64(0)
        h = {}
        n.times do
          k = @key.decode(r)
          h[k] = @value.decode(r)
        end
        h
      end

      def sig(b) = Types.sig_of_elements(b, N.roam_sig_map(b), @key, @value)

      def to_s = "map<#{@key}, #{@value}>"
    end

    class Option < Type
      def initialize(elem) = @elem = Types.resolve(elem)

      def encode(w, v)
        return N.roam_postcard_write_option(w.ptr, 0) if v.nil?

        N.roam_postcard_write_option(w.ptr, 1)
        @elem.encode(w, v)
      end

      def decode(r)
        r.check(N.roam_postcard_read_option(r.ptr, r.out))
        r.out.get_int(0).zero? ? nil : @elem.decode(r)
      end

      def sig(b) = Types.sig_of_elements(b, N.roam_sig_option(b), @elem)

      def to_s = "option<#{@elem}>"
    end

    class Tuple < Type
      attr_reader :elems

      def initialize(*elems) = @elems = elems.map { |e| Types.resolve(e) }

      def encode(w, v)
        Types.invalid("Array of #{@elems.size} (a tuple)", v) unless v.is_a?(Array) && v.size == @elems.size
        rc = w.error
        @elems.each_with_index { |t, i| rc = t.encode(w, v[i]) }
        rc
      end

      def decode(r) = @elems.map { |t| t.decode(r) }
      def min_size = @elems.sum(&:min_size)

      def sig(b)
        return N.roam_sig_primitive(b, 0x10) if @elems.empty?

        Types.sig_of_elements(b, N.roam_sig_tuple(b, @elems.size), *@elems)
      end

      def to_s = "(#{@elems.join(', ')})"
    end

    # Result<T, E>: a method's return type (T on success, E raised as
    # Roam::UserError). Hashes as unit, as roam 7.3.0 does.
    class Result < Type
      attr_reader :ok, :err

      def initialize(ok, err)
        @ok = Types.resolve(ok)
        @err = Types.resolve(err)
      end

      def encode(w, v) = @ok.encode(w, v)
      def decode(r) = @ok.decode(r)
      def sig(b) = N.roam_sig_primitive(b, 0x10)
      def to_s = "result<#{@ok}, #{@err}>"
    end

    # Tx<T> / Rx<T> as a method's argument (the server's view, as in the
    # Rust trait): zero bytes; the channel id travels in the call's list.
    class Channel < Type
      attr_reader :kind, :elem, :credit

      def initialize(kind, elem, credit)
        @kind = kind
        @elem = Types.resolve(elem)
        @credit = credit
      end

      def min_size = 0

      # Caller: v is the end the server gets (an Rx for Rx<T>: we send).
      def encode(w, v)
        ctx = w.ctx or raise Roam::ESTATE.new(Error::CODES[:ESTATE], "channels travel only as call arguments")
        want = @kind == :rx ? Roam::Rx : Roam::Tx
        Types.invalid("a #{want} (from Roam.channel)", v) unless v.is_a?(want)
        ctx.open_channel(self, v)
        w.error
      end

      def decode(r)
        ctx = r.ctx or raise Roam::ESTATE.new(Error::CODES[:ESTATE], "channels travel only as call arguments")
        ctx.bind_channel(self)
      end

      def sig(b) = Types.sig_of_elements(b, @kind == :rx ? N.roam_sig_rx(b) : N.roam_sig_tx(b), @elem)

      def to_s = "#{@kind}<#{@elem}>"
    end

    # A Roam.struct class's type.
    class StructType < Type
      attr_reader :name, :klass, :fields

      def initialize(name, klass, fields)
        @name = name
        @klass = klass
        @fields = fields.map { |k, t| [k, Types.resolve(t)] }
      end

      def encode(w, v)
        Types.invalid(@name, v) unless v.is_a?(@klass)
        rc = w.error
        @fields.each { |k, t| rc = t.encode(w, v[k]) }
        rc
      end

      def decode(r) = @klass.new(*@fields.map { |_, t| t.decode(r) })
      def min_size = @fields.sum { |_, t| t.min_size }

      def sig(b)
        Types.named(b, @name) do
          rc = N.roam_sig_struct(b, @name, @name.bytesize, @fields.size)
          @fields.each do |k, t|
            rc = N.roam_sig_field(b, k.to_s, k.to_s.bytesize) if rc.zero?
            rc = t.sig(b) if rc.zero?
          end
          rc
        end
      end

      def to_s = @name
    end

    # A Roam.enum module's type.
    class EnumType < Type
      Variant = Struct.new(:name, :index, :kind, :fields, :klass, :unit)

      attr_reader :name, :variants

      def initialize(name, variants)
        @name = name
        @variants = variants
        @by_class = variants.to_h { |v| [v.klass, v] }
        @by_name = variants.to_h { |v| [v.name.to_sym, v] }
      end

      def variant_of(v)
        x = @by_class[v.class]
        x ||= @by_name[v] if v.is_a?(Symbol)
        Types.invalid("a variant of #{@name}", v) unless x
        x
      end

      def encode(w, v)
        var = variant_of(v)
        rc = N.roam_postcard_write_variant(w.ptr, var.index)
        case var.kind
        when :unit then rc
        when :newtype then var.fields[0][1].encode(w, v.value)
        else
          var.fields.each { |k, t| rc = t.encode(w, v[k]) }
          rc
        end
      end

      def decode(r)
        r.check(N.roam_postcard_read_variant(r.ptr, @variants.size, r.out))
        var = @variants[r.out.get_uint32(0)]
        case var.kind
        when :unit then var.unit
        else var.klass.new(*var.fields.map { |_, t| t.decode(r) })
        end
      end

      def sig(b)
        Types.named(b, @name) do
          rc = N.roam_sig_enum(b, @name, @name.bytesize, @variants.size)
          @variants.each do |v|
            break unless rc.zero?

            n = v.name
            case v.kind
            when :unit then rc = N.roam_sig_variant_unit(b, n, n.bytesize)
            when :newtype
              rc = Types.sig_of_elements(b, N.roam_sig_variant_newtype(b, n, n.bytesize), v.fields[0][1])
            when :tuple
              rc = Types.sig_of_elements(b, N.roam_sig_variant_tuple(b, n, n.bytesize, v.fields.size),
                                         *v.fields.map(&:last))
            else
              rc = N.roam_sig_variant_struct(b, n, n.bytesize, v.fields.size)
              v.fields.each do |k, t|
                rc = N.roam_sig_field(b, k.to_s, k.to_s.bytesize) if rc.zero?
                rc = t.sig(b) if rc.zero?
              end
            end
          end
          rc
        end
      end

      def to_s = @name
    end

    # A declared type met again inside itself is a back-reference.
    def self.named(b, name)
      stack = sig_stack
      return N.roam_sig_ref(b, name, name.bytesize) if stack.include?(name)

      stack.push(name)
      begin
        yield
      ensure
        stack.pop
      end
    end

    PRIMITIVES = {
      bool: Bool.new, u8: Int.new(:u8, 0x02, 8, false), u16: Int.new(:u16, 0x03, 16, false),
      u32: Int.new(:u32, 0x04, 32, false), u64: Int.new(:u64, 0x05, 64, false), u128: Int128.new(false),
      i8: Int.new(:i8, 0x07, 8, true), i16: Int.new(:i16, 0x08, 16, true), i32: Int.new(:i32, 0x09, 32, true),
      i64: Int.new(:i64, 0x0A, 64, true), i128: Int128.new(true), f32: Float.new(32), f64: Float.new(64),
      char: Char.new, string: Str.new, bytes: Bytes.new, unit: Unit.new
    }.freeze
    PRIMITIVES.each_value(&:freeze)

    # The postcard bytes of v as type.
    def self.encode(type, v)
      type = resolve(type)
      Postcard::Writer.using do |w|
        type.encode(w, v)
        w.to_s
      end
    end

    # The value of type in bytes (a String); every byte must be used.
    def self.decode(type, bytes)
      type = resolve(type)
      r = Postcard::Reader.new(bytes)
      v = type.decode(r)
      r.finish
      v
    end

    # The roam signature bytes of args (an Array of types) then ret.
    def self.signature(args, ret)
      bp = FFI::MemoryPointer.new(:pointer)
      Error.check(N.roam_sig_builder_new(bp))
      b = bp.read_pointer
      begin
        Error.check(Tuple.new(*args).sig(b), "describing the arguments")
        Error.check(resolve(ret).sig(b), "describing the return type")
        len = FFI::MemoryPointer.new(:size_t)
        Error.check(N.roam_sig_finish(b, bp, len), "roam_sig_finish")
        bp.read_pointer.read_bytes(len.read(:size_t))
      ensure
        N.roam_sig_builder_free(b)
      end
    end
  end

  # Positional or keyword construction for declared structs and variants.
  module StructInit
    def initialize(*args, **kw)
      if args.empty? && !kw.empty?
        extra = kw.keys - members
        raise ArgumentError, "unknown field(s) #{extra.join(', ')} for #{self.class}" unless extra.empty?

        super(*members.map { |m| kw[m] })
      else
        raise ArgumentError, "pass fields positionally or by keyword, not both" unless kw.empty?

        super(*args)
      end
    end
  end

  # A unit variant's one value (Color::Red).
  class UnitVariant
    attr_reader :name, :index

    def initialize(enum, name, index)
      @enum = enum
      @name = name
      @index = index
      freeze
    end

    def to_sym = @name.to_sym
    def inspect = "#{@enum.name || @enum.roam_type.name}::#{@name}"
    alias to_s inspect
  end

  class << self
    # Point = Roam.struct(:Point, x: :i32, y: :i32): a Struct subclass with
    # typed fields (in order); Point.new(1, 2) or Point.new(x: 1, y: 2).
    def struct(name, **fields)
      type = nil
      klass = Struct.new(*fields.keys) do
        include StructInit
        define_singleton_method(:roam_type) { type }
      end
      type = Types::StructType.new(name.to_s, klass, fields)
      klass
    end

    # Color = Roam.enum(:Color, :Red, :Green, :Blue)        unit variants
    # Shape = Roam.enum(:Shape, Circle: {radius: :f64}, Point: nil)
    # Message = Roam.enum(:Message, Text: :string, Pair: [:i32, :string])
    #   nil: a unit variant (Shape::Point, a value); a Hash: a struct
    #   variant (Shape::Circle.new(radius: 1.0)); an Array: a tuple variant;
    #   a type: a newtype variant (Message::Text.new("hi").value).
    # Every variant is_a?(the enum module); Shape::Point == Shape::Point.
    def enum(name, *unit_names, **variants)
      mod = Module.new
      specs = unit_names.map { |n| [n, nil] } + variants.to_a
      vars = specs.each_with_index.map do |(vname, spec), i|
        vname = vname.to_s
        var = Types::EnumType::Variant.new(vname, i)
        case spec
        when nil
          klass = Class.new(UnitVariant) { include mod }
          var.kind = :unit
          var.fields = []
          var.unit = klass.new(mod, vname, i)
          mod.const_set(vname, var.unit)
        when Hash
          var.kind = :struct
          var.fields = spec.map { |k, t| [k.to_sym, Types.resolve(t)] }
          klass = Struct.new(*spec.keys.map(&:to_sym)) { include StructInit }
        when Array
          var.kind = :tuple
          var.fields = spec.each_with_index.map { |t, j| [:"_#{j}", Types.resolve(t)] }
          klass = Struct.new(*var.fields.map(&:first)) { include StructInit }
        else
          var.kind = :newtype
          var.fields = [[:value, Types.resolve(spec)]]
          klass = Struct.new(:value) { include StructInit }
        end
        unless spec.nil?
          klass.include(mod)
          vn = vname
          klass.define_singleton_method(:variant_name) { vn }
          mod.const_set(vname, klass)
        end
        var.klass = klass
        var
      end
      type = Types::EnumType.new(name.to_s, vars)
      mod.define_singleton_method(:roam_type) { type }
      mod.define_singleton_method(:variants) { vars.map { |v| v.unit || v.klass } }
      mod.define_singleton_method(:[]) { |n| mod.const_get(n.to_s) }
      mod
    end

    def list(t) = Types::List.new(t)
    def option(t) = Types::Option.new(t)
    def set(t) = Types::SetOf.new(t)
    def map(k, v) = Types::MapOf.new(k, v)
    def array(t, n) = Types::ArrayOf.new(t, n)
    def tuple(*ts) = Types::Tuple.new(*ts)
    def result(ok, err) = Types::Result.new(ok, err)
    # Tx<T, credit> / Rx<T, credit> as method arguments (credit 0 = 16).
    def tx(t, credit: 0) = Types::Channel.new(:tx, t, credit)
    def rx(t, credit: 0) = Types::Channel.new(:rx, t, credit)

    # Postcard bytes of value as type, and back.
    def encode(type, value) = Types.encode(type, value)
    def decode(type, bytes) = Types.decode(type, bytes)
  end
end
