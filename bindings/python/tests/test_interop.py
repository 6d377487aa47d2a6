"""The Rust peer's Interop service (tests/interop/peer/SCENARIOS.md): served
from Python to the `call` scenario (on an initiator's session, 200 calls
at once), called in the `serve` scenario (a cancel the Rust handler sees)."""
import asyncio
import enum
import subprocess

import roam
from conftest import PEER, need, peer_address, run


class MathError(enum.Enum):
    DivisionByZero = 0
    Overflow = 1


@roam.service
class Interop:
    async def echo(self, message: str) -> str: ...
    async def add(self, a: roam.i64, b: roam.i64) -> roam.i64: ...
    async def divide(self, dividend: roam.i64, divisor: roam.i64) -> roam.Result[roam.i64, MathError]: ...
    async def sleep_ms(self, ms: roam.u64) -> roam.u64: ...
    async def sum(self, numbers: roam.Rx[roam.i32]) -> roam.i64: ...
    async def generate(self, count: roam.u32, output: roam.Tx[roam.i32]) -> None: ...


class InteropImpl(Interop):
    def __init__(self):
        self.in_flight = 0
        self.most_in_flight = 0

    async def echo(self, message):
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        return message

    def add(self, a, b):
        return a + b

    def divide(self, dividend, divisor):
        if divisor == 0:
            raise roam.UserError(MathError.DivisionByZero)
        return int(dividend / divisor)

    async def sleep_ms(self, ms):
        await asyncio.sleep(ms / 1000)
        return ms

    async def sum(self, numbers):
        return sum([n async for n in numbers])

    async def generate(self, count, output):
        async with output:
            for i in range(count):
                await output.send(i)


def test_interop_ids_equal_the_rust_crates():
    need(PEER, "the Rust peer (ROAM_PEER)")
    out = subprocess.run([PEER, "method-ids"], capture_output=True, text=True, timeout=30,
                         check=True).stdout
    want = {}
    for ln in out.splitlines():
        parts = ln.split()
        if len(parts) == 3 and parts[0] == "METHOD" and "." not in parts[1]:
            want[parts[1]] = int(parts[2], 16)
    assert {m.method: m.id for m in Interop.methods()} == want


def test_serve_interop_to_the_rust_caller(procs):
    need(PEER, "the Rust peer (ROAM_PEER)")
    p = procs([PEER, "run", "--role", "acceptor", "--listen", "tcp:127.0.0.1:0", "--scenario",
               "call", "--timeout-ms", "30000"])
    addr = peer_address(p.wait_line("LISTENING "))
    impl = InteropImpl()

    async def body():
        # roam-core 7.3.0's client sends its 200 echo calls at once, beyond the
        # root's advertised limit; libroam answers the calls past the limit
        # Cancelled (documented). Handlers that answer later (async) keep
        # their slots, so advertise room for all 200.
        async with await roam.connect(addr, serve=impl, max_concurrent_requests=256) as s:
            code, reason = await asyncio.wait_for(s.wait_ended(), 30)
            assert code in (0, roam.EEOF), reason
        assert await p.await_exit(20) == 0, p.output()
    run(body())
    calls = [ln for ln in p.lines if ln.startswith("CALL ")]
    assert len(calls) == 7, p.output()
    assert "CALL method=echo_x200 result=200_of_200" in p.lines
    assert p.lines[-1] == "RESULT ok"
    assert 1 < impl.most_in_flight <= 256  # concurrent, within what we advertised


def test_call_interop_and_cancel_a_rust_handler(procs):
    need(PEER, "the Rust peer (ROAM_PEER)")
    p = procs([PEER, "run", "--role", "acceptor", "--listen", "tcp:127.0.0.1:0", "--scenario",
               "serve", "--timeout-ms", "30000"])
    addr = peer_address(p.wait_line("LISTENING "))

    async def body():
        async with await roam.connect(addr) as s:
            c = Interop.client(s.root)
            assert await c.add(40, 2) == 42
            assert await c.sleep_ms(5) == 5
            try:
                await asyncio.wait_for(c.sleep_ms(10000), 0.2)
                raise AssertionError("sleep_ms(10000) finished")
            except asyncio.TimeoutError:
                pass
            await p.aline("HANDLER_CANCELLED method=sleep_ms", 10)
            assert await c.echo("after") == "after"
            got = await asyncio.gather(*[c.echo("e%d" % i) for i in range(300)])
            assert got == ["e%d" % i for i in range(300)]  # more than 64: queued, none lost
    run(body())


def test_calls_past_the_limit_wait_their_turn():
    """300 calls at once to a Python server whose handlers answer later: libroam's
    caller keeps to the 64 the server advertised, the rest wait in the
    connection's queue; none is lost or refused."""
    impl = InteropImpl()

    async def body():
        async with await roam.listen("tcp://127.0.0.1:0", serve=impl) as srv:
            async with await roam.connect(srv.address) as s:
                c = Interop.client(s.root)
                got = await asyncio.gather(*[c.echo("e%d" % i) for i in range(300)])
                assert got == ["e%d" % i for i in range(300)]
    run(body())
    assert 1 < impl.most_in_flight <= 64
