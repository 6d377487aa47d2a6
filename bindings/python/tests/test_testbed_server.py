"""The typed Testbed server against the Rust peer's call-testbed, and the
testbed.py program's command line (bindings/README.md) against the Rust peer
and the C++ roam-subject."""
import asyncio
import os
import sys

import roam
from conftest import EXAMPLES, PEER, SUBJECT, need, peer_address, python_env, run
import testbed_service as tb

METHODS = ["echo", "reverse", "divide", "lookup", "sum", "generate", "transform", "echo_point",
           "create_person", "rectangle_area", "parse_color", "shape_area", "create_canvas",
           "process_message", "get_points", "swap_pair"]
TESTBED = os.path.join(EXAMPLES, "testbed.py")


def expect_all_ok(output, extra=()):
    lines = output.splitlines()
    for m in METHODS + list(extra):
        assert "ok %s" % m in lines, "no `ok %s` in:\n%s" % (m, output)
    assert not [ln for ln in lines if ln.startswith("FAIL")], output
    assert "RESULT ok" in lines, output


def test_serve_testbed_to_the_rust_caller(procs):
    need(PEER, "the Rust peer (ROAM_PEER)")

    async def body():
        ended = []
        server = await roam.listen("tcp://127.0.0.1:0", serve=tb.TestbedImpl(),
                                   on_open=lambda c, md: c.accept({"accepted-by": "python"}))
        async with server:
            p = procs([PEER, "call-testbed", "tcp:127.0.0.1:%d" % server.port])
            s = await asyncio.wait_for(server.accept(), 20)
            assert s.peer_metadata.get("peer") == "roam-rust"
            assert await p.await_exit(60) == 0, p.output()
            code, _ = await asyncio.wait_for(s.wait_ended(), 10)
            ended.append(code)
        expect_all_ok(p.output())
        assert ended[0] in (0, roam.EEOF)
    run(body(), 90)


def test_program_listen_once_with_rust_caller(procs):
    need(PEER, "the Rust peer (ROAM_PEER)")
    srv = procs([sys.executable, TESTBED, "--listen", "tcp://127.0.0.1:0", "--once"],
                env=python_env())
    addr = srv.wait_line("LISTENING ").split(" ", 1)[1]
    assert addr.startswith("tcp://127.0.0.1:")
    cli = procs([PEER, "call-testbed", "tcp:" + addr[len("tcp://"):]])
    assert cli.wait(90) == 0, cli.output()
    expect_all_ok(cli.output())
    assert srv.wait(20) == 0, srv.output()
    assert srv.lines[-1] == "RESULT ok", srv.output()


def test_program_call_against_rust_server(procs):
    need(PEER, "the Rust peer (ROAM_PEER)")
    srv = procs([PEER, "serve-testbed", "tcp:127.0.0.1:0"])
    addr = peer_address(srv.wait_line("LISTENING "))
    cli = procs([sys.executable, TESTBED, "--call", addr], env=python_env())
    assert cli.wait(90) == 0, cli.output()
    expect_all_ok(cli.output(), ["virtual"])
    assert cli.lines[-1] == "RESULT ok"
    srv.wait_line("INBOUND_OPEN")
    assert srv.wait(20) == 0, srv.output()
    assert "RESULT ok" in srv.lines


def test_program_against_cpp_subject(procs):
    need(SUBJECT, "roam-subject (ROAM_SUBJECT)")
    # C++ server, Python client
    srv = procs([SUBJECT, "--listen", "tcp://127.0.0.1:0", "--once"])
    addr = srv.wait_line("LISTENING ").split(" ", 1)[1]
    cli = procs([sys.executable, TESTBED, "--call", addr], env=python_env())
    assert cli.wait(90) == 0, cli.output()
    expect_all_ok(cli.output(), ["virtual"])
    assert srv.wait(20) == 0, srv.output()
    # Python server, C++ client
    srv = procs([sys.executable, TESTBED, "--listen", "tcp://127.0.0.1:0", "--once"],
                env=python_env())
    addr = srv.wait_line("LISTENING ").split(" ", 1)[1]
    cli = procs([SUBJECT, "--call", addr])
    assert cli.wait(90) == 0, cli.output()
    expect_all_ok(cli.output())
    assert srv.wait(20) == 0, srv.output()
    assert srv.lines[-1] == "RESULT ok"


def test_program_python_to_python(procs):
    srv = procs([sys.executable, TESTBED, "--listen", "tcp://127.0.0.1:0", "--once"],
                env=python_env())
    addr = srv.wait_line("LISTENING ").split(" ", 1)[1]
    cli = procs([sys.executable, TESTBED, "--call", addr], env=python_env())
    assert cli.wait(90) == 0, cli.output()
    expect_all_ok(cli.output(), ["virtual"])
    assert srv.wait(20) == 0, srv.output()
    assert srv.lines[-1] == "RESULT ok"


def test_program_usage():
    import subprocess
    r = subprocess.run([sys.executable, TESTBED, "--nope"], env=python_env(),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 64 and "usage" in r.stderr
