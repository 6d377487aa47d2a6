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
    peer = spawn_child(PEER, "call-testbed", "tcp:127.0.0.1:#{listener.port}")
    assert @rt.run_until(60) { sessions.size == 1 && sessions[0].ended? }
    assert_includes [0, Roam::EEOF::CODE], sessions[0].error, sessions[0].reason
    status = peer.wait(20)
    assert_all_ok(peer.output)
    assert_match(/^RESULT ok$/, peer.output)
    assert_equal 0, status
    assert_empty @errors
  end

  def test_program_listen_once_against_call_testbed
    srv, addr = start_listening(*ruby_program(TESTBED, "--listen", "tcp://127.0.0.1:0", "--once"))
    assert_match(%r{\Atcp://127\.0\.0\.1:\d+\z}, addr)
    peer = spawn_child(PEER, "call-testbed", addr.sub("tcp://", "tcp:"))
    assert_exits_ok(peer, 60)
    assert_all_ok(peer.output)
    assert_exits_ok(srv)
    assert_equal "RESULT ok", srv.output.lines.last.chomp
  end

  # Our --call program against a server at addr: every check and the
  # virtual connection pass.
  def assert_program_calls_ok(addr)
    cli = spawn_child(*ruby_program(TESTBED, "--call", addr))
    assert_exits_ok(cli, 60)
    assert_all_ok(cli.output, ["virtual"])
    assert_equal "RESULT ok", cli.output.lines.last.chomp
  end

  def test_program_call_against_serve_testbed
    peer, addr = start_peer("serve-testbed", "tcp:127.0.0.1:0")
    assert_program_calls_ok(addr)
    peer.wait_line(/^INBOUND_OPEN .*want:s:accept/)
    assert_exits_ok(peer)
  end

  # The cross-language pairing: Ruby client, C++ server.
  def test_program_call_against_cxx_subject
    sub, addr = start_listening(SUBJECT, "--listen", "tcp://127.0.0.1:0", "--once")
    assert_program_calls_ok(addr)
    assert_exits_ok(sub)
  end

  # The C++ program calling the Ruby server.
  def test_cxx_subject_calls_program
    srv, addr = start_listening(*ruby_program(TESTBED, "--listen", "tcp://127.0.0.1:0", "--once"))
    cli = spawn_child(SUBJECT, "--call", addr)
    assert_exits_ok(cli, 60)
    assert_all_ok(cli.output)
    assert_exits_ok(srv)
  end

  # The library client against the C++ server, in process.
  def test_client_against_cxx_subject
    _sub, addr = start_listening(SUBJECT, "--listen", "tcp://127.0.0.1:0", "--once")
    session = @rt.connect(addr)
    c = Testbed.client(session.wait_handshake(timeout: 10))
    assert_equal "olleh", c.reverse("hello")
    assert_raises(Roam::UserError) { c.divide(1, 0) }
    tx, rx = Roam.channel
    call = c.async.generate(20, tx) # more than the credit (16): read while it runs
    assert_equal (0...20).to_a, rx.to_a
    assert_nil call.value(timeout: 10)
    conn = session.open(metadata: { "want" => "accept" }).wait_open(timeout: 10)
    assert_equal "virtual", conn.client(Testbed).echo("virtual")
    conn.close("bye" => "ruby")
    conn.wait_closed(timeout: 10)
    session.root.release
    assert_equal 0, session.wait_end(timeout: 10)
  end

  def test_bench_program
    cat = spawn_child(ROAMCAT, "serve", "tcp://127.0.0.1:0")
    addr = cat.wait_line(%r{tcp://127\.0\.0\.1:\d+})[%r{tcp://127\.0\.0\.1:\d+}]
    b = spawn_child(*ruby_program(TESTBED, "bench", addr, 2000, 16))
    assert_exits_ok(b, 60)
    assert_match(/\ABENCH calls=2000 seconds=\d+\.\d+\z/, b.output.lines.last.chomp)
  end
end
