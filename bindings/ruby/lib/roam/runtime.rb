# frozen_string_literal: true

module Roam
  # Integer handles for user_data: C gets a number, never a Ruby object's
  # address; an object stays here (so GC keeps it) until its final callback.
  module Handles
    @map = {}
    class << self
      # The handle is the object's object_id: unique among live objects and
      # never reused, so runtimes on several threads need no lock here.
      def put(obj)
        id = obj.object_id
        @map[id] = obj
        id
      end

      def [](id) = @map[id]
      def delete(id) = @map.delete(id)
      def size = @map.size
    end
  end

  # The C-callable trampolines: one FFI::Function each, created once and
  # kept in constants for the life of the process (GC can never free a
  # callback C holds). Each looks its object up by handle and runs Ruby
  # code inside Roam.guard, so no exception ever unwinds into C.
  module Trampolines
    N = Native

    def self.fn(ret, params, &blk) = FFI::Function.new(ret, params, blk)

    HANDSHAKE = fn(:void, %i[uintptr_t uintptr_t int pointer]) do |_s, ud, status, md|
      Roam.guard("handshake callback") { Handles[ud]&._handshake(status, md) }
    end
    SESSION_END = fn(:void, %i[uintptr_t uintptr_t int string]) do |_s, ud, err, reason|
      Roam.guard("session end callback") { Handles[ud]&._ended(err, reason) }
    end
    INBOUND_OPEN = fn(:void, %i[uintptr_t uintptr_t pointer pointer]) do |_s, ud, conn, md|
      Roam.guard("inbound open callback") { Handles[ud]&._inbound_open(conn, md) }
    end
    OPEN_RESULT = fn(:void, %i[uintptr_t uintptr_t pointer int pointer]) do |_s, ud, conn, status, md|
      Roam.guard("open result callback") { Handles[ud]&._open_result(conn, status, md) }
    end
    CONN_CLOSED = fn(:void, %i[uintptr_t uintptr_t pointer int int pointer]) do |_s, ud, conn, origin, reason, md|
      Roam.guard("connection closed callback") { Handles[ud]&._conn_closed(conn, origin, reason, md) }
    end
    SERVE = fn(:void, %i[uintptr_t uintptr_t pointer uint64 uint64 pointer size_t pointer pointer size_t]) do |_s, ud, conn, req, method, chans, nchans, md, args, len|
      sess = Handles[ud]
      if sess
        sess._serve(conn, req, method, chans, nchans, md, args, len)
      else
        N.roam_reply_fail(conn, req, Error::CODES[:EUNKNOWNMETHOD], nil)
      end
    rescue Exception => e # rubocop:disable Lint/RescueException
      Roam.report(e, "serve callback")
      N.roam_reply_release(conn, req)
    end
    SERVE_CANCELLED = fn(:void, %i[uintptr_t uintptr_t pointer uint64]) do |_s, ud, conn, req|
      Roam.guard("serve cancelled callback") { Handles[ud]&._serve_cancelled(conn, req) }
    end
    KEEPALIVE_TIMEOUT = fn(:void, %i[uintptr_t uintptr_t]) do |_s, ud|
      Roam.guard("keepalive timeout callback") { Handles[ud]&._keepalive_timeout }
    end
    WRITABLE = fn(:void, %i[uintptr_t uintptr_t]) do |_s, ud|
      Roam.guard("writable callback") { Handles[ud]&._writable }
    end
    SESSION_CLOSE = fn(:void, %i[uintptr_t uintptr_t]) do |_s, ud|
      Roam.guard("session close callback") { Handles.delete(ud)&._closed }
    end
    # (conn and md as integers: no FFI::Pointer made per response)
    RESPONSE = fn(:void, %i[uintptr_t uintptr_t uint64 int uintptr_t pointer size_t]) do |_c, ud, _id, status, md, val, len|
      Roam.guard("response callback") { Handles.delete(ud)&._complete(status, md, val, len) }
    end
    CHANNEL_ITEM = fn(:void, %i[uintptr_t uint64 uintptr_t pointer size_t]) do |_c, _id, ud, item, len|
      Roam.guard("channel item callback") { Handles[ud]&._item(item, len) }
    end
    CHANNEL_END = fn(:void, %i[uintptr_t uint64 uintptr_t int pointer]) do |_c, _id, ud, reason, md|
      Roam.guard("channel end callback") { Handles.delete(ud)&._end(reason, md) }
    end
    CHANNEL_WRITABLE = fn(:void, %i[uintptr_t uint64 uintptr_t]) do |_c, _id, ud|
      Roam.guard("channel writable callback") { Handles[ud]&._writable }
    end
    ACCEPT = fn(:void, %i[uintptr_t uintptr_t int pointer]) do |_l, ud, status, s|
      Roam.guard("accept callback") do
        l = Handles[ud]
        if l
          l._accept(status, s)
        elsif status.zero?
          N.roam_session_close(s, nil, 0)
        end
      end
    end
    LISTENER_CLOSE = fn(:void, %i[uintptr_t uintptr_t]) do |_l, ud|
      Roam.guard("listener close callback") { Handles.delete(ud)&._closed }
    end

    # The one callbacks table every session gets (copied by libroam).
    TABLE = begin
      pp = FFI::MemoryPointer.new(:pointer)
      Error.check(N.roam_callbacks_new(pp))
      t = pp.read_pointer
      N.roam_callbacks_set_handshake(t, HANDSHAKE)
      N.roam_callbacks_set_session_end(t, SESSION_END)
      N.roam_callbacks_set_inbound_open(t, INBOUND_OPEN)
      N.roam_callbacks_set_open_result(t, OPEN_RESULT)
      N.roam_callbacks_set_conn_closed(t, CONN_CLOSED)
      N.roam_callbacks_set_serve(t, SERVE)
      N.roam_callbacks_set_serve_cancelled(t, SERVE_CANCELLED)
      N.roam_callbacks_set_keepalive_timeout(t, KEEPALIVE_TIMEOUT)
      N.roam_callbacks_set_writable(t, WRITABLE)
      t
    end
  end

  class << self
    # Runs a block of user code called back from C: an exception is kept
    # from unwinding into libroam and reported to the runtime's on_error
    # (Interrupt, SystemExit and the like are re-raised once control is
    # back in Ruby, after the loop turn).
    def guard(what)
      yield
    rescue Exception => e # rubocop:disable Lint/RescueException
      report(e, what)
      nil
    end

    def report(exc, what)
      rt = Thread.current[:roam_runtime]
      if rt
        rt._report(exc, what)
      else
        warn "roam: #{what} raised #{exc.class}: #{exc.message}"
      end
    end

    # Runs the block with a new runtime, closed afterwards.
    def open(**kw)
      rt = Runtime.new(**kw)
      begin
        yield rt
      ensure
        rt.close
      end
    end

    # Two linked channel ends: pass one in a call, keep the other.
    #   tx, rx = Roam.channel   # client.sum(rx): we send on tx
    #   tx, rx = Roam.channel   # client.generate(3, tx): we read rx
    def channel
      st = ChannelState.new
      [Tx.new(st), Rx.new(st)]
    end
  end

  # Session options from keywords (seconds for times).
  module Options
    def self.with_native(role: nil, metadata: nil, keepalive: nil, keepalive_timeout: nil,
                         handshake_timeout: nil, idle_timeout: nil, max_concurrent_requests: nil,
                         max_frame_size: nil)
      pp = FFI::MemoryPointer.new(:pointer)
      Error.check(Native.roam_options_new(pp))
      o = pp.read_pointer
      begin
        if role
          Error.check(Native.roam_options_set_role(o, { initiator: 1, acceptor: 2 }.fetch(role)), "role")
        end
        Metadata.with_native(metadata) { |md| Error.check(Native.roam_options_set_hello_metadata(o, md)) } if metadata
        if keepalive
          Error.check(Native.roam_options_set_keepalive(o, ms(keepalive), keepalive_timeout ? ms(keepalive_timeout) : 0),
                      "keepalive")
        end
        Error.check(Native.roam_options_set_handshake_timeout(o, ms(handshake_timeout))) if handshake_timeout
        Error.check(Native.roam_options_set_idle_timeout(o, ms(idle_timeout))) if idle_timeout
        Error.check(Native.roam_options_set_max_concurrent_requests(o, max_concurrent_requests)) if max_concurrent_requests
        Error.check(Native.roam_options_set_max_frame_size(o, max_frame_size)) if max_frame_size
        yield o
      ensure
        Native.roam_options_free(o)
      end
    end

    def self.ms(seconds) = seconds == :never ? Native::NO_TIMEOUT : (seconds * 1000).round
  end

  # A libuv loop (roam_runtime) and everything on it: sessions, listeners,
  # connections, calls, channels.
  #
  # Thread model: a runtime belongs to the thread that created it. Every
  # method of it and of the objects on it must be called from that thread
  # (others raise Roam::ESTATE), except #post, #wake and #stop. Callbacks
  # (blocks given to on_* methods, handlers of served services) run on that
  # thread, only while the runtime runs: inside #run, #run_once,
  # #run_until, or a blocking call (client.echo("hi"), Call#value,
  # Rx#each, Session#wait_handshake, ...). Waiting is an IO.select on the
  # loop's backend fd, so other Ruby threads run meanwhile. Blocking calls
  # are refused inside callbacks (Roam::ESTATE: use Call#on_done there).
  class Runtime
    attr_reader :thread, :errors
    attr_accessor :on_error

    # on_error: called with (exception, where) when a callback raises
    # (default: a warning on stderr). The exceptions are also kept in #errors.
    def initialize(on_error: nil)
      pp = FFI::MemoryPointer.new(:pointer)
      Error.check(Native.roam_runtime_new(pp), "roam_runtime_new")
      @ptr = pp.read_pointer
      @thread = Thread.current
      @io = IO.for_fd(Native.roam_runtime_backend_fd(@ptr), autoclose: false)
      @tmo = FFI::MemoryPointer.new(:int)
      @posted = Queue.new
      @depth = 0
      @stop = false
      @fatal = nil
      @errors = []
      @on_error = on_error
      @sessions = {}
      @listeners = {}
    end

    def closed? = @ptr.nil?

    # Raises unless called on the runtime's thread with the runtime alive.
    def check!
      raise Roam::ECLOSED.new(Error::CODES[:ECLOSED], "the runtime is closed") if @ptr.nil?
      return if Thread.current == @thread

      raise Roam::ESTATE.new(Error::CODES[:ESTATE], "a runtime is used only from the thread that created it")
    end

    def ptr
      check!
      @ptr
    end

    # True while a callback of this runtime runs (blocking is refused then).
    def in_callback? = @depth.positive?

    # Runs until #stop or until nothing is left to do.
    def run
      @stop = false
      loop do
        more = turn(nil)
        break if @stop || !more
      end
      @stop = false
      nil
    end

    # One loop iteration: waits (up to timeout seconds; nil = until
    # something happens) and runs what is ready. False when nothing is
    # left to do.
    def run_once(timeout = nil) = turn(timeout)

    # Runs until the block returns true (then true) or the timeout in
    # seconds passes (then false).
    def run_until(timeout = nil)
      deadline = timeout && (now + timeout)
      loop do
        return true if yield

        left = deadline && (deadline - now)
        return false if left && left <= 0

        more = turn(left)
        if !more && !yield && @posted.empty?
          raise Roam::ESTATE.new(Error::CODES[:ESTATE], "the runtime has nothing left to run")
        end
      end
    end

    # Any thread: runs the block on the runtime's thread at its next turn.
    def post(&blk)
      raise ArgumentError, "post needs a block" unless blk

      @posted << blk
      Native.roam_runtime_wake(@ptr) if @ptr
      self
    end

    # Any thread: wakes a waiting runtime.
    def wake
      Native.roam_runtime_wake(@ptr) if @ptr
      self
    end

    # Any thread: makes #run return.
    def stop
      @stop = true
      wake
    end

    # Connects (initiator) to "tcp://HOST:PORT" or "unix:PATH". Options:
    # metadata: (hello metadata), keepalive: / keepalive_timeout: (seconds),
    # handshake_timeout:, idle_timeout:, role:, max_concurrent_requests:.
    # The block (if any) configures the session before anything happens.
    def connect(address, **opts)
      check!
      session = Session.new(self)
      yield session if block_given?
      out = FFI::MemoryPointer.new(:pointer)
      rc = Options.with_native(**opts) do |o|
        Native.roam_session_connect(@ptr, address, o, Trampolines::TABLE, session.handle, out)
      end
      if rc.negative?
        session._forget
        Error.check(rc, "connect to #{address}")
      end
      session._attach(out.read_pointer)
      session
    end

    # Listens on address (port 0 picks one); each accepted session is
    # yielded to the block before it reads anything (serve, set handlers).
    def listen(address, **opts, &on_session)
      check!
      Listener.new(self, address, opts, on_session)
    end

    # Closes every session and listener, runs until they are gone, frees
    # the runtime.
    def close
      return if @ptr.nil?

      check!
      @listeners.values.each(&:close)
      @sessions.values.each(&:close)
      deadline = now + 5
      until (@sessions.empty? && @listeners.empty?) || now > deadline
        turn(0.01)
      end
      3.times do
        rc = Native.roam_runtime_free(@ptr)
        if rc.zero?
          @ptr = nil
          break
        end
        turn(0.01)
      end
      @io = nil
      nil
    end

    # -- internal -----------------------------------------------------------

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

    def turn(timeout)
      check!
      if @depth.positive?
        raise Roam::ESTATE.new(Error::CODES[:ESTATE],
                               "cannot run the runtime inside one of its callbacks (use on_done / on_item there)")
      end
      drain_posted
      Native.roam_runtime_backend_timeout(@ptr, @tmo)
      t = @tmo.read_int
      wait = if t.negative? then timeout
             elsif timeout.nil? then t / 1000.0
             else [t / 1000.0, timeout].min
             end
      wait = 0 unless @posted.empty?
      IO.select([@io], nil, nil, wait) if wait.nil? || wait.positive?
      more = run_nowait
      drain_posted
      more
    end

    def run_nowait
      prev = Thread.current[:roam_runtime]
      Thread.current[:roam_runtime] = self
      @depth += 1
      begin
        more = Native.roam_runtime_run_nowait(@ptr)
      ensure
        @depth -= 1
        Thread.current[:roam_runtime] = prev
      end
      if (f = @fatal)
        @fatal = nil
        raise f
      end
      more != 0 || !@sessions.empty? || !@listeners.empty?
    end

    def drain_posted
      until @posted.empty?
        blk = @posted.pop(true) rescue break # rubocop:disable Style/RescueModifier
        prev = Thread.current[:roam_runtime]
        Thread.current[:roam_runtime] = self
        @depth += 1
        begin
          Roam.guard("posted block") { blk.call }
        ensure
          @depth -= 1
          Thread.current[:roam_runtime] = prev
        end
      end
      if (f = @fatal)
        @fatal = nil
        raise f
      end
    end

    def _report(exc, what)
      unless exc.is_a?(StandardError) || exc.is_a?(ScriptError) || exc.is_a?(SystemStackError) || exc.is_a?(NoMemoryError)
        @fatal ||= exc # Interrupt, SystemExit, ...: re-raised after the turn
        return
      end
      @errors << [exc, what]
      @errors.shift if @errors.size > 100
      if @on_error
        begin
          @on_error.call(exc, what)
        rescue Exception => e # rubocop:disable Lint/RescueException
          warn "roam: on_error raised #{e.class}: #{e.message}"
        end
      else
        warn "roam: #{what} raised #{exc.class}: #{exc.message}"
      end
    end

    def _add_session(s) = @sessions[s.handle] = s
    def _remove_session(s) = @sessions.delete(s.handle)
    def _add_listener(l) = @listeners[l.handle] = l
    def _remove_listener(l) = @listeners.delete(l.handle)
    def sessions = @sessions.values
  end

  # A listening socket: every transport it accepts becomes a Session
  # (acceptor), yielded to the listen block.
  class Listener
    attr_reader :runtime, :handle, :address

    def initialize(rt, address, opts, on_session)
      @runtime = rt
      @on_session = on_session
      @handle = Handles.put(self)
      out = FFI::MemoryPointer.new(:pointer)
      rc = Options.with_native(**opts) do |o|
        Native.roam_listener_new(rt.ptr, address, o, Trampolines::TABLE, Trampolines::ACCEPT, @handle, out)
      end
      if rc.negative?
        Handles.delete(@handle)
        Error.check(rc, "listen on #{address}")
      end
      @ptr = out.read_pointer
      rt._add_listener(self)
      buf = FFI::MemoryPointer.new(:char, 512)
      len = FFI::MemoryPointer.new(:size_t)
      len.write(:size_t, 512)
      Error.check(Native.roam_listener_address(@ptr, buf, len))
      @address = buf.read_string(len.read(:size_t))
    end

    def port = @address[/:(\d+)\z/, 1].to_i
    def closed? = @ptr.nil? || @closing

    # Stops accepting (sessions already accepted go on).
    def close
      return if @ptr.nil? || @closing

      @runtime.check!
      @closing = true
      Error.check(Native.roam_listener_close(@ptr, Trampolines::LISTENER_CLOSE, @handle))
    end

    def _accept(status, s)
      if status.negative?
        Roam.report(Error.for(status, "accept"), "listener #{@address}")
        return
      end
      session = Session.new(@runtime)
      session._attach(s)
      Native.roam_session_set_user_data(s, session.handle)
      @on_session&.call(session)
    end

    def _closed
      @ptr = nil
      @runtime._remove_listener(self)
    end
  end

  # Serves typed services: method id => [method descriptor, implementation].
  class Dispatcher
    def initialize = @table = {}

    def add(service, impl)
      service.rpcs.each do |m|
        name = m.name
        raise ArgumentError, "#{impl.class} does not implement #{service.name}.#{name}" unless impl.respond_to?(name)

        params = impl.method(name).parameters
        takes_reply = params.any? { |kind, pname| %i[key keyreq].include?(kind) && pname == :reply }
        @table[m.id] = [m, impl, takes_reply]
      end
      self
    end

    def [](id) = @table[id]
  end

  # One session (one transport). Sessions end by themselves (the peer
  # leaves, an error) or with #close; either way libroam's handle is closed
  # and freed by the binding (the Ruby object then answers ECLOSED).
  class Session
    attr_reader :runtime, :handle, :error, :reason, :peer_metadata, :root, :dispatcher

    def initialize(rt)
      @runtime = rt
      @handle = Handles.put(self)
      @conns = {}
      @dispatcher = Dispatcher.new
      @replies = {}
      @handshake = nil
    end

    def _attach(ptr)
      @ptr = ptr
      @runtime._add_session(self)
    end

    def _forget = Handles.delete(@handle)

    # -- handlers (blocks run on the runtime's thread) ------------------------

    # { |status, peer_metadata| } once the handshake is over.
    def on_handshake(&blk) = @on_handshake = blk
    # { |error, reason| } when the session ends (error 0: orderly).
    def on_end(&blk) = @on_end = blk
    # { |conn, metadata| conn.accept(...) or conn.reject(...) } for each
    # virtual connection the peer opens (without it: rejected).
    def on_inbound_open(&blk) = @on_inbound_open = blk
    # { |conn, origin, reason, metadata| } when any connection closes.
    def on_conn_closed(&blk) = @on_conn_closed = blk
    # { } when the peer missed the keepalive deadline (the session then ends
    # with ROAM_EKEEPALIVE).
    def on_keepalive_timeout(&blk) = @on_keepalive_timeout = blk
    def on_writable(&blk) = @on_writable = blk

    # Serves service (a Roam.service) with impl on every connection of this
    # session (Conn#serve overrides it for one).
    def serve(service, impl)
      @dispatcher.add(service, impl)
      self
    end

    def ptr
      @runtime.check!
      raise Roam::ECLOSED.new(Error::CODES[:ECLOSED], "the session is closed") if @ptr.nil?

      @ptr
    end

    def established? = @handshake&.zero? && !@ended
    def ended? = @ended == true
    def closed? = @ptr.nil?

    # Runs the runtime until the handshake is done; the root connection.
    def wait_handshake(timeout: nil)
      @runtime.run_until(timeout) { !@handshake.nil? || @ended } or
        raise Roam::ETIMEDOUT.new(Error::CODES[:ETIMEDOUT], "no handshake within #{timeout}s")
      raise Error.for(@handshake, "handshake") if @handshake&.negative?
      raise Error.for(@error.nonzero? || Error::CODES[:ECLOSED], "the session ended: #{@reason}") if @ended

      @root
    end

    # Runs the runtime until the session has ended; its error code.
    def wait_end(timeout: nil)
      @runtime.run_until(timeout) { @ended } or
        raise Roam::ETIMEDOUT.new(Error::CODES[:ETIMEDOUT], "the session did not end within #{timeout}s")
      @error
    end

    # Opens a virtual connection (pending until the peer answers: see
    # Conn#wait_open).
    def open(metadata: nil, parity: 0, max_concurrent_requests: 0)
      out = FFI::MemoryPointer.new(:pointer)
      Metadata.with_native(metadata) do |md|
        Error.check(Native.roam_session_open(ptr, parity, max_concurrent_requests, md, 0, out), "roam_session_open")
      end
      conn = Conn.new(self, out.read_pointer, :pending)
      @conns[conn.ptr_address] = conn
      conn
    end

    # Ends the session (if running) and frees it; the end callback runs.
    def close
      return if @ptr.nil? || @closing

      @runtime.check!
      @closing = true
      Error.check(Native.roam_session_close(@ptr, Trampolines::SESSION_CLOSE, @handle), "roam_session_close")
    end

    # Runs the runtime until libroam has let go of the session.
    def wait_closed(timeout: 5)
      @runtime.run_until(timeout) { @ptr.nil? }
    end

    def inspect = "#<Roam::Session #{@ended ? "ended(#{@error})" : 'running'}>"

    # -- internal -------------------------------------------------------------

    def _forget_conn(address) = @conns.delete(address)

    def conn_for(cptr)
      @conns[cptr.address] ||= Conn.new(self, cptr, :open)
    end

    def _handshake(status, md)
      @handshake = status
      if status.zero?
        @peer_metadata = Metadata.read(md)
        rp = FFI::MemoryPointer.new(:pointer)
        if Native.roam_session_root(@ptr, rp).zero?
          @root = conn_for(rp.read_pointer)
          @root._state = :open
        end
      end
      @on_handshake&.call(status, @peer_metadata)
    end

    def _ended(err, reason)
      @ended = true
      @error = err
      @reason = reason
      @root&._gone
      @handshake ||= err.zero? ? Error::CODES[:ECLOSED] : err
      begin
        @on_end&.call(err, reason)
      ensure
        unless @closing
          @closing = true
          Native.roam_session_close(@ptr, Trampolines::SESSION_CLOSE, @handle)
        end
      end
    end

    def _closed
      @ptr = nil
      @ended = true
      @error ||= Error::CODES[:ESHUTDOWN]
      @conns.each_value(&:_gone)
      @conns.clear
      @runtime._remove_session(self)
    end

    def _inbound_open(cptr, md)
      conn = Conn.new(self, cptr, :pending_inbound)
      @conns[cptr.address] = conn
      meta = Metadata.read(md)
      if @on_inbound_open
        begin
          @on_inbound_open.call(conn, meta)
        rescue Exception # rubocop:disable Lint/RescueException
          conn.reject if conn.state == :pending_inbound
          raise
        end
      else
        conn.reject
      end
    end

    def _open_result(cptr, status, md)
      conn = @conns[cptr.address]
      return unless conn

      meta = Metadata.read(md)
      if status.zero?
        conn._opened(meta)
      else
        @conns.delete(cptr.address)
        conn._open_failed(status, meta)
      end
    end

    def _conn_closed(cptr, origin, reason, md)
      conn = @conns.delete(cptr.address)
      return unless conn

      meta = Metadata.read(md)
      origin_sym = %i[local remote session][origin] || origin
      conn._closed(origin_sym, reason, meta)
      @on_conn_closed&.call(conn, origin_sym, reason, meta)
    end

    def _keepalive_timeout = @on_keepalive_timeout&.call
    def _writable = @on_writable&.call

    def _serve(cptr, req, method_id, chans, nchans, _md, args, len)
      conn = conn_for(cptr)
      entry = conn.dispatcher&.[](method_id) || @dispatcher[method_id]
      if entry.nil?
        Native.roam_reply_fail(cptr, req, Error::CODES[:EUNKNOWNMETHOD], nil)
        return
      end
      desc, impl, takes_reply = entry
      ids = nchans.zero? ? [] : chans.read_array_of_uint64(nchans)
      ctx = CallContext.new(conn, ids, true)
      decoded = nil
      Postcard::Reader.using(args, len) do |r|
        r.ctx = ctx
        begin
          decoded = desc.args_type.decode(r)
          r.finish
        rescue Error => e
          ctx.unwind
          Native.roam_reply_fail(cptr, req, Error::CODES[:EINVALIDPAYLOAD], nil)
          Roam.report(e, "decoding the arguments of #{desc.full_name}") if ENV["ROAM_DEBUG"]
          return
        end
      end
      reply = Reply.new(conn, req, desc)
      if takes_reply
        @replies[[cptr.address, req]] = reply
        reply.on_answer { @replies.delete([cptr.address, req]) }
        run_handler(reply, desc) { impl.public_send(desc.name, *decoded, reply: reply) }
      else
        value = nil
        ok = run_handler(reply, desc) { value = impl.public_send(desc.name, *decoded) }
        reply.ok(value) if ok && !reply.answered?
      end
    end

    def run_handler(reply, desc)
      yield
      true
    rescue UserError => e
      if reply.answered? then Roam.report(e, "handler #{desc.full_name} (answered already)")
      elsif desc.result? then reply.err(e.value)
      else
        Roam.report(e, "handler #{desc.full_name} (its method has no error type)")
        reply.release
      end
      false
    rescue Exception => e # rubocop:disable Lint/RescueException
      # The caller gets Cancelled (as roam-core answers a dropped reply);
      # the exception is reported here; the session goes on.
      reply.release unless reply.answered?
      Roam.report(e, "handler #{desc.full_name}")
      false
    end

    def _serve_cancelled(cptr, req)
      reply = @replies.delete([cptr.address, req])
      if reply
        reply._cancelled
      else
        Native.roam_reply_release(cptr, req)
      end
    end
  end

  # A connection: the root (Session#root) or a virtual one.
  class Conn
    attr_reader :session, :state, :metadata, :close_origin, :close_reason, :close_metadata, :dispatcher

    def initialize(session, ptr, state)
      @session = session
      @ptr = ptr
      @address = ptr.address
      @state = state
      idp = FFI::MemoryPointer.new(:uint64)
      @id = Native.roam_conn_id(ptr, idp).zero? ? idp.read_uint64 : nil
    end

    def id = @id
    def ptr_address = @address
    def runtime = @session.runtime
    def root? = @id&.zero?
    def open? = @state == :open
    def closed? = @ptr.nil?

    def ptr
      @session.runtime.check!
      raise Roam::ECLOSED.new(Error::CODES[:ECLOSED], "connection #{@id} is closed") if @ptr.nil?

      @ptr
    end

    def _state=(s)
      @state = s
    end

    # { |origin, reason, metadata| } when this connection closes.
    def on_closed(&blk) = @on_closed = blk
    # { |status, metadata| } when an open we made is answered.
    def on_open(&blk) = @on_open = blk

    # Serves service with impl on this connection only.
    def serve(service, impl)
      (@dispatcher ||= Dispatcher.new).add(service, impl)
      self
    end

    # A typed client for service on this connection.
    def client(service) = service.client(self)

    # Accepts a pending inbound open, with metadata.
    # (conn.accept("accepted-by" => "ruby") works too: string keys are
    # metadata.)
    def accept(metadata = nil, parity: 0, max_concurrent_requests: 0, **entries)
      metadata = Metadata.merge(metadata, entries)
      Metadata.with_native(metadata) do |md|
        Error.check(Native.roam_conn_accept(ptr, parity, max_concurrent_requests, md), "roam_conn_accept")
      end
      @state = :open
      self
    end

    # Rejects a pending inbound open; the connection is gone afterwards.
    def reject(metadata = nil, **entries)
      metadata = Metadata.merge(metadata, entries)
      Metadata.with_native(metadata) { |md| Error.check(Native.roam_conn_reject(ptr, md), "roam_conn_reject") }
      @session._forget_conn(@address)
      @state = :rejected
      @ptr = nil
      self
    end

    # Closes a virtual connection with metadata (the closed callback follows).
    def close(metadata = nil, **entries)
      metadata = Metadata.merge(metadata, entries)
      Metadata.with_native(metadata) { |md| Error.check(Native.roam_conn_close(ptr, md), "roam_conn_close") }
      self
    end

    # "Done with it": the root lets the session end once no virtual
    # connection is left.
    def release
      Error.check(Native.roam_conn_release(ptr), "roam_conn_release")
      self
    end

    # Runs the runtime until an open we made is answered; raises
    # Roam::EREJECTED (#metadata: the peer's) if rejected.
    def wait_open(timeout: nil)
      runtime.run_until(timeout) { @state != :pending } or
        raise Roam::ETIMEDOUT.new(Error::CODES[:ETIMEDOUT], "no answer to the open within #{timeout}s")
      raise @open_error if @open_error

      self
    end

    def wait_closed(timeout: nil)
      runtime.run_until(timeout) { @ptr.nil? } or
        raise Roam::ETIMEDOUT.new(Error::CODES[:ETIMEDOUT], "connection #{@id} not closed within #{timeout}s")
      self
    end

    # Sends a call with postcard args; a Roam::Call (pending). decoder:
    # what turns the answer into a value (nil: raw bytes).
    def start_raw(method_id, payload = "".b, channels: [], metadata: nil, desc: nil)
      c = ptr
      call = Call.new(self, desc)
      h = Handles.put(call)
      idp = Thread.current[:roam_idp] ||= FFI::MemoryPointer.new(:uint64)
      chp = nil
      unless channels.empty?
        chp = FFI::MemoryPointer.new(:uint64, channels.size)
        chp.write_array_of_uint64(channels)
      end
      rc = if metadata
             Metadata.with_native(metadata) do |md|
               Native.roam_conn_call(c, method_id, chp, channels.size, md, payload, payload.bytesize,
                                     Trampolines::RESPONSE, h, idp)
             end
           else
             Native.roam_conn_call(c, method_id, chp, channels.size, nil, payload, payload.bytesize,
                                   Trampolines::RESPONSE, h, idp)
           end
      if rc.negative?
        Handles.delete(h)
        Error.check(rc, "roam_conn_call")
      end
      call._sent(idp.read_uint64)
      call
    end

    # A blocking raw call: the Ok bytes, or raises.
    def call_raw(method_id, payload = "".b, timeout: nil, **kw)
      start_raw(method_id, payload, **kw).value(timeout: timeout)
    end

    # Starts a typed call of method descriptor desc with args: a Roam::Call.
    # Past the peer's limit of calls in flight (ROAM_EAGAIN) the call waits
    # here and goes out when an earlier one completes.
    def start(desc, args, metadata: nil)
      ptr
      call = Call.new(self, desc)
      if @backlog && !@backlog.empty?
        @backlog << [call, args, metadata]
        return call
      end
      unless send_call(call, args, metadata)
        (@backlog ||= []) << [call, args, metadata]
      end
      call
    end

    # Sends a typed call now; false on ROAM_EAGAIN (nothing opened then).
    def send_call(call, args, metadata)
      desc = call.desc
      c = ptr
      ctx = CallContext.new(self, [], false)
      Postcard::Writer.using do |w|
        w.ctx = ctx
        begin
          desc.args_type.encode(w, args)
          len = w.finish
          h = Handles.put(call)
          idp = Thread.current[:roam_idp] ||= FFI::MemoryPointer.new(:uint64)
          chp = nil
          unless ctx.ids.empty?
            chp = FFI::MemoryPointer.new(:uint64, ctx.ids.size)
            chp.write_array_of_uint64(ctx.ids)
          end
          rc = Metadata.with_native(metadata) do |md|
            Native.roam_conn_call(c, desc.id, chp, ctx.ids.size, md, w.buf, len, Trampolines::RESPONSE, h, idp)
          end
          if rc.negative?
            Handles.delete(h)
            if rc == Error::CODES[:EAGAIN]
              ctx.unwind(true)
              return false
            end
            Error.check(rc, "roam_conn_call #{desc.full_name}")
          end
          call._sent(idp.read_uint64)
          ctx.activate
          true
        rescue Exception # rubocop:disable Lint/RescueException
          ctx.unwind
          raise
        end
      end
    end

    def _unqueue(call) = @backlog&.reject! { |c, _, _| c.equal?(call) }

    # A call completed: send what waits.
    def _pump_backlog
      while @backlog && (entry = @backlog.first)
        call, args, metadata = entry
        begin
          break unless send_call(call, args, metadata)
        rescue Error => e
          @backlog.shift
          call._fail(e)
          next
        end
        @backlog.shift
      end
    end

    def _fail_backlog(err)
      return unless @backlog

      waiting = @backlog
      @backlog = nil
      waiting.each { |call, _, _| call._fail(err) }
    end

    def inspect = "#<Roam::Conn #{@id} #{@state}>"

    def _opened(meta)
      @state = :open
      @metadata = meta
      idp = FFI::MemoryPointer.new(:uint64)
      @id = idp.read_uint64 if Native.roam_conn_id(@ptr, idp).zero?
      @on_open&.call(0, meta)
    end

    def _open_failed(status, meta)
      @state = status == Error::CODES[:EREJECTED] ? :rejected : :failed
      @metadata = meta
      @ptr = nil
      @open_error = Error.for(status, status == Error::CODES[:EREJECTED] ? "rejected: #{meta.inspect}" : "open failed")
      md = meta
      @open_error.define_singleton_method(:metadata) { md }
      @on_open&.call(status, meta)
    end

    def _closed(origin, reason, meta)
      @state = :closed
      @ptr = nil
      _fail_backlog(Error.for(Error::CODES[:ECLOSED], "connection #{@id} closed"))
      @close_origin = origin
      @close_reason = reason
      @close_metadata = meta
      @on_closed&.call(origin, reason, meta)
    end

    def _gone
      @ptr = nil
      _fail_backlog(Error.for(Error::CODES[:ECLOSED], "the session ended"))
      @state = :closed unless %i[rejected failed].include?(@state)
    end
  end

  # One call in flight (or finished): #value waits for it.
  class Call
    attr_reader :conn, :id, :status, :metadata

    def initialize(conn, desc)
      @conn = conn
      @desc = desc
      @done = false
    end

    def _sent(id) = @id = id
    def done? = @done

    # { |call| } when it completes (at once if it has).
    def on_done(&blk)
      if @done
        blk.call(self)
      else
        @on_done = blk
      end
      self
    end

    # The result: runs the runtime until the call completes (at most
    # timeout seconds: then it is cancelled and Roam::ETIMEDOUT raised).
    # Raises Roam::UserError (#value: the method's error), or the Roam::Error
    # of its status.
    def value(timeout: nil)
      unless @done
        rt = @conn.runtime
        unless rt.run_until(timeout) { @done }
          @timed_out = true
          cancel
          rt.run_until(5) { @done }
        end
      end
      raise @error if @error

      @value
    end

    # Cancels it (it completes with Roam::ECANCELLED). Raises
    # Roam::ENOTFOUND if it completed already.
    def cancel(metadata = nil)
      raise Roam::ENOTFOUND.new(Error::CODES[:ENOTFOUND], "call #{@id} has completed") if @done
      return _fail(Roam::ECANCELLED.new(Error::CODES[:ECANCELLED], "cancelled before it was sent")) && self if @id.nil? && @conn._unqueue(self)

      Metadata.with_native(metadata) do |md|
        Error.check(Native.roam_call_cancel(@conn.ptr, @id, md), "roam_call_cancel")
      end
      self
    end

    # The error it ended with (nil if Ok or pending).
    def error = @error

    def _complete(status, md, val, len)
      @status = status
      @metadata = Metadata.read(FFI::Pointer.new(md)) if md != 0 && Native.roam_metadata_count_at(md) != 0
      begin
        if status.zero?
          @value = @desc ? Postcard::Reader.decode(@desc.ret_type, val, len) : raw_bytes(val, len)
        elsif status == Error::CODES[:EUSER]
          ev = @desc&.result? ? Postcard::Reader.decode(@desc.ret.err, val, len) : raw_bytes(val, len)
          @error = UserError.new(ev, "#{@desc&.full_name || 'call'} returned the user error #{ev.inspect}")
        elsif @timed_out && status == Error::CODES[:ECANCELLED]
          @error = Roam::ETIMEDOUT.new(Error::CODES[:ETIMEDOUT], "#{@desc&.full_name || 'call'}: deadline passed (cancelled)")
        else
          @error = Error.for(status, @desc ? @desc.full_name : "call #{@id}")
        end
      rescue Error => e
        @error = e
      end
      @done = true
      @conn._pump_backlog unless @conn.closed?
      @on_done&.call(self)
    end

    def _fail(err)
      @error = err
      @status = err.code
      @done = true
      @on_done&.call(self)
    end

    def desc = @desc

    private

    # An untyped call's answer (or error): the bytes as they came.
    def raw_bytes(val, len) = len.zero? ? "".b : val.read_bytes(len)
  end

  # The answer to one served call (handlers that take `reply:`).
  class Reply
    attr_reader :conn, :request_id

    def initialize(conn, req, desc)
      @conn = conn
      @request_id = req
      @desc = desc
    end

    def answered? = @answered == true
    def cancelled? = @cancelled == true
    def on_answer(&blk) = @on_answer = blk
    # { } when the caller cancels (the reply is then released).
    def on_cancel(&blk) = @on_cancel = blk

    # Ok(value).
    def ok(value = nil)
      once do
        Postcard::Writer.using do |w|
          @desc.ret_type.encode(w, value)
          len = w.finish
          Native.roam_reply_ok(@conn.ptr, @request_id, nil, w.buf, len)
        end
      end
    end
    alias call ok

    # Err(User(value)) for a method returning Roam.result(T, E).
    def err(value)
      raise ArgumentError, "#{@desc.full_name} has no error type" unless @desc.result?

      once do
        Postcard::Writer.using do |w|
          @desc.ret.err.encode(w, value)
          len = w.finish
          Native.roam_reply_user_error(@conn.ptr, @request_id, nil, w.buf, len)
        end
      end
    end

    # Err(UnknownMethod / InvalidPayload / Cancelled): code is a ROAM_E* code.
    def fail(code = Error::CODES[:ECANCELLED])
      once { Native.roam_reply_fail(@conn.ptr, @request_id, code, nil) }
    end

    # No answer will come (the caller gets Cancelled).
    def release
      once { Native.roam_reply_release(@conn.ptr, @request_id) }
    end

    def _cancelled
      @cancelled = true
      release unless @answered
      @on_cancel&.call
    end

    private

    def once
      raise Roam::ESTATE.new(Error::CODES[:ESTATE], "request #{@request_id} was answered already") if @answered
      return false if @cancelled || @conn.closed?

      @answered = true
      @on_answer&.call
      begin
        rc = yield
      rescue Exception # rubocop:disable Lint/RescueException
        # the value did not encode: the caller gets Cancelled, not silence
        Native.roam_reply_release(@conn.ptr, @request_id)
        raise
      end
      # The caller gone (cancelled, connection closed) is not our error.
      return false if [Error::CODES[:ECANCELLED], Error::CODES[:ECLOSED], Error::CODES[:ENOTFOUND]].include?(rc)

      Error.check(rc, "answering #{@desc&.full_name}")
      true
    end
  end

  # What channel arguments need while a call's arguments are encoded
  # (caller: opens channels) or decoded (server: binds them).
  class CallContext
    attr_reader :ids

    def initialize(conn, ids, serving)
      @conn = conn
      @ids = ids
      @serving = serving
      @next = 0
      @states = []
    end

    SEND = 1
    RECEIVE = 2

    # Caller: the end given is what the server gets; we hold the other.
    def open_channel(type, end_obj)
      st = end_obj.state
      raise Roam::ESTATE.new(Error::CODES[:ESTATE], "this channel was used in a call already") if st.attached?

      dir = type.kind == :rx ? SEND : RECEIVE
      st.prepare(@conn, type, dir)
      idp = FFI::MemoryPointer.new(:uint64)
      rc = Native.roam_conn_channel_open(@conn.ptr, dir, type.credit, Trampolines::CHANNEL_ITEM,
                                         Trampolines::CHANNEL_END, Trampolines::CHANNEL_WRITABLE, st.handle, idp)
      if rc.negative?
        st.unprepare
        Error.check(rc, "roam_conn_channel_open")
      end
      st.attach(idp.read_uint64)
      @ids << st.id
      @states << st
    end

    # Server: the next channel id of the request, as the end the method takes.
    def bind_channel(type)
      raise Roam::EINVALIDPAYLOAD.new(Error::CODES[:EINVALIDPAYLOAD], "fewer channels than arguments") if @next >= @ids.size

      id = @ids[@next]
      @next += 1
      st = ChannelState.new
      dir = type.kind == :rx ? RECEIVE : SEND
      st.prepare(@conn, type, dir)
      rc = Native.roam_conn_channel_bind(@conn.ptr, id, dir, type.credit, Trampolines::CHANNEL_ITEM,
                                         Trampolines::CHANNEL_END, Trampolines::CHANNEL_WRITABLE, st.handle)
      if rc.negative?
        st.unprepare
        Error.check(rc, "roam_conn_channel_bind")
      end
      st.attach(id)
      st.activate
      @states << st
      type.kind == :rx ? Rx.new(st) : Tx.new(st)
    end

    # The call could not be made: end the channels it opened.
    def activate = @states.each(&:activate)

    # again: the call will be retried (the ends are reused then).
    def unwind(again = false)
      @states.each { |st| again ? st.detach : st.abandon }
    end
  end

  # What the two ends of one channel share.
  class ChannelState
    attr_reader :id, :handle, :conn, :type, :reason, :end_metadata

    def initialize
      @pending = [] # sender: items not taken by libroam yet (Ruby values before attach, bytes after)
      @items = []   # receiver: items no handler took yet
    end

    def attached? = !@id.nil?
    def ended? = @ended == true

    def prepare(conn, type, dir)
      @conn = conn
      @type = type
      @elem = type.elem
      @dir = dir
      @handle = Handles.put(self)
      # Credit goes back in batches of half the channel's credit, as
      # roam-core's receivers grant it.
      @grant_batch = [(type.credit.nonzero? || Native::DEFAULT_CHANNEL_CREDIT) / 2, 1].max
      @ungranted = 0
    end

    def unprepare
      Handles.delete(@handle)
      @conn = @type = nil
    end

    def attach(id)
      @id = id
      return unless @dir == CallContext::RECEIVE

      # We grant credit as the application takes items (see "receiving").
      Error.check(Native.roam_channel_set_manual_credit(@conn.ptr, id, 1), "roam_channel_set_manual_credit")
    end

    # The call went out: items sent before it go now.
    def activate
      @active = true
      return unless @dir == CallContext::SEND

      @pending.map! { |v| Roam.encode(@elem, v) }
      flush
    end

    # Back to unattached: a call that could not go out yet (ROAM_EAGAIN)
    # ends the channels it opened; the ends are opened again when it is
    # retried (nothing was sent on them).
    def detach
      h = @handle
      Handles.delete(h)
      abandon
      @id = nil
      @type = nil
    end

    def abandon
      return if @ended || @id.nil?

      if @dir == CallContext::SEND
        Native.roam_channel_close(@conn.ptr, @id, nil)
      else
        Native.roam_channel_reset(@conn.ptr, @id, nil)
      end
    rescue Error
      nil
    end

    def check_open!(what)
      return unless @ended

      why = @reason.zero? ? "closed" : Error.describe(@reason)
      raise Roam::ECLOSED.new(Error::CODES[:ECLOSED], "#{what}: the channel has ended (#{why})")
    end

    # -- sending ---------------------------------------------------------------

    def send_item(v)
      check_open!("send")
      raise Roam::ESTATE.new(Error::CODES[:ESTATE], "send after close") if @closing
      raise Roam::EINVAL.new(Error::CODES[:EINVAL], "this end receives") if @dir == CallContext::RECEIVE

      unless @active
        @pending << v
        return self
      end
      bytes = Roam.encode(@elem, v)
      if @pending.empty?
        rc = Native.roam_channel_send(@conn.ptr, @id, bytes, bytes.bytesize)
        return self if rc.zero?
        raise Error.for(rc, "roam_channel_send") unless rc == Error::CODES[:EAGAIN]
      end
      @pending << bytes
      self
    end

    def flush
      while (b = @pending.first)
        return if @ended

        rc = Native.roam_channel_send(@conn.ptr, @id, b, b.bytesize)
        break if rc == Error::CODES[:EAGAIN]

        @pending.shift
        next if rc.zero?

        @pending.clear # the receiver is gone
        return
      end
      finish_close if @closing && @pending.empty? && !@close_sent
    end

    def close(md)
      return if @closing

      raise Roam::EINVAL.new(Error::CODES[:EINVAL], "this end receives: use reset") if @dir == CallContext::RECEIVE
      check_open!("close")
      @closing = true
      @close_md = md
      finish_close if @active && @pending.empty?
    end

    def finish_close
      @close_sent = true
      Metadata.with_native(@close_md) do |md|
        Error.check(Native.roam_channel_close(@conn.ptr, @id, md), "roam_channel_close")
      end
    end

    def queued = @pending.size

    def _writable = flush

    # -- receiving --------------------------------------------------------------
    #
    # A receiving channel's credit is granted by hand (#attach turns libroam's
    # automatic grants off): it goes back as the application takes items (an
    # on_item handler, Rx#next / #each), not as libroam hands them over. So
    # however fast the sender, at most the channel's credit of items waits
    # in @items. Items taken but not granted back yet stay under a batch
    # (half the credit), so the sender always has credit while @items is empty.

    # What #receive returns once the channel has closed and every item was taken.
    NO_MORE = Object.new.freeze

    def on_item(&blk)
      @on_item = blk
      blk.call(take_item) until @items.empty?
    end

    def on_end(&blk)
      @on_end = blk
      blk.call(@reason, @end_metadata) if @ended
    end

    # Items received and not taken yet (at most the channel's credit).
    def buffered = @items.size

    # Blocking (runs the runtime): the next item, or NO_MORE once the
    # sender has closed the channel; raises if it ended otherwise.
    def receive
      rt = runtime or raise Roam::ESTATE.new(Error::CODES[:ESTATE], "the channel is not in a call yet")
      rt.run_until { @ended || !@items.empty? } if @items.empty? && !@ended
      return take_item unless @items.empty?
      raise Error.for(@reason, "channel #{@id}") unless @reason.zero?

      NO_MORE
    end

    def take_item
      item = @items.shift
      item_taken
      item
    end

    # One item went to the application: its credit is due back.
    def item_taken
      @ungranted += 1
      return if @ungranted < @grant_batch || @ended || @conn.closed?

      # A grant fails only when the channel or its connection is going
      # away; the end callback that follows says why.
      Native.roam_channel_grant(@conn.ptr, @id, @ungranted)
      @ungranted = 0
    end

    def reset(md)
      raise Roam::EINVAL.new(Error::CODES[:EINVAL], "this end sends: use close") if @dir == CallContext::SEND
      raise Roam::ESTATE.new(Error::CODES[:ESTATE], "the channel is not open yet") unless attached?

      check_open!("reset")
      Metadata.with_native(md) { |m| Error.check(Native.roam_channel_reset(@conn.ptr, @id, m), "roam_channel_reset") }
    end

    def _item(ptr, len)
      v = decode_item(ptr, len)
      if @on_item
        begin
          @on_item.call(v)
        ensure
          item_taken # a handler that raised took the item all the same
        end
      else
        @items << v
      end
    end

    def decode_item(ptr, len)
      Postcard::Reader.decode(@elem, ptr, len)
    rescue Error => e
      # An item that does not decode: stop the channel, report it.
      @decode_error = e
      begin
        Native.roam_channel_reset(@conn.ptr, @id, nil)
      rescue StandardError
        nil
      end
      raise
    end

    def _end(reason, md)
      @ended = true
      @reason = @decode_error ? @decode_error.code : reason
      @end_metadata = Metadata.read(md)
      @pending.clear
      @on_end&.call(@reason, @end_metadata)
    end

    def runtime = @conn&.runtime
  end

  # What both ends of a channel answer: its id and how it ended.
  class ChannelEnd
    attr_reader :state

    def initialize(state) = @state = state

    # { |reason, metadata| } when the channel ends (reason 0: closed by the
    # sender; Roam::ERESET::CODE: reset by the receiver). Non-blocking.
    def on_end(&blk)
      @state.on_end(&blk)
      self
    end

    def id = @state.id
    def ended? = @state.ended?
    def end_reason = @state.reason
  end

  # The sending end of a channel (Roam.channel's first).
  class Tx < ChannelEnd
    # Sends one item; queued in Ruby past libroam's queue, sent as credit
    # comes back. Before the call is made, items wait for it.
    def send(item)
      @state.send_item(item)
      self
    end
    alias << send
    alias push send

    # No more items (after the queued ones).
    def close(metadata = nil, **entries)
      @state.close(Metadata.merge(metadata, entries))
      self
    end

    # Items waiting in Ruby for libroam's queue to take them.
    def queued = @state.queued
  end

  # The receiving end of a channel (Roam.channel's second).
  class Rx < ChannelEnd
    include Enumerable

    # Non-blocking: { |item| } for each item (those that came already first).
    def on_item(&blk)
      @state.on_item(&blk)
      self
    end

    # Blocking (outside callbacks): yields each item until the channel
    # ends; raises if it ended otherwise than closed by the sender. The
    # sender gets credit back only as items are taken here: a call that
    # sends us more than the channel's credit completes only while we read
    # (start it with client.async, read, then take its value).
    def each
      return enum_for(:each) unless block_given?

      until (item = @state.receive).equal?(ChannelState::NO_MORE)
        yield item
      end
      self
    end

    # Blocking (outside callbacks): the next item; StopIteration once the
    # sender has closed the channel, the Roam::Error of its end otherwise.
    def next
      item = @state.receive
      raise StopIteration, "channel #{id} is closed" if item.equal?(ChannelState::NO_MORE)

      item
    end

    # Items received and not taken yet: never more than the channel's credit.
    def buffered = @state.buffered

    # Asks the sender to stop.
    def reset(metadata = nil, **entries)
      @state.reset(Metadata.merge(metadata, entries))
      self
    end
  end
end
