"""roam without async/await: the same sessions, calls and services, driven
by a private asyncio event loop that belongs to the calling thread.

    import roam.blocking
    with roam.blocking.connect("tcp://127.0.0.1:PORT") as s:
        client = s.client(Testbed)          # a blocking typed client
        print(client.echo("hi"))            # returns the value (or raises)

Thread model: each thread that uses roam.blocking gets its own event loop
(and libroam runtime); the objects it makes belong to that thread. Nothing
runs in the background: libroam's callbacks, your handlers (serve=) and
callbacks (on_open, ...) run on that same thread, only while it is inside
a call of this module (a client call, run(), run_for(), serve_forever(),
close(), ...). Handlers may be plain functions or coroutines.
"""
import asyncio
import threading

from . import _core

__all__ = ["connect", "listen", "run", "Session", "Server", "Connection", "loop"]

_local = threading.local()


def loop():
    """The calling thread's private event loop (made on first use)."""
    lp = getattr(_local, "loop", None)
    if lp is None or lp.is_closed():
        lp = asyncio.new_event_loop()
        _local.loop = lp
    return lp


def run(awaitable, timeout=None):
    """Runs an awaitable on the thread's loop until it is done (events of
    every session of this thread are handled meanwhile)."""
    lp = loop()
    if lp.is_running():
        raise RuntimeError("roam.blocking: called from inside a callback of the same thread; "
                           "use the async API there")

    async def go():
        if timeout is None:
            return await awaitable
        return await asyncio.wait_for(awaitable, timeout)
    return lp.run_until_complete(go())


def run_for(seconds):
    """Handles events (serves calls, ...) for `seconds`."""
    run(asyncio.sleep(seconds))


class BlockingCall:
    """A call in flight (from client.method.start(...)): result(timeout) waits."""

    def __init__(self, pending):
        self._pending = pending

    def result(self, timeout=None):
        return run(self._pending, timeout)

    def cancel(self):
        self._pending.cancel()


class _Method:
    __slots__ = ("_client", "_name")

    def __init__(self, client, name):
        self._client = client
        self._name = name

    def __call__(self, *args, **kwargs):
        """Calls the method and waits for its result."""
        timeout = kwargs.pop("timeout", None)
        return run(getattr(self._client, self._name)(*args, **kwargs), timeout)

    def start(self, *args, **kwargs):
        """Sends the call and returns a BlockingCall (for calls with channels:
        send or receive on them, then .result())."""
        return BlockingCall(getattr(self._client, self._name)(*args, **kwargs))


class Client:
    """A blocking typed client: client.method(args...) returns the value;
    client.method.start(args...) returns a BlockingCall."""

    def __init__(self, service_cls, conn, metadata=None):
        self._async = service_cls.client(conn._async, metadata)
        for m in service_cls.methods():
            setattr(self, m.method, _Method(self._async, m.method))


def _reads(attr, doc=None):
    """A read-only property giving the wrapped async object's attr (the
    blocking classes below are views of an async object held in _async)."""
    return property(lambda self: getattr(self._async, attr), doc=doc)


class Connection:
    """A blocking view of a roam.Connection (.async_conn is the async one)."""

    def __init__(self, conn):
        self._async = conn

    async_conn = property(lambda self: self._async)
    id = _reads("id")
    metadata = _reads("metadata")

    def client(self, service_cls, metadata=None):
        return Client(service_cls, self, metadata)

    def call_raw(self, method_id, payload=b"", timeout=None):
        return run(self._async.call_raw(method_id, payload), timeout)

    def close(self, metadata=None, wait=True, timeout=None):
        self._async.close(metadata)
        if wait:
            return self.closed(timeout)

    def closed(self, timeout=None):
        return run(self._async.closed(), timeout)

    def accept(self, metadata=None, serve=None):
        self._async.accept(metadata, serve)

    def reject(self, metadata=None):
        self._async.reject(metadata)

    def release(self):
        self._async.release()


def _wrap_events(kw):
    on_open = kw.get("on_open")
    if on_open is not None:
        kw["on_open"] = lambda c, md: on_open(Connection(c), md)
    on_closed = kw.get("on_conn_closed")
    if on_closed is not None:
        kw["on_conn_closed"] = lambda c, info: on_closed(Connection(c), info)
    return kw


class Session:
    """A blocking roam session; `with` closes it."""

    def __init__(self, s):
        self._async = s
        self.root = Connection(s.root) if s.root is not None else None

    async_session = property(lambda self: self._async)
    ended = _reads("ended")
    error = _reads("error")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def client(self, service_cls, metadata=None):
        """A blocking client of service_cls on the root connection."""
        return self.root.client(service_cls, metadata)

    def open(self, metadata=None, timeout=None, serve=None):
        return Connection(run(self._async.open(metadata, serve=serve), timeout))

    def run(self, awaitable, timeout=None):
        return run(awaitable, timeout)

    def run_for(self, seconds):
        run_for(seconds)

    def iterate(self, rx, timeout=None):
        """The items of a roam.Rx, one blocking receive at a time."""
        from ._lib import ChannelClosed
        while True:
            try:
                yield run(rx.recv(), timeout)
            except ChannelClosed:
                return

    def send(self, tx, item, timeout=None):
        run(tx.send(item), timeout)

    def wait_ended(self, timeout=None):
        return run(self._async.wait_ended(), timeout)

    def shutdown(self):
        self._async.shutdown()

    def close(self):
        run(self._async.close())


def connect(address, timeout=None, **kw):
    """roam.connect for this thread, blocking until the handshake is done."""
    return Session(run(_core.connect(address, **_wrap_events(kw)), timeout))


class Server:
    """A blocking listener: serve_forever(), run_for(s), accept(timeout)."""

    def __init__(self, srv):
        self._srv = srv
        self.address = srv.address
        self.port = srv.port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def accept(self, timeout=None):
        return Session(run(self._srv.accept(), timeout))

    def run_for(self, seconds):
        run_for(seconds)

    def serve_forever(self):
        run(asyncio.Event().wait())

    def close(self):
        run(self._srv.close())


def listen(address, **kw):
    """roam.listen for this thread: sessions are served while this thread is
    inside a call of roam.blocking (serve_forever, run_for, ...)."""
    on_session = kw.pop("on_session", None)
    if on_session is not None:
        kw["on_session"] = lambda s: on_session(Session(s))
    return Server(run(_core.listen(address, **_wrap_events(kw))))
