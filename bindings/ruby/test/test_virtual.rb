# frozen_string_literal: true

require_relative "test_helper"

# Virtual connections with metadata, and keepalive, against the Rust peer's
# scenarios (tests/interop/peer/SCENARIOS.md).
class TestVirtual < Minitest::Test
  include RoamTestHelpers

  def scenario(name)
    start_peer("run", "--role", "acceptor", "--listen", "tcp:127.0.0.1:0", "--scenario", name)
  end

  def test_open_accept_reject
    peer, addr = scenario("open-accept-reject")
    session = @rt.connect(addr)
    inbound = []
    session.on_inbound_open do |conn, md|
      inbound << md["want"]
      if md["want"] == "accept"
        conn.accept("accepted-by" => "ruby")
      else
        conn.reject("reason" => "policy")
      end
    end
    session.wait_handshake(timeout: 10)
    good = session.open(metadata: { "want" => "accept" })
    bad = session.open(metadata: Roam::Metadata.new("want" => "reject"))
    assert_equal :pending, good.state
    good.wait_open(timeout: 10)
    assert good.open?
    assert_equal "roam-rust", good.metadata["accepted-by"]
    e = assert_raises(Roam::EREJECTED) { bad.wait_open(timeout: 10) }
    assert_equal "policy", e.metadata["reason"]
    assert_equal :rejected, bad.state
    assert_raises(Roam::ECLOSED) { bad.close } # gone: a clean error
    assert @rt.run_until(10) { inbound.size == 2 }
    assert_equal %w[accept reject], inbound
    session.close
    session.wait_closed
    assert_raises(Roam::ECLOSED) { session.open }
    assert_equal 0, peer.wait(20), peer.output
    assert_match(/^OPEN_ACCEPTED /, peer.output)
    assert_match(/^OPEN_REJECTED .*reason:s:policy/, peer.output)
    assert_match(/^INBOUND_OPEN .*want:s:accept/, peer.output)
    assert_equal "RESULT ok", peer.output.lines.last.chomp
    assert_empty @errors
  end

  def test_close_both_ways
    peer, addr = scenario("close")
    session = @rt.connect(addr)
    opened = []
    closed = []
    session.on_inbound_open do |conn, _md|
      conn.accept
      opened << conn
      # the first one we close ourselves, with metadata
      @rt.post { conn.close("bye" => "ruby") } if opened.size == 1
    end
    session.on_conn_closed { |conn, origin, reason, md| closed << [conn, origin, reason, md] }
    session.wait_handshake(timeout: 10)
    assert @rt.run_until(10) { closed.size == 2 }, peer.output
    first, second = closed
    assert_same opened[0], first[0]
    assert_equal :local, first[1]
    assert_same opened[1], second[0]
    assert_equal :remote, second[1]
    assert_equal 0, second[2]
    assert_equal "rust", second[3]["bye"]
    assert_equal "rust", opened[1].close_metadata["bye"]
    assert opened.all?(&:closed?)
    assert_raises(Roam::ECLOSED) { Testbed.client(opened[0]).echo("x") }
    session.close
    session.wait_closed
    assert_equal 0, peer.wait(20), peer.output
    assert_match(/^CLOSED_BY_PEER/, peer.output)
    assert_match(/^CLOSED_LOCAL/, peer.output)
    assert_equal "RESULT ok", peer.output.lines.last.chomp
  end

  def test_keepalive_timeout
    peer, addr = scenario("idle")
    session = @rt.connect(addr, keepalive: 0.1, keepalive_timeout: 0.3)
    timed_out = false
    ended = nil
    session.on_keepalive_timeout { timed_out = true }
    session.on_end { |err, _reason| ended = err }
    session.wait_handshake(timeout: 10)
    assert @rt.run_until(0.5) { ended } == false, "the session must survive while the peer answers"
    Process.kill("STOP", peer.pid)
    begin
      assert @rt.run_until(10) { ended }
      assert timed_out
      assert_equal Roam::EKEEPALIVE::CODE, ended
      assert_equal Roam::EKEEPALIVE::CODE, session.error
    ensure
      Process.kill("CONT", peer.pid)
      peer.kill
    end
    assert_raises(Roam::ECLOSED) { session.root.client(Testbed).echo("x") }
  end
end
