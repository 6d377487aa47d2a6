"""Safety: exceptions in handlers and callbacks are contained and reported,
ended things raise Python exceptions, GC never frees what C still uses,
callbacks run on the loop's thread."""
import asyncio
import gc
import threading
import weakref

import pytest

import roam
from conftest import connected_pair, eventually, local_testbed_client, run
import testbed_service as tb


class Faulty(tb.TestbedImpl):
    def echo(self, message):
        if message == "boom":
            raise ValueError("boom in a plain handler")
        return message

    async def reverse(self, message):
        await asyncio.sleep(0)
        if message == "boom":
            raise KeyError("boom in an async handler")
        return message[::-1]

    def echo_point(self, point):
        return "not a point"  # does not encode as Point


def test_handler_that_raises_gives_the_caller_a_clear_error():
    async def body():
        reported = []
        on_error = lambda exc, where: reported.append((exc, where))  # noqa: E731
        async with local_testbed_client(Faulty(), on_error=on_error) as c:
            with pytest.raises(roam.RoamError) as e:
                await c.echo("boom")
            assert e.value.code == roam.ECANCELLED
            assert "ValueError" in str(e.value) and "boom in a plain handler" in str(e.value)
            with pytest.raises(roam.RoamError) as e:
                await c.reverse("boom")
            assert e.value.code == roam.ECANCELLED and "KeyError" in str(e.value)
            with pytest.raises(roam.RoamError) as e:
                await c.echo_point(tb.Point(1, 2))
            assert e.value.code == roam.ECANCELLED and "does not encode" in str(e.value)
            # the session goes on
            assert await c.echo("fine") == "fine"
            assert await c.reverse("abc") == "cba"
            assert [type(x) for x, _ in reported] == [ValueError, KeyError, AttributeError]
            assert "Testbed.echo" in reported[0][1]
    run(body())


def test_unimplemented_method_is_unknown():
    class Partial(tb.Testbed):
        def echo(self, message):
            return message

    async def body():
        async with local_testbed_client(Partial()) as c:
            assert await c.echo("x") == "x"
            with pytest.raises(roam.RoamError) as e:
                await c.reverse("x")
            assert e.value.code == roam.EUNKNOWNMETHOD
    run(body())


def test_python_server_answers_unknown_ids_and_bad_payloads():
    async def body():
        server, s = await connected_pair(tb.TestbedImpl())
        async with server, s:
            with pytest.raises(roam.RoamError) as e:
                await s.root.call_raw(0x1234, b"")
            assert e.value.code == roam.EUNKNOWNMETHOD
            echo = tb.Testbed.methods()[0]
            with pytest.raises(roam.RoamError) as e:
                await s.root.call_raw(echo.id, b"\x05ab")  # a string that runs past the end
            assert e.value.code == roam.EINVALIDPAYLOAD
            with pytest.raises(roam.RoamError) as e:
                await s.root.call_raw(echo.id, b"\x01a\x00")  # bytes left over
            assert e.value.code == roam.EINVALIDPAYLOAD
            assert await tb.Testbed.client(s.root).echo("ok") == "ok"
    run(body())


def test_exceptions_in_callbacks_are_reported_and_the_process_survives():
    async def body():
        reported = []
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda lp, ctx: reported.append(ctx))

        def bad_open(conn, md):
            raise RuntimeError("acceptor failed")

        async with local_testbed_client(tb.TestbedImpl(), on_open=bad_open) as c:
            # an item callback that raises: reported; items keep coming
            tx, rx = roam.channel()
            seen, ends = [], []

            def on_item(x):
                seen.append(x)
                if x % 3 == 0:
                    raise ValueError("item callback failed on %d" % x)
            rx.set_handler(on_item, ends.append)
            await c.generate(10, tx)
            await eventually(lambda: ends)
            assert seen == list(range(10)) and ends == [0]
            item_errors = [r for r in reported if isinstance(r.get("exception"), ValueError)]
            assert len(item_errors) == 4
            assert "channel item handler" in item_errors[0]["message"]
            # an acceptor that raises: reported, the open is rejected
            with pytest.raises(roam.ConnectionRejected):
                await c.connection.session.open({"want": "accept"})
            assert any(isinstance(r.get("exception"), RuntimeError) for r in reported)
            # a completion callback that raises
            echo = tb.Testbed.methods()[0]
            done = loop.create_future()

            def cb(status, value, md):
                done.set_result(status)
                raise ZeroDivisionError("completion callback")
            c.connection.call_raw(echo.id, echo.encode_args(("x",), None, None), callback=cb)
            assert await done == 0
            await asyncio.sleep(0.01)
            assert any(isinstance(r.get("exception"), ZeroDivisionError) for r in reported)
            assert await c.echo("still alive") == "still alive"
    run(body())


