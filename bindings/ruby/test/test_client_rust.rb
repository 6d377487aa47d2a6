# frozen_string_literal: true

require_relative "test_helper"

# The typed Testbed client against the Rust peer's serve-testbed.
class TestClientRust < Minitest::Test
  include RoamTestHelpers

  def connect_peer
    @peer, addr = start_peer("serve-testbed", "tcp:127.0.0.1:0")
    @session = @rt.connect(addr)
    @root = @session.wait_handshake(timeout: 10)
    assert_equal "roam-rust", @session.peer_metadata["peer"]
    @c = Testbed.client(@root)
  end

  def test_all_sixteen_methods
    connect_peer
    c = @c
    assert_equal "héllo ✓ 🦀", c.echo("héllo ✓ 🦀")
    assert_equal "", c.echo("")
    assert_equal "✓ féd cba", c.reverse("abc déf ✓")
    assert_equal 42, c.divide(84, 2)
    assert_equal(-3, c.divide(-7, 2))
    assert_equal Person.new("Alice", 30, "alice@example.com"), c.lookup(1)
    assert_equal Person.new("Bob", 25, nil), c.lookup(2)

    tx, rx = Roam.channel
    (1..100).each { |i| tx << i }
    tx.close
    assert_equal 5050, c.sum(rx)

    # more items than the channel's credit: read them while the call runs
    tx, rx = Roam.channel
    call = c.async.generate(300, tx)
    assert_equal (0...300).to_a, rx.to_a
    assert_nil call.value(timeout: 10)

    in_tx, in_rx = Roam.channel
    out_tx, out_rx = Roam.channel
    call = c.async.transform(in_rx, out_tx)
    %w[a b c].each { |s| in_tx << s }
    in_tx.close
    assert_nil call.value(timeout: 10)
    assert_equal %w[a b c], out_rx.to_a

    assert_equal Point.new(-(2**31), 2**31 - 1), c.echo_point(Point.new(-(2**31), 2**31 - 1))
    assert_equal Person.new("Éve", 255, nil), c.create_person("Éve", 255, nil)
    assert_in_delta 50.0, c.rectangle_area(Rectangle.new(Point.new(10, 10), Point.new(0, 5), nil))
    assert_same Color::Blue, c.parse_color("Blue")
    assert_nil c.parse_color("purple")
    assert_in_delta Math::PI * 4, c.shape_area(Shape::Circle.new(radius: 2.0))
    assert_in_delta 0.0, c.shape_area(Shape::Point)
    shapes = [Shape::Circle.new(2.0), Shape::Rectangle.new(3.0, 4.5), Shape::Point]
    assert_equal Canvas.new("sketch", shapes, Color::Green), c.create_canvas("sketch", shapes, Color::Green)
    assert_equal Message::Text.new("processed: hi"), c.process_message(Message::Text.new("hi"))
    assert_equal Message::Number.new(-600), c.process_message(Message::Number.new(-300))
    assert_equal Message::Data.new("\x03\x02\x01".b), c.process_message(Message::Data.new("\x01\x02\x03".b))
    assert_equal [Point.new(0, 0), Point.new(1, 2)], c.get_points(2)
    assert_equal ["seven", 7], c.swap_pair([7, "seven"])
    assert_empty @errors
  end

  def test_user_errors
    connect_peer
    e = assert_raises(Roam::UserError) { @c.divide(10, 0) }
    assert_same MathError::DivisionByZero, e.value
    assert_equal Roam::EUSER::CODE, e.code
    assert_equal :EUSER, e.name
    e = assert_raises(Roam::Error) { @c.divide(-(2**63), -1) }
    assert_same MathError::Overflow, e.value
    e = assert_raises(Roam::UserError) { @c.lookup(99) }
    assert_same LookupError::NotFound, e.value
    assert_equal "still fine", @c.echo("still fine")
  end

  def test_unknown_method_and_bad_payload
    connect_peer
    wrong = Testbed[:echo].id ^ 1
    e = assert_raises(Roam::EUNKNOWNMETHOD) { @root.call_raw(wrong, Roam.encode(:string, "x"), timeout: 10) }
    assert_equal Roam::Error::CODES[:EUNKNOWNMETHOD], e.code
    assert_raises(Roam::EINVALIDPAYLOAD) { @root.call_raw(Testbed[:echo].id, "\x05ab".b, timeout: 10) }
    # the raw form with a good payload
    assert_equal Roam.encode(:string, "raw"), @root.call_raw(Testbed[:echo].id, Roam.encode(:string, "raw"), timeout: 10)
  end

  def test_cancel_and_deadline
    connect_peer
    call = @c.async.echo("never mind")
    call.cancel
    assert_raises(Roam::ECANCELLED) { call.value }
    assert_raises(Roam::ENOTFOUND) { call.cancel } # finished: a clean error

    # sum never answers while its channel stays open: the deadline cancels it
    tx, rx = Roam.channel
    tx << 1
    t0 = @rt.now
    e = assert_raises(Roam::ETIMEDOUT) { @c.sum(rx, timeout: 0.3) }
    assert_operator @rt.now - t0, :>=, 0.29
    assert_match(/deadline/, e.message)
    assert_equal "after", @c.echo("after", timeout: 10)
  end

  def test_channels_both_directions_with_credit
    connect_peer
    # more items than the credit (16) and libroam's queue (64): the rest
    # waits in Ruby and goes out as credit comes back
    tx, rx = Roam.channel
    call = @c.async.sum(rx)
    (1..1000).each { |i| tx << i }
    assert_operator tx.queued, :>, 0
    tx.close
    assert_equal 500_500, call.value(timeout: 20)

    tx, rx = Roam.channel
    got = []
    rx.on_item { |i| got << i }
    ended = nil
    rx.on_end { |reason, _md| ended = reason }
    @c.generate(1000, tx, timeout: 20)
    @rt.run_until(10) { !ended.nil? }
    assert_equal 0, ended
    assert_equal (0...1000).to_a, got
    assert_raises(Roam::ECLOSED) { rx.reset }
  end

  def test_metadata_on_calls
    connect_peer
    call = @c.async.echo("md", metadata: { "trace" => "abc", "n" => 7, "raw" => "\x00\x01".b })
    assert_equal "md", call.value(timeout: 10)
  end
end
