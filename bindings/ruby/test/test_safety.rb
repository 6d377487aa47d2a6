# frozen_string_literal: true

require_relative "test_helper"

# Exceptions in user code, use after the end, the thread model and GC,
# with a Ruby server and a Ruby client in one runtime over loopback TCP.
class TestSafety < Minitest::Test
  include RoamTestHelpers

  Lab = Roam.service(:Lab) do
    method :explode, [:string] => :string
    method :fine, [:string] => :string
    method :nested, [:string] => :string
    method :twice, [:u32] => :u32
    method :numbers, [:u32, Roam.tx(:u32)] => nil
    method :drain, [Roam.rx(:u32)] => :u32
    method :wrong_type, [:u32] => :string
    method :wrong_later, [:u32] => :string
  end

  class LabImpl
    attr_accessor :client, :replies

    def explode(_s) = raise("kaboom")
    def fine(s) = s

    # blocking inside a handler is refused (Roam::ESTATE), and contained
    def nested(s) = client.fine(s)

    def twice(n, reply:)
      reply.ok(n)
      reply.ok(n) # answered already: Roam::ESTATE, reported
    end

    def numbers(n, out)
      n.times { |i| out << i }
      out.close
      nil
    end

    def wrong_type(n) = n # not a String

    def wrong_later(n, reply:)
      reply.conn.runtime.post { reply.ok(n) } # answered later, with a bad value
    end

    def drain(rx, reply:)
      total = 0
      rx.on_item { |i| total += i }
      rx.on_end { |reason| reason.zero? ? reply.ok(total) : reply.fail }
    end
  end

  def pair
    @impl = LabImpl.new
    @sessions = []
    listener = @rt.listen("tcp://127.0.0.1:0") do |s|
      @sessions << s
      s.serve(Lab, @impl)
    end
    @session = @rt.connect(listener.address)
    @client = Lab.client(@session.wait_handshake(timeout: 10))
    @impl.client = @client
  end

  def test_a_raising_handler_is_contained
    pair
    e = assert_raises(Roam::ECANCELLED) { @client.explode("x") }
    assert_equal Roam::ECANCELLED::CODE, e.code
    assert_equal 1, @errors.size
    assert_equal "kaboom", @errors[0][0].message
    assert_match(/handler Lab.explode/, @errors[0][1])
    # the session goes on
    assert_equal "still here", @client.fine("still here")
    assert @session.established?
  end

  def test_a_result_that_does_not_encode_is_contained
    pair
    assert_raises(Roam::ECANCELLED) { @client.wrong_type(1, timeout: 5) }
    assert_kind_of Roam::EINVAL, @errors.last[0]
    assert_raises(Roam::ECANCELLED) { @client.wrong_later(1, timeout: 5) }
    assert_kind_of Roam::EINVAL, @errors.last[0]
    assert_equal "fine", @client.fine("fine")
  end

  def test_blocking_inside_a_handler_is_refused_and_contained
    pair
    assert_raises(Roam::ECANCELLED) { @client.nested("x") }
    assert_kind_of Roam::ESTATE, @errors.last[0]
    assert_match(/inside one of its callbacks/, @errors.last[0].message)
    assert_equal "ok", @client.fine("ok")
  end

  def test_answering_twice_is_an_error
    pair
    assert_equal 5, @client.twice(5)
    @rt.run_until(0.1) { false }
    assert_kind_of Roam::ESTATE, @errors.last[0]
  end

  def test_an_exception_in_an_item_block_is_contained
    pair
    tx, rx = Roam.channel
    got = []
    rx.on_item do |i|
      raise ArgumentError, "bad item #{i}" if i == 3

      got << i
    end
    ended = nil
    rx.on_end { |reason, _| ended = reason }
    assert_nil @client.numbers(6, tx)
    assert @rt.run_until(10) { ended }
    assert_equal [0, 1, 2, 4, 5], got
    assert_equal 0, ended
    assert_equal 1, @errors.size
    assert_kind_of ArgumentError, @errors[0][0]
    assert_match(/channel item/, @errors[0][1])
    # and in session-level blocks
    @session.on_end { raise "in on_end" }
    assert_equal "x", @client.fine("x")
  end

  def test_using_ended_things_raises
    pair
    call = @client.async.fine("a")
    assert_equal "a", call.value(timeout: 10)
    assert_equal "a", call.value # a finished call keeps its value
    assert_raises(Roam::ENOTFOUND) { call.cancel }

    tx, rx = Roam.channel
    @client.numbers(2, tx)
    assert_equal [0, 1], rx.to_a
    assert_raises(Roam::ECLOSED) { tx.send(1) }
    assert_raises(Roam::ECLOSED) { rx.reset }

    tx, rx = Roam.channel
    call = @client.async.drain(rx)
    tx << 1 << 2
    tx.close
    assert_equal 3, call.value(timeout: 10)
    assert_raises(Roam::ECLOSED) { tx << 3 }
    assert_raises(Roam::ESTATE) { @client.drain(rx) } # a channel end goes in one call

    root = @session.root
    @session.close
    @session.wait_closed
    assert @session.closed?
    assert_raises(Roam::ECLOSED) { @client.fine("x") }
    assert_raises(Roam::ECLOSED) { root.release }
    assert_raises(Roam::ECLOSED) { @session.open }
    assert_raises(Roam::ESHUTDOWN) { @session.wait_handshake }
    @rt.close
    assert_raises(Roam::ECLOSED) { @rt.run_once(0) }
    assert_raises(Roam::ECLOSED) { root.client(Lab).fine("x") }
    @rt = nil
  end

  def test_thread_model
    pair
    e = Thread.new do
      @client.fine("x")
    rescue Roam::Error => err
      err
    end.value
    assert_kind_of Roam::ESTATE, e
    # post runs on the runtime's thread; other threads run while it waits
    ran_on = nil
    Thread.new { @rt.post { ran_on = Thread.current } }.join
    assert @rt.run_until(5) { ran_on }
    assert_same Thread.current, ran_on
    ticks = 0
    t = Thread.new { 50.times { ticks += 1; sleep 0.001 } } # rubocop:disable Style/Semicolon
    tx, rx = Roam.channel
    call = @client.async.drain(rx)
    deadline = @rt.now + 10
    @rt.run_once(0.05) while t.alive? && @rt.now < deadline # the other thread runs while we wait
    assert_equal 50, ticks
    t.join
    tx.close
    assert_equal 0, call.value(timeout: 5)
  end

  def test_gc_pressure_with_calls_in_flight
    pair
    stop = false
    gc = Thread.new { GC.start until stop }
    begin
      3.times do
        calls = Array.new(100) { |i| @client.async.fine("m#{i}") }
        chans = Array.new(10) do |i|
          tx, rx = Roam.channel
          [@client.async.numbers(i + 5, tx), rx]
        end
        GC.start
        assert_equal Array.new(100) { |i| "m#{i}" }, calls.map { |c| c.value(timeout: 20) }
        chans.each_with_index do |(c, rx), i|
          assert_nil c.value(timeout: 20)
          assert_equal (0...(i + 5)).to_a, rx.to_a
        end
      end
    ensure
      stop = true
      gc.join
    end
    GC.stress = true
    begin
      assert_equal "stressed", @client.fine("stressed")
      tx, rx = Roam.channel
      @client.numbers(3, tx)
      assert_equal [0, 1, 2], rx.to_a
    ensure
      GC.stress = false
    end
    assert_empty @errors
  end
end
