#!/usr/bin/env python3
"""The Python Testbed program (bindings/README.md's command line):

  testbed.py --listen tcp://127.0.0.1:0 --once
  testbed.py --call tcp://HOST:PORT
  testbed.py bench tcp://HOST:PORT CALLS CONCURRENCY
"""
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import roam  # noqa: E402
from testbed_service import (KNOWN_PEOPLE, Canvas, Color, LookupError, MathError,  # noqa: E402
                             Message, Person, Point, Rectangle, Shape, Testbed, TestbedImpl,
                             shape_area_of)

LANGUAGE = "python"


def line(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def clean_end(code):
    return code in (0, roam.EEOF)


# ---- --listen --------------------------------------------------------------------------


async def run_listen(address, once):
    impl = TestbedImpl()
    first_end = asyncio.get_running_loop().create_future()

    def on_open(conn, md):
        conn.accept({"accepted-by": LANGUAGE})

    def on_error(exc, where):
        sys.stderr.write("testbed.py: %s: %r\n" % (where, exc))

    async def watch(s):
        code, reason = await s.wait_ended()
        if not clean_end(code):
            sys.stderr.write("testbed.py: session ended: %d %s\n" % (code, reason))
        if not first_end.done():
            first_end.set_result(code)

    tasks = []
    server = await roam.listen(address, serve=impl, on_open=on_open, on_error=on_error,
                               on_session=lambda s: tasks.append(asyncio.ensure_future(watch(s))))
    line("LISTENING " + server.address)
    if once:
        code = await first_end
        await server.close()
        line("RESULT ok" if clean_end(code) else "RESULT fail")
        return 0 if clean_end(code) else 1
    await asyncio.Event().wait()  # until killed
    return 0


# ---- --call ----------------------------------------------------------------------------


class CheckFailed(Exception):
    pass


def expect_eq(what, got, want):
    if got != want:
        raise CheckFailed("%s: expected %r, got %r" % (what, want, got))


def close_to(what, got, want):
    if abs(got - want) > 1e-9 * max(abs(want), 1.0):
        raise CheckFailed("%s: expected %r, got %r" % (what, want, got))


async def value(what, call):
    try:
        return await call
    except roam.RoamError as e:
        raise CheckFailed("%s: call failed: %s" % (what, e)) from None


async def user_error(what, call, want):
    try:
        got = await call
    except roam.UserError as e:
        if e.value != want:
            raise CheckFailed("%s: expected the user error %r, got %r" % (what, want, e.value))
        return
    except roam.RoamError as e:
        raise CheckFailed("%s: expected the user error %r, got %s" % (what, want, e)) from None
    raise CheckFailed("%s: expected the user error %r, got Ok(%r)" % (what, want, got))


async def feed(tx, items):
    for x in items:
        await tx.send(x)
    tx.close()


async def collect(rx):
    return [x async for x in rx]


async def check_echo(c):
    for text in ["hello", "", "héllo wörld ✓ 🦀"]:
        expect_eq("echo(%r)" % text, await value("echo", c.echo(text)), text)
    got = await asyncio.gather(c.echo("first"), c.echo("second"), c.echo("third"))
    expect_eq("pipelined echo", got, ["first", "second", "third"])


async def check_reverse(c):
    for text, want in [("hello", "olleh"), ("", ""), ("abc déf ✓", "✓ féd cba")]:
        expect_eq("reverse(%r)" % text, await value("reverse", c.reverse(text)), want)


async def check_divide(c):
    expect_eq("divide(84, 2)", await value("divide", c.divide(84, 2)), 42)
    expect_eq("divide(-7, 2)", await value("divide", c.divide(-7, 2)), -3)
    await user_error("divide(10, 0)", c.divide(10, 0), MathError.DivisionByZero)
    await user_error("divide(i64::MIN, -1)", c.divide(-(1 << 63), -1), MathError.Overflow)


async def check_lookup(c):
    for i in (1, 2, 3):
        expect_eq("lookup(%d)" % i, await value("lookup", c.lookup(i)), KNOWN_PEOPLE[i])
    await user_error("lookup(99)", c.lookup(99), LookupError.NotFound)


async def check_sum(c):
    async def sum_of(what, items):
        tx, rx = roam.channel()
        call = c.sum(rx)
        await feed(tx, items)
        return await value(what, call)
    expect_eq("sum(1..=100)", await sum_of("sum(1..=100)", range(1, 101)), 5050)
    expect_eq("sum([])", await sum_of("sum([])", []), 0)
    imax = (1 << 31) - 1
    expect_eq("sum([i32::MAX, i32::MAX, -5, 10])",
              await sum_of("sum(big)", [imax, imax, -5, 10]), 2 * imax + 5)


async def check_generate(c):
    for count in (5, 0, 300):
        tx, rx = roam.channel()
        got = asyncio.ensure_future(collect(rx))
        await value("generate(%d)" % count, c.generate(count, tx))
        try:
            items = await got
        except roam.RoamError as e:
            raise CheckFailed("generate(%d): the channel ended with %s" % (count, e)) from None
        expect_eq("generate(%d) items" % count, items, list(range(count)))


async def check_transform(c):
    for inputs in (["hello", "world", "", "ünïcödé ✓", "test"], []):
        what = "transform" if inputs else "transform([])"
        in_tx, in_rx = roam.channel()
        out_tx, out_rx = roam.channel()
        got = asyncio.ensure_future(collect(out_rx))
        call = c.transform(in_rx, out_tx)
        await feed(in_tx, inputs)
        await value(what, call)
        try:
            items = await got
        except roam.RoamError as e:
            raise CheckFailed("%s: the channel ended with %s" % (what, e)) from None
        expect_eq(what + " items", items, inputs)


async def check_echo_point(c):
    for p in (Point(3, -4), Point(-(1 << 31), (1 << 31) - 1)):
        expect_eq("echo_point", await value("echo_point", c.echo_point(p)), p)


async def check_create_person(c):
    expect_eq("create_person(Dana)",
              await value("create_person", c.create_person("Dana", 41, "dana@example.com")),
              Person("Dana", 41, "dana@example.com"))
    expect_eq("create_person(Éve)", await value("create_person", c.create_person("Éve", 255, None)),
              Person("Éve", 255, None))


async def check_rectangle_area(c):
    close_to("rectangle_area((1,2)-(4,6))",
             await value("rectangle_area", c.rectangle_area(Rectangle(Point(1, 2), Point(4, 6), "r"))),
             12.0)
    close_to("rectangle_area((10,10)-(0,5))",
             await value("rectangle_area",
                         c.rectangle_area(Rectangle(Point(10, 10), Point(0, 5), None))), 50.0)


async def check_parse_color(c):
    for name, want in [("red", Color.Red), ("green", Color.Green), ("blue", Color.Blue),
                       ("Blue", Color.Blue), ("purple", None), ("", None)]:
        expect_eq("parse_color(%r)" % name, await value("parse_color", c.parse_color(name)), want)


def sample_shapes():
    return [Shape.Circle(radius=2.0), Shape.Rectangle(width=3.0, height=4.5), Shape.Point()]


async def check_shape_area(c):
    for shape in sample_shapes():
        close_to("shape_area(%r)" % (shape,), await value("shape_area", c.shape_area(shape)),
                 shape_area_of(shape))


async def check_create_canvas(c):
    expect_eq("create_canvas",
              await value("create_canvas", c.create_canvas("sketch", sample_shapes(), Color.Green)),
              Canvas("sketch", sample_shapes(), Color.Green))
    expect_eq("create_canvas(empty)",
              await value("create_canvas", c.create_canvas("", [], Color.Red)),
              Canvas("", [], Color.Red))


async def check_process_message(c):
    for msg, want in [(Message.Text("hi"), Message.Text("processed: hi")),
                      (Message.Number(21), Message.Number(42)),
                      (Message.Number(-300), Message.Number(-600)),
                      (Message.Data(bytes([1, 2, 3, 255])), Message.Data(bytes([255, 3, 2, 1]))),
                      (Message.Data(b""), Message.Data(b""))]:
        expect_eq("process_message(%r)" % (msg,),
                  await value("process_message", c.process_message(msg)), want)


async def check_get_points(c):
    for count in (4, 0, 100):
        expect_eq("get_points(%d)" % count, await value("get_points", c.get_points(count)),
                  [Point(i, 2 * i) for i in range(count)])


async def check_swap_pair(c):
    for n, s in [(7, "seven"), (-1, "")]:
        expect_eq("swap_pair((%d, %r))" % (n, s), await value("swap_pair", c.swap_pair((n, s))),
                  (s, n))


CHECKS = [
    ("echo", check_echo), ("reverse", check_reverse), ("divide", check_divide),
    ("lookup", check_lookup), ("sum", check_sum), ("generate", check_generate),
    ("transform", check_transform), ("echo_point", check_echo_point),
    ("create_person", check_create_person), ("rectangle_area", check_rectangle_area),
    ("parse_color", check_parse_color), ("shape_area", check_shape_area),
    ("create_canvas", check_create_canvas), ("process_message", check_process_message),
    ("get_points", check_get_points), ("swap_pair", check_swap_pair),
]


async def report(name, coro):
    try:
        await asyncio.wait_for(coro, 10)
    except asyncio.TimeoutError:
        line("FAIL %s: timeout after 10s" % name)
        return False
    except CheckFailed as e:
        line("FAIL %s: %s" % (name, str(e).replace("\n", " ")))
        return False
    except Exception as e:
        line("FAIL %s: %s: %s" % (name, type(e).__name__, str(e).replace("\n", " ")))
        return False
    line("ok %s" % name)
    return True


async def check_virtual(s):
    conn = await s.open({"want": "accept"})
    c = Testbed.client(conn)
    expect_eq("virtual echo", await value("echo", c.echo("on a virtual connection")),
              "on a virtual connection")
    tx, rx = roam.channel()
    call = c.sum(rx)
    await feed(tx, [1, 2, 3, 4])
    expect_eq("virtual sum", await value("sum", call), 10)
    tx, rx = roam.channel()
    got = asyncio.ensure_future(collect(rx))
    await value("generate", c.generate(7, tx))
    expect_eq("virtual generate", await got, list(range(7)))
    conn.close({"bye": LANGUAGE})
    info = await asyncio.wait_for(conn.closed(), 5)
    if info.reason != 0:
        raise CheckFailed("virtual close: ended with %s" % roam.err_name(info.reason))


async def run_call(address):
    failed = 0
    try:
        s = await roam.connect(address)
    except roam.RoamError as e:
        sys.stderr.write("testbed.py: no session with %s: %s\n" % (address, e))
        line("RESULT fail")
        return 1
    c = Testbed.client(s.root)
    for name, check in CHECKS:
        if not await report(name, check(c)):
            failed += 1
    if not await report("virtual", check_virtual(s)):
        failed += 1
    # Done: let go of the root (the session ends once nothing else is open).
    try:
        if not s.ended:
            s.root.release()
            await asyncio.wait_for(s.wait_ended(), 5)
    except (asyncio.TimeoutError, roam.RoamError):
        pass
    await s.close()
    line("RESULT ok" if failed == 0 else "RESULT fail")
    return 0 if failed == 0 else 1


# ---- bench -----------------------------------------------------------------------------


def interop_echo_id():
    """Interop.echo(message: String) -> String, as roamcat serve answers it."""
    @roam.service(name="Interop")
    class Interop:
        async def echo(self, message: str) -> str: ...
    return Interop.methods()[0]


async def run_bench(address, calls, concurrency):
    minfo = interop_echo_id()
    payload = minfo.encode_args(("0123456789abcdef",), None, None)
    expect = minfo.encode_ok("0123456789abcdef")
    s = await roam.connect(address)
    conn = s.root
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    state = {"sent": 0, "ok": 0, "failed": 0}
    mid = minfo.id
    call_raw = conn.call_raw

    def on_done(status, value, md):
        if status == 0 and value == expect:
            state["ok"] += 1
        else:
            state["failed"] += 1
            if state["failed"] == 1:
                sys.stderr.write("bench: call failed: %s\n" % roam.err_name(status))
        if state["sent"] < calls:
            state["sent"] += 1
            call_raw(mid, payload, callback=on_done)
        elif state["ok"] + state["failed"] == calls and not done.done():
            done.set_result(None)

    t0 = time.perf_counter()
    for _ in range(min(concurrency, calls)):
        state["sent"] += 1
        call_raw(mid, payload, callback=on_done)
    if calls > 0:
        await done
    seconds = time.perf_counter() - t0
    line("BENCH calls=%d seconds=%.6f" % (state["ok"], seconds))
    await s.close()
    return 0 if state["failed"] == 0 else 1


def usage():
    sys.stderr.write("usage: testbed.py --listen ADDR [--once]\n"
                     "       testbed.py --call ADDR\n"
                     "       testbed.py bench ADDR CALLS CONCURRENCY\n")
    return 64


def main(argv):
    if len(argv) in (2, 3) and argv[0] == "--listen" and (len(argv) == 2 or argv[2] == "--once"):
        return asyncio.run(run_listen(argv[1], len(argv) == 3))
    if len(argv) == 2 and argv[0] == "--call":
        return asyncio.run(run_call(argv[1]))
    if len(argv) == 4 and argv[0] == "bench":
        return asyncio.run(run_bench(argv[1], int(argv[2]), int(argv[3])))
    return usage()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
