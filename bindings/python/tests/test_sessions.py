"""Virtual connections with metadata (scenarios open-accept-reject and close)
and the keepalive timeout (scenario idle, the peer SIGSTOPped), against the
Rust peer's `run` (tests/interop/peer/SCENARIOS.md)."""
import asyncio
import os
import signal

import pytest

import roam
from conftest import PEER, eventually, expect_peer_result_ok, need, peer_address, run


def start_peer(procs, scenario):
    need(PEER, "the Rust peer (ROAM_PEER)")
    p = procs([PEER, "run", "--role", "acceptor", "--listen", "tcp:127.0.0.1:0", "--scenario",
               scenario, "--timeout-ms", "30000"])
    return p, peer_address(p.wait_line("LISTENING "))


def by_want(conn, md):
    if md.get("want") == "accept":
        conn.accept({"accepted-by": "python"})
    else:
        conn.reject({"reason": "policy"})


def test_open_accept_reject(procs):
    p, addr = start_peer(procs, "open-accept-reject")

    async def body():
        inbound = []

        def on_open(conn, md):
            inbound.append((conn, md))
            by_want(conn, md)
        s = await roam.connect(addr, on_open=on_open, metadata={"who": "python"})
        async with s:
            await eventually(lambda: len(inbound) == 2)
            assert sorted(md.get("want") for _, md in inbound) == ["accept", "reject"]
            await p.aline("OPEN_ACCEPTED")
            rejected = await p.aline("OPEN_REJECTED")
            assert "reason:s:policy:0" in rejected
            accepted = [c for c, md in inbound if md.get("want") == "accept"][0]
            assert accepted.is_open
            # ours: one accepted (with the peer's metadata), one rejected
            a = await s.open({"want": "accept"})
            assert a.metadata.get("accepted-by") == "roam-rust"
            assert a.id != 0 and a.is_open
            with pytest.raises(roam.ConnectionRejected) as e:
                await s.open({"want": "reject"})
            assert e.value.code == roam.EREJECTED
            assert e.value.metadata.get("reason") == "policy"
            await p.aline("INBOUND_OPEN")
            # the peer's connection is still open: shut the session down
            s.shutdown()
            code, _ = await asyncio.wait_for(s.wait_ended(), 5)
            assert code == roam.ESHUTDOWN
            assert not a.is_open
            with pytest.raises(roam.RoamError):
                await s.open({"want": "accept"})
        await expect_peer_result_ok(p)
    run(body())


def test_close_with_metadata(procs):
    p, addr = start_peer(procs, "close")

    async def body():
        inbound, closed = [], []

        def on_open(conn, md):
            inbound.append(conn)
            conn.accept({"accepted-by": "python"})
        s = await roam.connect(addr, on_open=on_open,
                               on_conn_closed=lambda c, info: closed.append((c, info)))
        async with s:
            await eventually(lambda: inbound)
            first = inbound[0]
            await asyncio.sleep(0.02)
            first.close({"bye": "python"})
            info = await asyncio.wait_for(first.closed(), 5)
            assert info.origin == roam.CLOSE_LOCAL and info.reason == 0
            await p.aline("CLOSED_BY_PEER")
            await p.aline("CLOSED_LOCAL")
            await eventually(lambda: len(inbound) == 2 and len(closed) == 2)
            second = inbound[1]
            info = await asyncio.wait_for(second.closed(), 5)
            assert info.origin == roam.CLOSE_REMOTE and info.reason == 0
            assert info.metadata.get("bye") == "rust"
            assert [c for c, _ in closed] == [first, second]
            with pytest.raises(roam.RoamError) as e:
                second.close()
            assert e.value.code == roam.ECLOSED
            s.root.release()
            code, _ = await asyncio.wait_for(s.wait_ended(), 5)
            assert code in (0, roam.EEOF)
        await expect_peer_result_ok(p)
    run(body())


def test_keepalive_timeout(procs):
    p, addr = start_peer(procs, "idle")

    async def body():
        timeouts = []
        s = await roam.connect(addr, keepalive=(100, 300),
                               on_keepalive_timeout=lambda sess: timeouts.append(sess))
        async with s:
            os.kill(p.p.pid, signal.SIGSTOP)  # the peer stops answering pings
            try:
                code, reason = await asyncio.wait_for(s.wait_ended(), 5)
            finally:
                os.kill(p.p.pid, signal.SIGCONT)
            assert code == roam.EKEEPALIVE, (code, reason)
            assert timeouts == [s] and s.keepalive_timed_out
            with pytest.raises(roam.RoamError) as e:
                await s.root.call_raw(1)
            assert e.value.code == roam.ECLOSED
        await p.aline("SESSION_ENDED", 10)
        p.kill()
    run(body())


def test_keepalive_survives_a_live_peer(procs):
    p, addr = start_peer(procs, "keepalive")

    async def body():
        s = await roam.connect(addr, keepalive=(50, 500))
        async with s:
            await p.aline("KEEPALIVE_SURVIVED", 10)
            assert not s.ended
            rtt = await asyncio.wait_for(s.ping(), 5)
            assert 0 <= rtt < 5
    run(body())
    p.wait(20)


def test_connect_failure_is_an_exception():
    async def body():
        server = await roam.listen("tcp://127.0.0.1:0")
        port = server.port
        await server.close()
        with pytest.raises(roam.RoamError) as e:
            await roam.connect("tcp://127.0.0.1:%d" % port)
        assert e.value.code in (roam.EIO, roam.EEOF)
        with pytest.raises(roam.RoamError) as e:
            await roam.connect("tcp://no-port")
        assert e.value.code == roam.EINVAL and "port" in e.value.detail
    run(body())


def test_unix_socket_and_hello_metadata(tmp_path):
    import testbed_service as tb
    path = str(tmp_path / "roam.sock")

    async def body():
        server = await roam.listen("unix:" + path, serve=tb.TestbedImpl())
        async with server:
            assert server.port is None and path in server.address
            s = await roam.connect("unix:" + path, metadata=[
                ("who", "python"), ("token", b"\x00\x01", 1), ("n", 2 ** 64 - 1)])
            async with s:
                assert await tb.Testbed.client(s.root).echo("over unix") == "over unix"
                theirs = await asyncio.wait_for(server.accept(), 5)
                md = theirs.peer_metadata
                assert md.get("who") == "python" and md.get("n") == 2 ** 64 - 1
                assert [e for e in md if e.key == "token"] == [("token", b"\x00\x01", 1)]
    run(body())
