# frozen_string_literal: true

require "minitest/autorun"
require "timeout"
require "roam"
require_relative "../examples/testbed_service"

# The programs the suite runs, from the environment run-tests.sh (and make
# test) sets.
PEER = ENV.fetch("ROAM_PEER")
SUBJECT = ENV.fetch("ROAM_SUBJECT")
ROAMCAT = File.join(ENV.fetch("ROAM_BUILD_DIR"), "tools", "roamcat")
BINDING_DIR = File.expand_path("..", __dir__)

# A child process whose stdout lines are collected as they come.
class Child
  attr_reader :pid, :lines

  def initialize(*argv, env: {})
    @out, w = IO.pipe
    @pid = Process.spawn(env, *argv.map(&:to_s), out: w, err: w, in: File::NULL)
    w.close
    @lines = []
    @mutex = Mutex.new
    @cond = ConditionVariable.new
    @reader = Thread.new do
      @out.each_line do |l|
        @mutex.synchronize do
          @lines << l.chomp
          @cond.broadcast
        end
      end
    rescue IOError
      nil
    ensure
      @mutex.synchronize do
        @eof = true
        @cond.broadcast
      end
    end
  end

  # The first line matching re (waiting up to timeout seconds), or raises.
  def wait_line(re, timeout = 15)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    @mutex.synchronize do
      loop do
        l = @lines.find { |x| x =~ re }
        return l if l

        left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
        raise "no line matching #{re.inspect} within #{timeout}s; got:\n#{@lines.join("\n")}" if left <= 0 || @eof

        @cond.wait(@mutex, left)
      end
    end
  end

  # Waits for the exit (up to timeout; then kills); the exit status.
  def wait(timeout = 30)
    Timeout.timeout(timeout) { Process.wait(@pid) }
    st = $?.exitstatus
    @reader.join(5)
    st
  rescue Timeout::Error
    kill
    raise "process #{@pid} did not exit within #{timeout}s; output:\n#{output}"
  end

  def output = @mutex.synchronize { @lines.join("\n") }

  def kill
    Process.kill("KILL", @pid)
    Process.wait(@pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end
end

module RoamTestHelpers
  include TestbedTypes

  # A child process, killed at teardown if it is still running.
  def spawn_child(*argv)
    child = Child.new(*argv)
    @children << child
    child
  end

  # A program that prints `LISTENING <address>` once bound (every Testbed
  # program does): [child, address].
  def start_listening(*argv)
    child = spawn_child(*argv)
    [child, child.wait_line(/^LISTENING /).split(" ", 2)[1]]
  end

  # The Rust peer serving on a fresh port: [child, "tcp://127.0.0.1:PORT"]
  # (it prints its address as tcp:HOST:PORT).
  def start_peer(*args)
    child, address = start_listening(PEER, *args)
    [child, address.sub("tcp:", "tcp://")]
  end

  def setup
    @children = []
    @errors = []
    @rt = Roam::Runtime.new(on_error: ->(e, where) { @errors << [e, where] })
  end

  def teardown
    @rt&.close
    @children.each(&:kill)
  end

  # Waits for child to exit; fails with its output unless the status is 0.
  def assert_exits_ok(child, timeout = 20)
    assert_equal 0, child.wait(timeout), child.output
  end

  def ruby_program(*args)
    [RbConfig.ruby, "-I", File.join(BINDING_DIR, "lib"), *args]
  end
end
