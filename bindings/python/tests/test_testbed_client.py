"""The typed Testbed client against the Rust peer's serve-testbed: every
method (values, user errors, structs, enums, options, channels both ways),
an unknown method, cancellation."""
import asyncio
import contextlib

import pytest

import roam
from conftest import PEER, eventually, need, peer_address, run
import testbed
import testbed_service as tb


@contextlib.asynccontextmanager
async def client_of(addr):
    """A Testbed client on a session to addr, closed afterwards."""
    async with await roam.connect(addr) as s:
        yield tb.Testbed.client(s.root)


@pytest.fixture
def server(procs):
    need(PEER, "the Rust peer (ROAM_PEER)")
    p = procs([PEER, "serve-testbed", "tcp:127.0.0.1:0", "--timeout-ms", "60000"])
    return p, peer_address(p.wait_line("LISTENING "))


@pytest.mark.parametrize("name,check", testbed.CHECKS, ids=[n for n, _ in testbed.CHECKS])
def test_each_method_against_the_rust_server(server, name, check):
    p, addr = server

    async def body():
        async with await roam.connect(addr) as s:
            await check(tb.Testbed.client(s.root))
            await p.aline("SERVED method=%s" % name)
    run(body())


def test_user_errors_are_typed(server):
    _, addr = server

    async def body():
        async with client_of(addr) as c:
            with pytest.raises(roam.UserError) as e:
                await c.divide(1, 0)
            assert e.value.value is tb.MathError.DivisionByZero
            assert e.value.code == roam.EUSER and "DivisionByZero" in str(e.value)
            with pytest.raises(roam.UserError) as e:
                await c.lookup(42)
            assert e.value.value is tb.LookupError.NotFound
            assert await c.lookup(2) == tb.Person("Bob", 25, None)
            assert await c.parse_color("nope") is None
    run(body())


def test_unknown_method_is_an_error_and_the_session_goes_on(server):
    _, addr = server

    async def body():
        async with await roam.connect(addr) as s:
            echo = tb.Testbed.methods()[0]
            payload = echo.encode_args(("x",), None, None)
            with pytest.raises(roam.RoamError) as e:
                await s.root.call_raw(echo.id ^ 1, payload)  # a deliberately wrong id
            assert e.value.code == roam.EUNKNOWNMETHOD
            assert "ROAM_EUNKNOWNMETHOD" in str(e.value)
            assert await s.root.call_raw(echo.id, payload) == echo.encode_ok("x")
    run(body())


def test_deadline_cancels_the_call(server):
    p, addr = server

    async def body():
        async with client_of(addr) as c:
            tx, rx = roam.channel()
            call = c.sum(rx)
            await tx.send(5)  # never closed: the server waits for more
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(call, 0.2)
            assert call.done()
            # the session goes on
            assert await c.echo("after the cancel") == "after the cancel"
            # an explicitly cancelled task cancels its call too
            tx2, rx2 = roam.channel()
            task = asyncio.ensure_future(c.sum(rx2))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await c.reverse("abc") == "cba"
    run(body())


def test_channels_both_ways_with_credit(server):
    _, addr = server

    async def body():
        async with client_of(addr) as c:
            # more items than the initial credit (16) each way, received slowly
            in_tx, in_rx = roam.channel()
            out_tx, out_rx = roam.channel()
            call = c.transform(in_rx, out_tx)
            words = ["w%d" % i for i in range(100)]

            async def produce():
                for w in words:
                    await in_tx.send(w)
                in_tx.close()
            prod = asyncio.ensure_future(produce())
            got = []
            async for w in out_rx:
                got.append(w)
                if len(got) % 25 == 0:
                    await asyncio.sleep(0.02)
            await prod
            assert await call is None
            assert got == words
            # generate: callback mode
            tx, rx = roam.channel()
            items, ends = [], []
            rx.set_handler(items.append, ends.append)
            await c.generate(40, tx)
            await eventually(lambda: ends)
            assert items == list(range(40)) and ends == [0]
    run(body())


def test_virtual_connection_to_the_rust_server(server):
    p, addr = server

    async def body():
        async with await roam.connect(addr) as s:
            conn = await s.open({"want": "accept", "n": 7, "raw": b"\x01\x02"})
            assert conn.metadata.get("accepted-by") == "roam-rust"
            c = tb.Testbed.client(conn)
            assert await c.echo_point(tb.Point(1, 2)) == tb.Point(1, 2)
            line = await p.aline("INBOUND_OPEN")
            assert "want:s:accept:0" in line and "n:u:7:0" in line and "raw:b:0102:0" in line
            conn.close({"bye": "python"})
            info = await conn.closed()
            assert info.origin == roam.CLOSE_LOCAL and info.reason == 0
            with pytest.raises(roam.RoamError) as e:
                await c.echo("closed")
            assert e.value.code == roam.ECLOSED
    run(body())
