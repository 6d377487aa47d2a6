# frozen_string_literal: true

require_relative "test_helper"

# Receiving is bounded by the channel's credit: the sender gets credit back
# only as the application takes items, so a fast sender to a slow reader
# waits on its own side instead of filling the reader's memory.
class TestFlowControl < Minitest::Test
  include RoamTestHelpers

  Numbers = Roam.service(:FlowNumbers) do
    method :numbers, [:u32, Roam.tx(:u32)] => nil                  # credit 16
    method :few_numbers, [:u32, Roam.tx(:u32, credit: 4)] => nil
  end

  # Sends everything at once (Tx#<< never blocks: what credit does not
  # cover waits in the server's Tx#queued).
  class NumbersImpl
    attr_reader :outputs

    def initialize = @outputs = []

    def numbers(count, output) = send_all(count, output)
    def few_numbers(count, output) = send_all(count, output)

    private

    def send_all(count, output)
      @outputs << output
      count.times { |i| output << i }
      output.close
      nil
    end
  end

  # Reads rx, pausing after each of the first `slow` items so that the
  # sender could run ahead; the items and the most ever buffered here.
  def read_slowly(rx, slow: 100)
    most = 0
    items = rx.each_with_object([]) do |item, got|
      got << item
      @rt.run_until(0.002) { false } if got.size <= slow
      most = [most, rx.buffered].max
      yield if block_given?
    end
    [items, most]
  end

  def numbers_client
    impl = NumbersImpl.new
    listener = @rt.listen("tcp://127.0.0.1:0") { |s| s.serve(Numbers, impl) }
    [Numbers.client(@rt.connect(listener.address).wait_handshake(timeout: 10)), impl]
  end

  def test_a_slow_reader_buffers_at_most_the_credit
    c, impl = numbers_client
    { numbers: 16, few_numbers: 4 }.each do |method, credit|
      tx, rx = Roam.channel
      call = c.async.public_send(method, 500, tx)
      held_back = false
      items, most = read_slowly(rx) { held_back ||= impl.outputs.last.queued.positive? }
      assert_equal (0...500).to_a, items, method
      assert_nil call.value(timeout: 10)
      assert_operator most, :<=, credit, method
      assert_operator most, :>=, credit / 2, "#{method}: the credit is used"
      assert held_back, "#{method}: the sender waited for credit"
      assert_raises(StopIteration) { rx.next }
    end
    assert_empty @errors
  end

  def test_next_and_on_item_take_items_too
    c, = numbers_client
    tx, rx = Roam.channel
    call = c.async.few_numbers(100, tx)
    assert_equal [0, 1, 2], Array.new(3) { rx.next }
    got = []
    rx.on_item { |i| got << i } # the rest, as they come: each grants credit back
    @rt.run_until(10) { rx.ended? }
    assert_equal (3...100).to_a, got
    assert_equal 0, rx.buffered
    assert_nil call.value(timeout: 10)
  end

  # The Rust peer's generate sends as fast as credit lets it.
  def test_a_slow_reader_of_the_rust_peer
    _peer, addr = start_peer("serve-testbed", "tcp:127.0.0.1:0")
    c = Testbed.client(@rt.connect(addr).wait_handshake(timeout: 10))
    tx, rx = Roam.channel
    call = c.async.generate(1000, tx)
    items, most = read_slowly(rx)
    assert_equal (0...1000).to_a, items
    assert_nil call.value(timeout: 10)
    assert_operator most, :<=, Roam::Native::DEFAULT_CHANNEL_CREDIT
  end
end
