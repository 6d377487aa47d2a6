"""Shared helpers: the Rust peer and other programs as subprocesses, and a
runner for async tests (no pytest plugin needed)."""
import asyncio
import contextlib
import os
import queue
import subprocess
import sys
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # bindings/python
EXAMPLES = os.path.join(ROOT, "examples")
SRC = os.path.join(ROOT, "src")
REPO = os.path.dirname(os.path.dirname(ROOT))
sys.path.insert(0, EXAMPLES)
if SRC not in sys.path:
    sys.path.insert(0, SRC)


def _required(env):
    """A path the suite needs, from the environment run-tests.sh (and make
    test) sets; the suite does not start without it."""
    v = os.environ.get(env)
    if not v or not os.path.exists(v):
        raise RuntimeError(
            "%s is %s: run the suite with bindings/python/run-tests.sh "
            "(make test sets it)" % (env, repr(v) if v else "not set"))
    return v


PEER = _required("ROAM_PEER")
SUBJECT = _required("ROAM_SUBJECT")
BUILD = _required("ROAM_BUILD_DIR")
ROAMCAT = os.path.join(BUILD, "tools", "roamcat")


def run(coro, timeout=60):
    """Runs an async test body on a fresh event loop, with a time limit."""
    async def bounded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


async def connected_pair(serve=None, on_error=None, **kw):
    """A loopback listener serving `serve` and a session connected to it:
    (server, session); `async with server, session` closes both."""
    import roam
    server = await roam.listen("tcp://127.0.0.1:0", serve=serve, on_error=on_error, **kw)
    return server, await roam.connect(server.address)


@contextlib.asynccontextmanager
async def local_testbed_client(serve, **kw):
    """A Testbed client on a session to a loopback server of `serve` (both
    closed afterwards); the session is client.connection.session."""
    import testbed_service as tb
    server, s = await connected_pair(serve, **kw)
    async with server, s:
        yield tb.Testbed.client(s.root)


async def expect_peer_result_ok(p):
    """The Rust peer's `run` scenario ended well: exit 0, last line RESULT ok."""
    assert await p.await_exit(20) == 0, p.output()
    assert p.lines[-1] == "RESULT ok"


async def eventually(condition, timeout=5):
    """Waits (the event loop running) until condition() is true; fails the
    test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("still false after %ss: %s" % (timeout, condition.__doc__ or
                                                                  condition))
        await asyncio.sleep(0.01)


class Proc:
    """A program whose stdout lines are collected by a reader thread."""

    def __init__(self, argv, env=None):
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, env=env, bufsize=1)
        self.lines = []
        self._q = queue.Queue()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for ln in self.p.stdout:
            ln = ln.rstrip("\n")
            self.lines.append(ln)
            self._q.put(ln)
        self._q.put(None)

    def wait_line(self, prefix, timeout=20):
        """The first line (from all so far) starting with prefix; blocks the
        calling thread (use await aline() inside async tests)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for ln in self.lines[seen:]:
                if ln.startswith(prefix):
                    return ln
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %r line from %s; output:\n%s" % (
                    prefix, self.argv[0], self.output()))
            try:
                if self._q.get(timeout=min(left, 0.05)) is None and self.p.poll() is not None:
                    for ln in self.lines[seen:]:
                        if ln.startswith(prefix):
                            return ln
                    raise AssertionError("%s ended without a %r line; output:\n%s" % (
                        self.argv[0], prefix, self.output()))
            except queue.Empty:
                pass

    async def aline(self, prefix, timeout=20):
        """wait_line while the event loop keeps running."""
        deadline = time.monotonic() + timeout
        while True:
            for ln in list(self.lines):
                if ln.startswith(prefix):
                    return ln
            if time.monotonic() > deadline:
                raise AssertionError("no %r line from %s; output:\n%s" % (
                    prefix, self.argv[0], self.output()))
            if self.p.poll() is not None and not self._t.is_alive():
                for ln in list(self.lines):
                    if ln.startswith(prefix):
                        return ln
                raise AssertionError("%s ended without a %r line; output:\n%s" % (
                    self.argv[0], prefix, self.output()))
            await asyncio.sleep(0.01)

    def wait(self, timeout=30):
        rc = self.p.wait(timeout)
        self._t.join(5)
        return rc

    async def await_exit(self, timeout=30):
        deadline = time.monotonic() + timeout
        while self.p.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError("%s did not exit; output:\n%s" % (self.argv[0], self.output()))
            await asyncio.sleep(0.02)
        self._t.join(5)
        return self.p.returncode

    def output(self):
        return "\n".join(self.lines)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                pass


@pytest.fixture
def procs():
    started = []

    def start(argv, env=None):
        p = Proc(argv, env)
        started.append(p)
        return p
    yield start
    for p in started:
        if p.p.poll() is None:
            try:
                os.kill(p.p.pid, 18)  # SIGCONT, in case a test stopped it
            except OSError:
                pass
        p.kill()


def peer_address(line):
    """`LISTENING tcp:127.0.0.1:PORT` -> tcp://127.0.0.1:PORT"""
    addr = line.split(" ", 1)[1].strip()
    return "tcp://" + addr[4:] if addr.startswith("tcp:") and not addr.startswith("tcp://") else addr


def need(path, what):
    if not path or not os.path.exists(path):
        pytest.fail("%s not found (%s): set its environment variable" % (what, path))


def python_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env