def test_ended_things_raise_python_exceptions():
    async def body():
        server, s = await connected_pair(tb.TestbedImpl())
        c = tb.Testbed.client(s.root)
        # a finished call
        call = c.echo("once")
        assert await call == "once"
        assert await call == "once"  # awaiting again gives the same result
        with pytest.raises(roam.RoamError) as e:
            call.cancel()  # nothing in flight
        assert e.value.code == roam.ENOTFOUND
        # cancelling a call in flight
        tx0, rx0 = roam.channel()
        pending = c.sum(rx0)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        assert pending.done()
        # a closed channel
        tx, rx = roam.channel()
        with pytest.raises(roam.RoamError) as e:
            await tx.send(1)  # not in a call yet
        assert e.value.code == roam.ESTATE
        sum_call = c.sum(rx)
        await tx.send(1)
        tx.close()
        with pytest.raises(roam.RoamError) as e:
            await tx.send(2)
        assert e.value.code == roam.ECLOSED
        with pytest.raises(roam.RoamError):
            tx.close()
        assert await sum_call == 1
        with pytest.raises(roam.RoamError) as e:
            c.sum(rx)  # an end goes in one call only
        assert e.value.code == roam.ESTATE
        # a received channel that ended
        tx2, rx2 = roam.channel()
        await c.generate(2, tx2)
        assert [x async for x in rx2] == [0, 1]
        with pytest.raises(roam.ChannelClosed):
            await rx2.recv()
        with pytest.raises(roam.RoamError):
            rx2.reset()
        # a closed session
        root = s.root
        await s.close()
        await s.close()  # twice is fine
        with pytest.raises(roam.RoamError) as e:
            await c.echo("after close")
        assert e.value.code == roam.ECLOSED
        with pytest.raises(roam.RoamError):
            await s.open()
        with pytest.raises(roam.RoamError):
            root.release()
        with pytest.raises(roam.RoamError):
            await s.ping()
        await server.close()
    run(body())


def test_wrong_thread_is_refused():
    async def body():
        async with local_testbed_client(tb.TestbedImpl()) as c:
            errors = []

            def other():
                try:
                    c.echo("from another thread")
                except RuntimeError as e:
                    errors.append(e)
            t = threading.Thread(target=other)
            t.start()
            t.join()
            assert len(errors) == 1 and "thread" in str(errors[0])
    run(body())


def test_callbacks_run_on_the_loop_thread():
    threads = set()

    class Recording(tb.TestbedImpl):
        def echo(self, message):
            threads.add(threading.get_ident())
            return message

    async def body():
        server, s = await connected_pair(Recording(), on_open=lambda c, md: (
            threads.add(threading.get_ident()), c.accept())[-1])
        async with server, s:
            await tb.Testbed.client(s.root).echo("x")
            conn = await s.open()
            await tb.Testbed.client(conn).echo("y")
    run(body())
    assert threads == {threading.get_ident()}


def test_gc_while_calls_are_in_flight():
    async def body():
        server, s = await connected_pair(tb.TestbedImpl())
        async with server, s:
            loop = asyncio.get_running_loop()
            results = []
            done = loop.create_future()
            n = 400
            echo = tb.Testbed.methods()[0]

            def cb(status, value, md):
                results.append(status)
                if len(results) == n:
                    done.set_result(None)
            refs = []
            for i in range(n):
                # nobody keeps the pending calls, clients or closures alive
                client = tb.Testbed.client(s.root)
                pc = s.root.call_raw(echo.id, echo.encode_args(("m%d" % i,), None, None),
                                     callback=lambda st, v, md, cb=cb: cb(st, v, md))
                refs.append(weakref.ref(client))
                del pc, client
                if i % 50 == 0:
                    gc.collect()
            gc.collect()
            # typed calls whose awaitables are dropped, and channels left behind
            futs = [asyncio.ensure_future(tb.Testbed.client(s.root).echo("t%d" % i))
                    for i in range(100)]
            for i in range(20):
                tx, rx = roam.channel()
                tb.Testbed.client(s.root).generate(50, tx)
                del tx, rx
                gc.collect()
            await asyncio.wait_for(done, 20)
            assert results == [0] * n
            assert [await f for f in futs] == ["t%d" % i for i in range(100)]
            gc.collect()
            assert await tb.Testbed.client(s.root).echo("end") == "end"
    run(body())
