"""What a served request owns ends with it: channel ends a handler leaves
open are closed (Tx) or reset (Rx) when it finishes; a channel end the
program drops is closed or reset too (like Rust's Drop); a handler sees its
request (metadata, method) through roam.current_request()."""
import asyncio
import gc

import pytest

import roam
from conftest import local_testbed_client, run
import testbed_service as tb


class Careless(tb.TestbedImpl):
    """Handlers that leave their channels as they are when they return."""

    def __init__(self):
        self.stopped = []

    async def generate(self, count, output):  # never closes output
        try:
            for i in range(count):
                await output.send(i)
        except roam.RoamError as e:  # the caller let go of its end
            self.stopped.append(e.code)

    def sum(self, numbers):  # never reads numbers
        return -1

    def transform(self, input, output):  # a plain handler: output.send_nowait, no close
        output.send_nowait("only")


def test_a_tx_the_handler_left_open_is_closed_when_it_returns():
    async def body():
        async with local_testbed_client(Careless()) as c:
            tx, rx = roam.channel()
            call = c.generate(5, tx)
            assert [x async for x in rx] == [0, 1, 2, 3, 4]  # ends: the Tx was closed
            assert await call is None
            in_tx, in_rx = roam.channel()
            out_tx, out_rx = roam.channel()
            assert await c.transform(in_rx, out_tx) is None
            assert [x async for x in out_rx] == ["only"]
    run(body())


def test_an_rx_the_handler_did_not_read_is_reset_so_the_sender_stops():
    async def body():
        async with local_testbed_client(Careless()) as c:
            tx, rx = roam.channel()
            call = c.sum(rx)
            assert await call == -1
            with pytest.raises(roam.RoamError) as e:
                for i in range(100):  # more than the credit: without the reset, a stall
                    await asyncio.wait_for(tx.send(i), 5)
            assert e.value.code != 0 and tx.ended
    run(body())


def test_an_rx_the_caller_drops_is_reset_so_the_handler_stops():
    async def body():
        impl = Careless()
        async with local_testbed_client(impl) as c:
            tx, rx = roam.channel()
            call = c.generate(10_000, tx)
            del tx, rx  # nobody reads what the handler sends
            gc.collect()
            assert await asyncio.wait_for(call, 10) is None
            # dropped before the call even started
            assert await asyncio.wait_for(c.generate(10_000, roam.channel()[0]), 10) is None
            assert len(impl.stopped) == 2
            # an Rx read through set_handler is still read after it is dropped
            tx, rx = roam.channel()
            items = []
            rx.set_handler(items.append)
            del rx
            await c.generate(40, tx)
            assert items == list(range(40))
    run(body())


def test_a_handler_sees_its_request():
    seen = []

    class Aware(tb.TestbedImpl):
        def echo(self, message):
            req = roam.current_request()
            seen.append(req)
            return "%s %s" % (req.method, req.metadata.get("trace"))

        async def reverse(self, message):
            await asyncio.sleep(0)
            return roam.current_request().metadata.get("trace", "none")

    async def body():
        async with local_testbed_client(Aware()) as c:
            traced = tb.Testbed.client(c.connection, metadata={"trace": "t-1"})
            assert await traced.echo("x") == "Testbed.echo t-1"
            assert await traced.reverse("x") == "t-1"
            assert await c.reverse("x") == "none"
            assert seen[0].connection.id == 0 and isinstance(seen[0].request_id, int)
            assert roam.current_request() is None  # outside a handler
    run(body())
