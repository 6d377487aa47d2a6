# frozen_string_literal: true

require_relative "test_helper"

# The Testbed program (examples/testbed.rb) and the typed server against
# the Rust peer and the C++ roam-subject.
class TestPrograms < Minitest::Test
  include RoamTestHelpers

  METHODS = %w[echo reverse divide lookup sum generate transform echo_point create_person rectangle_area
               parse_color shape_area create_canvas process_message get_points swap_pair].freeze
  TESTBED = File.join(BINDING_DIR, "examples", "testbed.rb")

  def assert_all_ok(output, extra = [])
    (METHODS + extra).each { |m| assert_includes output.lines.map(&:chomp), "ok #{m}", output }
    refute_match(/^FAIL/, output)
  end

  # Our server (in this process) against the Rust peer's call-testbed.
  def test_server_in_process_against_call_testbed
    sessions = []
    listener = @rt.listen("tcp://127.0.0.1:0") do |s|
      sessions << s
      s.serve(Testbed, TestbedImpl.new)
      s.on_inbound_open { |conn, _md| conn.accept }
    end
    peer = Child.new(PEER, "call-testbed", "tcp:127.0.0.1:#{listener.port}")
    @children << peer
    assert @rt.run_until(60) { sessions.size == 1 && sessions[0].ended? }
    assert_includes [0, Roam::EEOF::CODE], sessions[0].error, sessions[0].reason
    status = peer.wait(20)
    assert_all_ok(peer.output)
    assert_match(/^RESULT ok$/, peer.output)
    assert_equal 0, status
    assert_empty @errors
  end

  def test_program_listen_once_against_call_testbed
    srv = Child.new(*ruby_program(TESTBED, "--listen", "tcp://127.0.0.1:0", "--once"))
    @children << srv
    addr = srv.wait_line(/^LISTENING tcp:\/\/127\.0\.0\.1:\d+$/).split(" ", 2)[1]
    peer = Child.new(PEER, "call-testbed", addr.sub("tcp://", "tcp:"))
    @children << peer
    assert_equal 0, peer.wait(60), peer.output
    assert_all_ok(peer.output)
    assert_equal 0, srv.wait(20), srv.output
    assert_equal "RESULT ok", srv.output.lines.last.chomp
  end

  def test_program_call_against_serve_testbed
    peer, addr = start_peer("serve-testbed", "tcp:127.0.0.1:0")
    cli = Child.new(*ruby_program(TESTBED, "--call", addr))
    @children << cli
    assert_equal 0, cli.wait(60), cli.output
    assert_all_ok(cli.output, ["virtual"])
    assert_equal "RESULT ok", cli.output.lines.last.chomp
    peer.wait_line(/^INBOUND_OPEN .*want:s:accept/)
    assert_equal 0, peer.wait(20), peer.output
  end

  # The cross-language pairing: Ruby client, C++ server.
  def test_program_call_against_cxx_subject
    sub = Child.new(SUBJECT, "--listen", "tcp://127.0.0.1:0", "--once")
    @children << sub
    addr = sub.wait_line(/^LISTENING /).split(" ", 2)[1]
    cli = Child.new(*ruby_program(TESTBED, "--call", addr))
    @children << cli
    assert_equal 0, cli.wait(60), cli.output
    assert_all_ok(cli.output, ["virtual"])
    assert_equal "RESULT ok", cli.output.lines.last.chomp
    assert_equal 0, sub.wait(20), sub.output
  end

  # The C++ program calling the Ruby server.
  def test_cxx_subject_calls_program
    srv = Child.new(*ruby_program(TESTBED, "--listen", "tcp://127.0.0.1:0", "--once"))
    @children << srv
    addr = srv.wait_line(/^LISTENING /).split(" ", 2)[1]
    cli = Child.new(SUBJECT, "--call", addr)
    @children << cli
    assert_equal 0, cli.wait(60), cli.output
    assert_all_ok(cli.output)
    assert_equal 0, srv.wait(20), srv.output
  end

  # The library client against the C++ server, in process.
  def test_client_against_cxx_subject
    sub = Child.new(SUBJECT, "--listen", "tcp://127.0.0.1:0", "--once")
    @children << sub
    addr = sub.wait_line(/^LISTENING /).split(" ", 2)[1]
    session = @rt.connect(addr)
    c = Testbed.client(session.wait_handshake(timeout: 10))
    assert_equal "olleh", c.reverse("hello")
    assert_raises(Roam::UserError) { c.divide(1, 0) }
    tx, rx = Roam.channel
    assert_nil c.generate(20, tx)
    assert_equal (0...20).to_a, rx.to_a
    conn = session.open(metadata: { "want" => "accept" }).wait_open(timeout: 10)
    assert_equal "virtual", conn.client(Testbed).echo("virtual")
    conn.close("bye" => "ruby")
    conn.wait_closed(timeout: 10)
    session.root.release
    assert_equal 0, session.wait_end(timeout: 10)
  end

  def test_bench_program
    cat = Child.new(ROAMCAT, "serve", "tcp://127.0.0.1:0")
    @children << cat
    addr = cat.wait_line(%r{tcp://127\.0\.0\.1:\d+})[%r{tcp://127\.0\.0\.1:\d+}]
    b = Child.new(*ruby_program(TESTBED, "bench", addr, 2000, 16))
    @children << b
    assert_equal 0, b.wait(60), b.output
    assert_match(/\ABENCH calls=2000 seconds=\d+\.\d+\z/, b.output.lines.last.chomp)
  end
end
