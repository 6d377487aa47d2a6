# frozen_string_literal: true

module Roam
  # A method of a service: its name (as the Rust trait spells it), argument
  # types, return type, and its id (roam_method_id over the signature).
  class MethodDesc
    attr_reader :service, :name, :args, :ret, :args_type, :ret_type

    def initialize(service, name, args, ret)
      @service = service
      @name = name.to_sym
      @args = args.map { |t| Types.resolve(t) }
      @ret = Types.resolve(ret)
      @args_type = Types::Tuple.new(*@args)
      @ret_type = @ret.is_a?(Types::Result) ? @ret.ok : @ret
    end

    def result? = @ret.is_a?(Types::Result)
    def full_name = "#{@service.name}.#{@name}"
    def signature = Types.signature(@args, @ret)

    def id
      @id ||= begin
        sig = signature
        out = FFI::MemoryPointer.new(:uint64)
        s = @service.name.to_s
        m = @name.to_s
        Error.check(Native.roam_method_id(s, s.bytesize, m, m.bytesize, sig, sig.bytesize, out), "roam_method_id")
        out.read_uint64
      end
    end

    def inspect = "#<Roam::MethodDesc #{full_name} 0x#{id.to_s(16).rjust(16, '0')}>"
  end

  # A service declared in Ruby:
  #
  #   Testbed = Roam.service(:Testbed) do
  #     method :echo, [:string] => :string
  #     method :divide, [:i64, :i64] => Roam.result(:i64, MathError)
  #     method :generate, [:u32, Roam.tx(:i32)] => nil
  #   end
  #
  # Testbed.client(conn).echo("hi") calls it (blocking; .async.echo(...)
  # gives a Roam::Call); session.serve(Testbed, impl) serves it with impl's
  # methods of the same names.
  class Service
    attr_reader :name, :rpcs

    def initialize(name)
      @name = name.to_s
      @rpcs = []
      @by_name = {}
    end

    # The declaration DSL (the block of Roam.service).
    class Builder
      def initialize(service) = @service = service

      # method :name, [arg types] => return type (nil: ())
      def method(name, spec = nil)
        raise ArgumentError, "method #{name}: write [arg types] => return type" unless spec.is_a?(Hash) && spec.size == 1

        args, ret = spec.first
        @service._add(name, Array(args), ret)
      end
      alias rpc method
    end

    def _add(name, args, ret)
      d = MethodDesc.new(self, name, args, ret)
      raise ArgumentError, "#{@name}.#{name} is declared twice" if @by_name.key?(d.name)

      @rpcs << d
      @by_name[d.name] = d
      d
    end

    def [](name) = @by_name.fetch(name.to_sym) { raise ArgumentError, "#{@name} has no method #{name}" }

    # method name => id
    def method_ids = @rpcs.to_h { |m| [m.name, m.id] }

    def client(conn) = client_class.new(conn)

    def client_class
      @client_class ||= begin
        svc = self
        Class.new(Client) do
          svc.rpcs.each do |m|
            define_method(m.name) do |*args, timeout: nil, metadata: nil|
              @conn.start(m, args, metadata: metadata).value(timeout: timeout)
            end
          end
          define_singleton_method(:service) { svc }
          const_set(:Async, Class.new(AsyncClient) do
            svc.rpcs.each do |m|
              define_method(m.name) do |*args, metadata: nil|
                @conn.start(m, args, metadata: metadata)
              end
            end
          end)
        end
      end
    end

    def inspect = "#<Roam::Service #{@name} (#{@rpcs.map(&:name).join(', ')})>"
  end

  # A typed client on one connection: one blocking method per service
  # method (keywords timeout: seconds, metadata:).
  class Client
    attr_reader :conn

    def initialize(conn) = @conn = conn

    # The same methods, returning a Roam::Call at once (no waiting).
    def async = self.class::Async.new(@conn)
  end

  class AsyncClient
    attr_reader :conn

    def initialize(conn) = @conn = conn
  end

  def self.service(name, &blk)
    s = Service.new(name)
    Service::Builder.new(s).instance_eval(&blk) if blk
    s.rpcs.each(&:id) # computed (and checked) now
    s
  end
end
