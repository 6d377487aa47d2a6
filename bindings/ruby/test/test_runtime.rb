# frozen_string_literal: true

require_relative "test_helper"
require "tmpdir"

class TestRuntime < Minitest::Test
  include RoamTestHelpers

  def with_env(vars)
    old = vars.keys.to_h { |k| [k, ENV[k]] }
    vars.each { |k, v| ENV[k] = v }
    yield
  ensure
    old.each { |k, v| ENV[k] = v }
  end

  def test_library_lookup_order
    with_env("ROAM_LIBRARY_PATH" => "/x/libroam.so.1", "ROAM_BUILD_DIR" => "/b", "PKG_CONFIG_PATH" => "/nonexistent") do
      c = Roam::Native.library_candidates
      assert_equal ["/x/libroam.so.1", "/b/libroam.so.1"], c.first(2)
      assert_equal "libroam.so.1", c.last
    end
    Dir.mktmpdir do |dir|
      # A roam.pc as an installed prefix has it: its libdir comes next.
      File.write(File.join(dir, "roam.pc"), "prefix=/opt/roam-x\nlibdir=${prefix}/lib\n" \
                 "Name: roam\nDescription: t\nVersion: 1.1.0\nLibs: -L${libdir} -lroam\n")
      with_env("ROAM_LIBRARY_PATH" => nil, "ROAM_BUILD_DIR" => nil, "PKG_CONFIG_PATH" => dir) do
        c = Roam::Native.library_candidates
        assert_equal "/opt/roam-x/lib/libroam.so.1", c.first
        assert_equal "libroam.so.1", c.last
      end
    end
    assert File.exist?(Roam::Native::LIBRARY) || Roam::Native::LIBRARY == "libroam.so.1"
    assert_equal ENV["ROAM_LIBRARY_PATH"], Roam::Native::LIBRARY if ENV["ROAM_LIBRARY_PATH"]
  end

  def test_fatal_exceptions_from_callbacks_are_raised_after_the_turn
    @rt.post { raise Interrupt }
    assert_raises(Interrupt) { @rt.run_once(0) }
    @rt.post { raise "plain" }
    @rt.run_once(0)
    assert_equal "plain", @errors.last[0].message
  end

  def test_run_until_times_out_and_stop
    listener = @rt.listen("tcp://127.0.0.1:0")
    t0 = @rt.now
    refute @rt.run_until(0.2) { false }
    assert_operator @rt.now - t0, :>=, 0.19
    Thread.new { sleep 0.1; @rt.stop } # rubocop:disable Style/Semicolon
    @rt.run # returns once stopped (the listener keeps it busy otherwise)
    listener.close
  end

  # Ruby --call against Ruby --listen: the program's virtual connections.
  def test_program_against_itself
    testbed = File.join(BINDING_DIR, "examples", "testbed.rb")
    srv, addr = start_listening(*ruby_program(testbed, "--listen", "tcp://127.0.0.1:0", "--once"))
    # a virtual connection to it is accepted with accepted-by=ruby
    session = @rt.connect(addr)
    session.wait_handshake(timeout: 10)
    conn = session.open(metadata: { "want" => "accept" }).wait_open(timeout: 10)
    assert_equal "ruby", conn.metadata["accepted-by"]
    assert_equal "v", conn.client(Testbed).echo("v")
    session.close
    session.wait_closed
    assert_exits_ok(srv)
    srv, addr = start_listening(*ruby_program(testbed, "--listen", "tcp://127.0.0.1:0", "--once"))
    cli = spawn_child(*ruby_program(testbed, "--call", addr))
    assert_exits_ok(cli, 60)
    assert_includes cli.output.lines.map(&:chomp), "ok virtual"
    assert_equal "RESULT ok", cli.output.lines.last.chomp
    assert_exits_ok(srv)
  end
end

class TestRuntimesOnThreads < Minitest::Test
  Echo = Roam.service(:EchoThreads) { method :echo, [:string] => :string }

  class EchoImpl
    def echo(s) = s
  end

  # One runtime per thread, each with its own server and client.
  def test_a_runtime_per_thread
    results = Array.new(3) do |t|
      Thread.new do
        Roam.open do |rt|
          l = rt.listen("tcp://127.0.0.1:0") { |s| s.serve(Echo, EchoImpl.new) }
          c = Echo.client(rt.connect(l.address).wait_handshake(timeout: 10))
          Array.new(300) { |i| c.async.echo("#{t}-#{i}") }.map { |call| call.value(timeout: 20) }
        end
      end
    end.map(&:value)
    results.each_with_index { |r, t| assert_equal Array.new(300) { |i| "#{t}-#{i}" }, r }
  end
end

class TestMetadataRoundTrip < Minitest::Test
  include RoamTestHelpers

  def test_metadata_kinds_through_a_session
    seen = {}
    server_sessions = []
    listener = @rt.listen("tcp://127.0.0.1:0", metadata: { "server" => "ruby" }) do |s|
      server_sessions << s
      s.on_handshake { |_status, md| seen[:hello] = md }
      s.on_inbound_open do |conn, md|
        seen[:open] = md
        conn.accept(Roam::Metadata.new.add("secret", "x", Roam::Metadata::SENSITIVE))
      end
      s.on_conn_closed { |_conn, origin, _reason, md| seen[:closed] = [origin, md] }
    end
    session = @rt.connect(listener.address, metadata: { "client" => "ruby", "n" => 2**64 - 1 })
    session.wait_handshake(timeout: 10)
    assert_equal "ruby", session.peer_metadata["server"]
    conn = session.open(metadata: { "s" => "tëxt", "b" => "\x00\xff".b, "n" => 7 }).wait_open(timeout: 10)
    entry = conn.metadata.entries.first
    assert_equal ["secret", "x", Roam::Metadata::SENSITIVE], entry.to_a
    conn.close("bye" => "now")
    conn.wait_closed(timeout: 10)
    assert @rt.run_until(5) { seen[:closed] }
    assert_equal({ "client" => "ruby", "n" => 2**64 - 1 }, seen[:hello].to_h)
    md = seen[:open]
    assert_equal "tëxt", md["s"]
    assert_equal Encoding::UTF_8, md["s"].encoding
    assert_equal "\x00\xff".b, md["b"]
    assert_equal Encoding::BINARY, md["b"].encoding
    assert_equal 7, md["n"]
    assert_equal [:remote, Roam::Metadata.new("bye" => "now")], seen[:closed]
    assert_raises(ArgumentError) { Roam::Metadata.new("bad" => 1.5) }
  end
end
