# frozen_string_literal: true

# The Ruby Testbed program (bindings/README.md):
#
#   ruby -I bindings/ruby/lib bindings/ruby/examples/testbed.rb --listen tcp://127.0.0.1:0 [--once]
#   ruby -I bindings/ruby/lib bindings/ruby/examples/testbed.rb --call tcp://HOST:PORT
#   ruby -I bindings/ruby/lib bindings/ruby/examples/testbed.rb bench tcp://HOST:PORT CALLS CONCURRENCY
$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require_relative "testbed_service"

module TestbedProgram
  include TestbedTypes
  LANGUAGE = "ruby"

  # Interop.echo(message: String) -> String, what `roamcat serve` answers.
  Interop = Roam.service(:Interop) do
    method :echo, [:string] => :string
  end

  $stdout.sync = true

  def self.line(text) = puts(text)

  # A session's end that is no failure: orderly, or the peer hanging up.
  def self.clean_end?(error) = [0, Roam::EEOF::CODE].include?(error)

  def self.serving(session, impl)
    session.serve(Testbed, impl)
    session.on_inbound_open { |conn, _md| conn.accept("accepted-by" => LANGUAGE) }
  end

  # ---- --listen ------------------------------------------------------------------

  def self.listen(address, once)
    rt = Roam::Runtime.new
    impl = TestbedImpl.new
    first_end = nil
    listener = rt.listen(address) do |session|
      serving(session, impl)
      session.on_end do |error, reason|
        warn "testbed.rb: session ended: #{error} #{reason}" unless clean_end?(error)
        first_end ||= error
        rt.stop if once
      end
    end
    stop = proc { rt.stop }
    trap("INT", &stop)
    trap("TERM", &stop)
    line "LISTENING #{listener.address}"
    rt.run
    status = 0
    if once
      status = first_end && clean_end?(first_end) ? 0 : 1
      line(status.zero? ? "RESULT ok" : "RESULT fail")
    end
    rt.close
    status
  end

  # ---- --call --------------------------------------------------------------------

  class CheckFailed < StandardError; end

  class Caller
    include TestbedTypes
    def initialize(rt, conn)
      @rt = rt
      @c = Testbed.client(conn)
    end

    attr_reader :c

    def expect_eq(what, got, want)
      raise CheckFailed, "#{what}: expected #{want.inspect}, got #{got.inspect}" unless got == want && got.class == want.class
    end

    def close_to(what, got, want)
      ok = got.is_a?(Float) && (got - want).abs <= 1e-9 * [want.abs, 1.0].max
      raise CheckFailed, "#{what}: expected #{want.inspect}, got #{got.inspect}" unless ok
    end

    # The Ok value of a call, or why not.
    def value(what)
      yield
    rescue Roam::Error => e
      raise CheckFailed, "#{what}: call failed: #{e.message}"
    end

    def user_error(what, want)
      got = yield
      raise CheckFailed, "#{what}: expected the user error #{want.inspect}, got Ok(#{got.inspect})"
    rescue Roam::UserError => e
      raise CheckFailed, "#{what}: expected the user error #{want.inspect}, got #{e.value.inspect}" unless e.value == want
    rescue Roam::Error => e
      raise CheckFailed, "#{what}: expected the user error #{want.inspect}, got #{e.message}"
    end

    def check_echo
      ["hello", "", "héllo wörld ✓ 🦀"].each do |t|
        expect_eq("echo(#{t.inspect})", value("echo") { c.echo(t, timeout: 10) }, t)
      end
      calls = %w[first second third].map { |t| c.async.echo(t) }
      got = calls.map { |call| value("pipelined echo") { call.value(timeout: 10) } }
      expect_eq("pipelined echo", got, %w[first second third])
    end

    def check_reverse
      [%w[hello olleh], ["", ""], ["abc déf ✓", "✓ féd cba"]].each do |t, want|
        expect_eq("reverse(#{t.inspect})", value("reverse") { c.reverse(t, timeout: 10) }, want)
      end
    end

    def check_divide
      expect_eq("divide(84, 2)", value("divide(84, 2)") { c.divide(84, 2, timeout: 10) }, 42)
      expect_eq("divide(-7, 2)", value("divide(-7, 2)") { c.divide(-7, 2, timeout: 10) }, -3)
      user_error("divide(10, 0)", MathError::DivisionByZero) { c.divide(10, 0, timeout: 10) }
      user_error("divide(i64::MIN, -1)", MathError::Overflow) { c.divide(-(2**63), -1, timeout: 10) }
    end

    def check_lookup
      [1, 2, 3].each { |id| expect_eq("lookup(#{id})", value("lookup") { c.lookup(id, timeout: 10) }, PEOPLE[id]) }
      user_error("lookup(99)", LookupError::NotFound) { c.lookup(99, timeout: 10) }
    end

    def sum_of(what, items)
      tx, rx = Roam.channel
      call = c.async.sum(rx)
      items.each { |i| tx << i }
      tx.close
      value(what) { call.value(timeout: 10) }
    end

    def check_sum
      expect_eq("sum(1..=100)", sum_of("sum(1..=100)", (1..100).to_a), 5050)
      expect_eq("sum([])", sum_of("sum([])", []), 0)
      max = 2**31 - 1
      expect_eq("sum([i32::MAX, i32::MAX, -5, 10])", sum_of("sum", [max, max, -5, 10]), 2 * max + 5)
    end

    def check_generate
      [5, 0, 300].each do |count|
        tx, rx = Roam.channel
        # The server sends only as we read (credit comes back as items are
        # taken): read while the call runs, then take its value.
        call = c.async.generate(count, tx)
        items = value("generate(#{count}) items") { rx.to_a }
        value("generate(#{count})") { call.value(timeout: 10) }
        expect_eq("generate(#{count}) items", items, (0...count).to_a)
      end
    end

    def check_transform
      [["hello", "world", "", "ünïcödé ✓", "test"], []].each do |inputs|
        what = inputs.empty? ? "transform([])" : "transform"
        in_tx, in_rx = Roam.channel
        out_tx, out_rx = Roam.channel
        got = []
        out_rx.on_item { |s| got << s }
        call = c.async.transform(in_rx, out_tx)
        inputs.each { |s| in_tx << s }
        in_tx.close
        value(what) { call.value(timeout: 10) }
        @rt.run_until(10) { out_rx.ended? } or raise CheckFailed, "#{what}: the output never closed"
        raise CheckFailed, "#{what}: the output ended with #{out_rx.end_reason}" unless out_rx.end_reason.zero?

        expect_eq("#{what} items", got, inputs)
      end
    end

    def check_echo_point
      [Point.new(3, -4), Point.new(-(2**31), 2**31 - 1)].each do |p|
        expect_eq("echo_point", value("echo_point") { c.echo_point(p, timeout: 10) }, p)
      end
    end

    def check_create_person
      expect_eq("create_person(Dana)", value("create_person") { c.create_person("Dana", 41, "dana@example.com", timeout: 10) },
                Person.new("Dana", 41, "dana@example.com"))
      expect_eq("create_person(Éve)", value("create_person") { c.create_person("Éve", 255, nil, timeout: 10) },
                Person.new("Éve", 255, nil))
    end

    def check_rectangle_area
      r = Rectangle.new(Point.new(1, 2), Point.new(4, 6), "r")
      close_to("rectangle_area((1,2)-(4,6))", value("rectangle_area") { c.rectangle_area(r, timeout: 10) }, 12.0)
      r = Rectangle.new(Point.new(10, 10), Point.new(0, 5), nil)
      close_to("rectangle_area((10,10)-(0,5))", value("rectangle_area") { c.rectangle_area(r, timeout: 10) }, 50.0)
    end

    def check_parse_color
      { "red" => Color::Red, "green" => Color::Green, "blue" => Color::Blue, "Blue" => Color::Blue,
        "purple" => nil, "" => nil }.each do |name, want|
        got = value("parse_color(#{name.inspect})") { c.parse_color(name, timeout: 10) }
        raise CheckFailed, "parse_color(#{name.inspect}): expected #{want.inspect}, got #{got.inspect}" unless got.equal?(want)
      end
    end

    def self.sample_shapes
      [Shape::Circle.new(radius: 2.0), Shape::Rectangle.new(width: 3.0, height: 4.5), Shape::Point]
    end

    def check_shape_area
      Caller.sample_shapes.each do |s|
        what = "shape_area(#{s.inspect})"
        close_to(what, value(what) { c.shape_area(s, timeout: 10) }, TestbedTypes.shape_area_of(s))
      end
    end

    def check_create_canvas
      shapes = Caller.sample_shapes
      expect_eq("create_canvas", value("create_canvas") { c.create_canvas("sketch", shapes, Color::Green, timeout: 10) },
                Canvas.new("sketch", shapes, Color::Green))
      expect_eq("create_canvas(empty)", value("create_canvas") { c.create_canvas("", [], Color::Red, timeout: 10) },
                Canvas.new("", [], Color::Red))
    end

    def check_process_message
      [[Message::Text.new("hi"), Message::Text.new("processed: hi")],
       [Message::Number.new(21), Message::Number.new(42)],
       [Message::Number.new(-300), Message::Number.new(-600)],
       [Message::Data.new([1, 2, 3, 255].pack("C*")), Message::Data.new([255, 3, 2, 1].pack("C*"))],
       [Message::Data.new("".b), Message::Data.new("".b)]].each do |msg, want|
        what = "process_message(#{msg.inspect})"
        expect_eq(what, value(what) { c.process_message(msg, timeout: 10) }, want)
      end
    end

    def check_get_points
      [4, 0, 100].each do |n|
        want = Array.new(n) { |i| Point.new(i, 2 * i) }
        expect_eq("get_points(#{n})", value("get_points(#{n})") { c.get_points(n, timeout: 10) }, want)
      end
    end

    def check_swap_pair
      [[7, "seven"], [-1, ""]].each do |n, s|
        what = "swap_pair((#{n}, #{s.inspect}))"
        expect_eq(what, value(what) { c.swap_pair([n, s], timeout: 10) }, [s, n])
      end
    end
  end

  METHODS = %w[echo reverse divide lookup sum generate transform echo_point create_person rectangle_area
               parse_color shape_area create_canvas process_message get_points swap_pair].freeze

  def self.report(name)
    yield
    line "ok #{name}"
    true
  rescue CheckFailed, Roam::Error => e
    line "FAIL #{name}: #{e.message.tr("\n", ' ')}"
    false
  end

  # The virtual-connection part: open (want=accept), echo, sum, generate, close (bye=ruby).
  def self.check_virtual(session)
    conn = session.open(metadata: { "want" => "accept" })
    conn.wait_open(timeout: 10)
    c = Caller.new(session.runtime, conn)
    c.expect_eq("virtual echo", c.value("virtual echo") { c.c.echo("over a virtual connection", timeout: 10) },
                "over a virtual connection")
    c.expect_eq("virtual sum", c.sum_of("virtual sum", [1, 2, 3, 4]), 10)
    tx, rx = Roam.channel
    c.value("virtual generate") { c.c.generate(7, tx, timeout: 10) }
    c.expect_eq("virtual generate items", c.value("virtual generate items") { rx.to_a }, (0...7).to_a)
    conn.close("bye" => LANGUAGE)
    conn.wait_closed(timeout: 10)
  end

  def self.call(address)
    rt = Roam::Runtime.new
    failed = 0
    begin
      session = rt.connect(address)
      root = session.wait_handshake(timeout: 10)
      caller = Caller.new(rt, root)
      METHODS.each { |m| failed += 1 unless report(m) { caller.public_send("check_#{m}") } }
      failed += 1 unless report("virtual") { check_virtual(session) }
      root.release
      session.wait_end(timeout: 5)
    rescue Roam::Error => e
      warn "testbed.rb: #{e.message}"
      failed += 1
    ensure
      rt.close
    end
    line(failed.zero? ? "RESULT ok" : "RESULT fail")
    failed.zero? ? 0 : 1
  end

  # ---- bench ------------------------------------------------------------------------

  def self.bench(address, calls, concurrency)
    rt = Roam::Runtime.new
    session = rt.connect(address)
    root = session.wait_handshake(timeout: 10)
    echo = Interop[:echo]
    message = "0123456789abcdef"
    started = 0
    done = 0
    failed = nil
    start_one = nil
    on_done = proc do |call|
      done += 1
      failed ||= call.error
      start_one.call if started < calls
    end
    start_one = proc do
      started += 1
      root.start(echo, [message]).on_done(&on_done)
    end
    t0 = rt.now
    [concurrency, calls].min.times { start_one.call }
    rt.run_until { done >= calls || failed }
    seconds = rt.now - t0
    raise failed if failed

    line format("BENCH calls=%d seconds=%.6f", done, seconds)
    root.release
    session.wait_end(timeout: 5) rescue nil # rubocop:disable Style/RescueModifier
    rt.close
    0
  end

  def self.usage
    warn "usage: testbed.rb --listen ADDR [--once] | --call ADDR | bench ADDR CALLS CONCURRENCY"
    64
  end

  def self.main(argv)
    case argv
    in ["--listen", addr] then listen(addr, false)
    in ["--listen", addr, "--once"] then listen(addr, true)
    in ["--call", addr] then call(addr)
    in ["bench", addr, calls, conc] then bench(addr, Integer(calls), Integer(conc))
    else usage
    end
  rescue Roam::Error => e
    warn "testbed.rb: #{e.message}"
    1
  end
end

exit(TestbedProgram.main(ARGV)) if $PROGRAM_NAME == __FILE__
