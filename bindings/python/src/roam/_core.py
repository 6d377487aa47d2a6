"""The asyncio side of libroam: runtime on the running loop, sessions,
connections, calls, served requests, channels, listeners.

Thread model: a libroam runtime belongs to one asyncio event loop (one per
loop, made on first use). Its backend fd is watched with loop.add_reader and
its next timer with loop.call_at; both run roam_runtime_run_nowait, as does
a call_soon after every API call that queues output. Every libroam callback,
and so every user callback and handler, runs on that loop's thread.

Lifetimes: C is only ever given integer keys as user_data (never object
pointers); the C-callable trampolines are module globals that live as long as
the process. A binding object whose C handle has had its final callback
drops the pointer: using it raises RoamError, it never reaches freed memory.
"""
import asyncio
import collections
import contextvars
import itertools
import sys
import threading
import traceback
from ctypes import byref, c_int, c_size_t, c_uint64, c_void_p, create_string_buffer, string_at

from . import _lib
from ._lib import (ChannelClosed, ConnectionRejected, RoamError, UserError, check, lib)
from . import _types
from ._types import RECEIVE, SEND

DEFAULT_CREDIT = 16

# key -> object, for every C user_data. Keys start at 1 (0 would be NULL).
_objs = {}
_keys = itertools.count(1)


def _register(obj):
    k = next(_keys)
    _objs[k] = obj
    return k


# ---- metadata ------------------------------------------------------------------------

MetadataEntry = collections.namedtuple("MetadataEntry", "key value flags")


class Metadata(list):
    """Ordered metadata entries (key, value, flags); value is str, bytes or int
    (u64). get(key) gives the first value of a key."""

    def get(self, key, default=None):
        for e in self:
            if e.key == key:
                return e.value
        return default

    def as_dict(self):
        d = {}
        for e in self:
            d.setdefault(e.key, e.value)
        return d


def _md_new(md):
    """An owned roam_metadata* for md (None -> None). Free with lib.roam_metadata_free."""
    if md is None:
        return None
    if isinstance(md, dict):
        items = [(k, v, 0) for k, v in md.items()]
    else:
        items = [tuple(e) if len(e) == 3 else (e[0], e[1], 0) for e in md]
    p = c_void_p()
    check(lib.roam_metadata_new(byref(p)), "roam_metadata_new")
    try:
        for k, v, flags in items:
            kb = k.encode("utf-8")
            if isinstance(v, str):
                vb = v.encode("utf-8")
                check(lib.roam_metadata_add_string(p, kb, len(kb), vb, len(vb), flags),
                      "roam_metadata_add_string")
            elif isinstance(v, (bytes, bytearray)):
                check(lib.roam_metadata_add_bytes(p, kb, len(kb), bytes(v), len(v), flags),
                      "roam_metadata_add_bytes")
            elif isinstance(v, int) and not isinstance(v, bool):
                check(lib.roam_metadata_add_u64(p, kb, len(kb), v, flags), "roam_metadata_add_u64")
            else:
                raise TypeError("metadata value for %r must be str, bytes or int" % k)
    except BaseException:
        lib.roam_metadata_free(p)
        raise
    return p.value


def _md_read(p):
    md = Metadata()
    if not p:
        return md
    n = lib.roam_metadata_count(p)
    key, klen, kind, val, vlen = c_void_p(), c_size_t(), c_int(), c_void_p(), c_size_t()
    u64, flags = c_uint64(), c_uint64()
    for i in range(n):
        if lib.roam_metadata_get(p, i, byref(key), byref(klen), byref(kind), byref(val),
                                 byref(vlen), byref(u64), byref(flags)) != 0:
            break
        k = string_at(key.value, klen.value).decode("utf-8", "replace") if klen.value else ""
        if kind.value == 2:
            v = u64.value
        else:
            raw = string_at(val.value, vlen.value) if vlen.value else b""
            v = raw.decode("utf-8", "replace") if kind.value == 0 else raw
        md.append(MetadataEntry(k, v, flags.value))
    return md


class _MdArg:
    """A metadata argument for the duration of one C call."""
    __slots__ = ("p",)

    def __init__(self, md):
        self.p = _md_new(md)

    def __enter__(self):
        return self.p

    def __exit__(self, *exc):
        if self.p:
            lib.roam_metadata_free(self.p)


# ---- reporting errors from callbacks --------------------------------------------------


def _report(exc, where, session=None, loop=None):
    """A user callback raised: tell the session's on_error, else the loop's
    exception handler; never let it reach C."""
    try:
        handler = session._on_error if session is not None else None
        if handler is not None:
            try:
                handler(exc, where)
                return
            except BaseException as e2:  # the reporter itself failed
                exc = e2
        lp = loop or (session._rt.loop if session is not None else None)
        if lp is None:
            try:
                lp = asyncio.get_event_loop()
            except RuntimeError:
                lp = None
        if lp is not None:
            lp.call_exception_handler({"message": "roam: exception in %s" % where,
                                       "exception": exc})
        else:
            sys.stderr.write("roam: exception in %s\n" % where)
            traceback.print_exception(type(exc), exc, exc.__traceback__)
    except BaseException:  # pragma: no cover - last resort, never raise into C
        pass


# ---- from C -----------------------------------------------------------------------------


def _trampoline(cb_type, where, method, ud_at=1, if_gone=None):
    """The C-callable (a module global: it lives as long as the process) for
    one libroam callback whose argument ud_at is user_data: calls
    method(obj, *the arguments after it) on the object registered under that
    key; if the object is gone, if_gone(*all the arguments) answers what C
    still expects. Nothing raised reaches C: it goes to _report."""
    def tramp(*args):
        obj = _objs.get(args[ud_at])
        try:
            if obj is not None:
                method(obj, *args[ud_at + 1:])
            elif if_gone is not None:
                if_gone(*args)
        except BaseException as e:
            _report(e, where, _session_of(obj))
    return cb_type(tramp)


def _session_of(obj):
    """The session whose on_error hears about obj's callbacks (or None)."""
    if isinstance(obj, Session):
        return obj
    conn = getattr(obj, "conn", None)
    return conn.session if conn is not None else None


# ---- the runtime on an asyncio loop ---------------------------------------------------

_runtimes = {}


class Runtime:
    def __init__(self, loop):
        self.loop = loop
        self.thread = threading.get_ident()
        p = c_void_p()
        check(lib.roam_runtime_new(byref(p)), "roam_runtime_new")
        self.ptr = p.value
        self.fd = lib.roam_runtime_backend_fd(self.ptr)
        loop.add_reader(self.fd, self._pump)
        self.users = 0
        self._scheduled = False
        self._timer = None
        self._timer_at = 0.0
        self._tmo = c_int()
        self._tmo_ref = byref(self._tmo)
        self._freeing = False

    def check_thread(self):
        if threading.get_ident() != self.thread:
            raise RuntimeError("roam: objects of a runtime are used only on its event loop's "
                               "thread")
        if self.ptr is None:
            raise RoamError(_lib.ECLOSED, "runtime", "the runtime was freed")

    def kick(self):
        """Turn the libroam loop soon (output queued by an API call)."""
        if not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._pump)

    def _pump(self):
        self._scheduled = False
        if self.ptr is None:
            return
        lib.roam_runtime_run_nowait(self.ptr)
        if self.ptr is None:
            return
        lib.roam_runtime_backend_timeout(self.ptr, self._tmo_ref)
        t = self._tmo.value
        if t < 0:
            return
        at = self.loop.time() + t / 1000.0
        if self._timer is not None:
            if self._timer_at <= at + 0.0005:
                return
            self._timer.cancel()
        self._timer_at = at
        self._timer = self.loop.call_at(at, self._on_timer)

    def _on_timer(self):
        self._timer = None
        self._pump()

    def acquire(self):
        self.users += 1

    def release(self):
        self.users -= 1
        if self.users <= 0 and not self._freeing:
            self._freeing = True
            self.loop.call_soon(self._try_free)

    def _try_free(self):
        self._freeing = False
        if self.users > 0 or self.ptr is None:
            return
        if self.loop.is_closed():
            return
        self.loop.remove_reader(self.fd)
        rc = lib.roam_runtime_free(self.ptr)
        if rc == _lib.ESTATE:  # something still closing: later
            self.loop.add_reader(self.fd, self._pump)
            self._freeing = True
            self.loop.call_later(0.01, self._try_free)
            self.kick()
            return
        self.ptr = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if _runtimes.get(self.loop) is self:
            del _runtimes[self.loop]


def _runtime():
    loop = asyncio.get_running_loop()
    rt = _runtimes.get(loop)
    if rt is None or rt.ptr is None:
        rt = Runtime(loop)
        _runtimes[loop] = rt
    return rt


# ---- channels ------------------------------------------------------------------------


class _ChanState:
    """What both ends of a channel share: its (conn, id) once open or bound."""

    def __init__(self, item_type=None):
        self.codec = _types.codec_for(item_type) if item_type is not None else None
        self.conn = None
        self.id = None
        self.direction = None
        self.key = None
        self.attached = False
        self.ended = False
        self.closing = False
        self.end_reason = None
        self.end_md = None
        self.items = collections.deque()
        self.waiter = None
        self.writable_waiter = None
        self.on_item = None
        self.on_end = None
        self.end_delivered = False
        self.pending_grant = 0
        self.dropped = set()  # SEND / RECEIVE: that end's object was garbage-collected

    def describe(self):
        if not self.attached:
            return "(not in a call yet)"
        return "conn=%s id=%s%s" % (self.conn.id, self.id, " ended" if self.ended else "")

    # -- attaching
    def open(self, conn, direction, codec):
        """Opens the channel on conn (a call argument we encode)."""
        self._attach(conn, direction, codec, "roam_conn_channel_open",
                     lambda cid: lib.roam_conn_channel_open(
                         conn._ptr, direction, 0, _item_tramp, _end_tramp, _chwritable_tramp,
                         self.key, byref(cid)))

    def bind(self, conn, cid, direction, codec):
        """Binds the channel id cid of conn (a served call's argument)."""
        def c_bind(out):
            out.value = cid
            return lib.roam_conn_channel_bind(conn._ptr, cid, direction, 0, _item_tramp,
                                              _end_tramp, _chwritable_tramp, self.key)
        self._attach(conn, direction, codec, "roam_conn_channel_bind", c_bind)

    def _attach(self, conn, direction, codec, what, c_attach):
        if self.attached:
            raise RoamError(_lib.ESTATE, "channel", "this channel is in a call already")
        if codec is not None:
            self.codec = codec
        self.conn = conn
        self.direction = direction
        self.key = _register(self)
        cid = c_uint64()
        rc = c_attach(cid)
        if rc < 0:
            _objs.pop(self.key, None)
            self.conn = None
            check(rc, what)
        self.id = cid.value
        self.attached = True
        if direction == RECEIVE:
            lib.roam_channel_set_manual_credit(conn._ptr, self.id, 1)
        if direction in self.dropped:  # our end was let go before the call: end it
            conn._rt.loop.call_soon(self.release)

    # -- ending our side when nobody uses it
    def unwind(self):
        """A call that opened this channel failed: end it again."""
        self._end_our_side()

    def release(self):
        """Our end will not be used any more (its request finished, or the
        program dropped it): close a Tx that is still open; reset an Rx that
        has not ended so its sender stops instead of waiting for credit. An
        Rx with an item handler (set_handler) is left alone: it is read."""
        if self.direction == SEND and not self.closing:
            self.closing = True
            self._end_our_side()
        elif self.direction == RECEIVE and self.on_item is None:
            self._end_our_side()

    def _end_our_side(self):
        if self.attached and not self.ended and self.conn._ptr is not None:
            if self.direction == SEND:
                lib.roam_channel_close(self.conn._ptr, self.id, None)
            else:
                lib.roam_channel_reset(self.conn._ptr, self.id, None)
            self.conn._rt.kick()

    def end_dropped(self, direction):
        """Tx/Rx.__del__ (on any thread): the program let go of the end that
        sends (direction SEND) or receives. Once that is our end of a channel
        in a call, release it on the loop's thread, as Rust's Drop would."""
        self.dropped.add(direction)
        if self.attached and direction == self.direction and not self.ended:
            rt = self.conn._rt
            try:
                if threading.get_ident() == rt.thread:
                    rt.loop.call_soon(self.release)
                else:
                    rt.loop.call_soon_threadsafe(self.release)
            except RuntimeError:  # the loop is closed: the session is gone too
                pass

    def _usable(self, op, direction):
        if not self.attached:
            raise RoamError(_lib.ESTATE, op, "the channel is not in a call yet (pass its other "
                            "end as a call argument first)")
        self.conn._rt.check_thread()
        if self.direction != direction:
            raise RoamError(_lib.EINVAL, op, "wrong direction for this end")
        if self.ended:
            raise self._end_error(op)
        if self.conn._ptr is None:
            raise RoamError(_lib.ECLOSED, op, "the connection is closed")

    def _end_error(self, op):
        r = self.end_reason
        if r == 0 or r is None:
            return RoamError(_lib.ECLOSED, op, "the channel is closed")
        return RoamError(r, op, "the channel ended")

    # -- sending
    def _encode(self, item):
        out = bytearray()
        self.codec.enc(item, out, None)
        return bytes(out)

    def send_nowait(self, item):
        self._usable("Tx.send", SEND)
        if self.closing:
            raise RoamError(_lib.ECLOSED, "Tx.send", "the channel was closed")
        data = self._encode(item)
        check(lib.roam_channel_send(self.conn._ptr, self.id, data, len(data)), "roam_channel_send")
        self.conn._rt.kick()

    async def send(self, item):
        self._usable("Tx.send", SEND)
        if self.closing:
            raise RoamError(_lib.ECLOSED, "Tx.send", "the channel was closed")
        data = self._encode(item)
        while True:
            rc = lib.roam_channel_send(self.conn._ptr, self.id, data, len(data))
            if rc == 0:
                self.conn._rt.kick()
                return
            if rc != _lib.EAGAIN:
                check(rc, "roam_channel_send")
            self.writable_waiter = self.conn._rt.loop.create_future()
            self.conn._rt.kick()
            await self.writable_waiter
            self._usable("Tx.send", SEND)

    def close(self, metadata):
        self._usable("Tx.close", SEND)
        if self.closing:
            raise RoamError(_lib.ECLOSED, "Tx.close", "the channel was closed already")
        with _MdArg(metadata) as md:
            check(lib.roam_channel_close(self.conn._ptr, self.id, md), "roam_channel_close")
        self.closing = True
        self.conn._rt.kick()

    def reset(self, metadata):
        self._usable("Rx.reset", RECEIVE)
        with _MdArg(metadata) as md:
            check(lib.roam_channel_reset(self.conn._ptr, self.id, md), "roam_channel_reset")
        self.conn._rt.kick()

    # -- receiving
    def _taken(self):
        self.pending_grant += 1
        if self.pending_grant >= DEFAULT_CREDIT // 2 and not self.ended and \
                self.conn._ptr is not None:
            n, self.pending_grant = self.pending_grant, 0
            lib.roam_channel_grant(self.conn._ptr, self.id, n)
            self.conn._rt.kick()

    async def recv(self):
        if not self.attached:
            raise RoamError(_lib.ESTATE, "Rx.recv", "the channel is not in a call yet")
        if self.direction != RECEIVE:
            raise RoamError(_lib.EINVAL, "Rx.recv", "wrong direction for this end")
        if self.on_item is not None:
            raise RoamError(_lib.ESTATE, "Rx.recv", "the channel has a handler")
        while True:
            if self.items:
                item = self.items.popleft()
                self._taken()
                return item
            if self.ended:
                if not self.end_reason:
                    raise ChannelClosed("Rx.recv")
                raise self._end_error("Rx.recv")
            self.waiter = self.conn._rt.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None

    def set_handler(self, on_item, on_end):
        self.on_item = on_item
        self.on_end = on_end
        while self.items:
            self._deliver(self.items.popleft())
        self._deliver_end()

    def _deliver(self, item):
        try:
            self.on_item(item)
        except BaseException as e:
            _report(e, "a channel item handler", self.conn.session if self.conn else None)
        if self.attached:
            self._taken()

    def _deliver_end(self):
        if self.ended and not self.end_delivered and self.on_end is not None:
            self.end_delivered = True
            try:
                self.on_end(self.end_reason)
            except BaseException as e:
                _report(e, "a channel end handler", self.conn.session if self.conn else None)

    # -- from C
    def _c_item(self, ptr, n):
        if self.ended:
            return
        data = string_at(ptr, n) if n else b""
        try:
            item, pos = self.codec.dec(data, 0, None)
            if pos != len(data):
                raise RoamError(_lib.ETRAILING, "decode", "bytes left over in a channel item")
        except Exception as e:
            code = e.code if isinstance(e, RoamError) else _lib.EINVALIDPAYLOAD
            if self.conn._ptr is not None:
                lib.roam_channel_reset(self.conn._ptr, self.id, None)
                self.conn._rt.kick()
            self._end(code, None)
            return
        if self.on_item is not None:
            self._deliver(item)
        else:
            self.items.append(item)
            w = self.waiter
            if w is not None and not w.done():
                w.set_result(None)

    def _c_end(self, reason, md):
        self._end(reason, _md_read(md) if md else None)

    def _end(self, reason, md):
        if self.ended:
            return
        self.ended = True
        self.end_reason = reason
        self.end_md = md
        _objs.pop(self.key, None)
        for w in (self.waiter, self.writable_waiter):
            if w is not None and not w.done():
                w.set_result(None)
        self._deliver_end()

    def _c_writable(self):
        w = self.writable_waiter
        if w is not None and not w.done():
            w.set_result(None)


def channel(item_type=None):
    """A new channel: (tx, rx). Pass one end as a call argument (an Rx for a
    method taking Rx[T], a Tx for one taking Tx[T]) and use the other; the
    item type comes from the method's signature (or give it here)."""
    st = _ChanState(item_type)
    return _types.Tx(st), _types.Rx(st)


# a channel's callbacks: (conn, channel id, user_data, ...)
_item_tramp = _trampoline(_lib.item_cb, "channel item", _ChanState._c_item, ud_at=2)
_end_tramp = _trampoline(_lib.end_cb, "channel end", _ChanState._c_end, ud_at=2)
_chwritable_tramp = _trampoline(_lib.writable_ch_cb, "channel writable", _ChanState._c_writable,
                                ud_at=2)


class _CallCtx:
    """Channels met while encoding a call's arguments (we open them)."""
    __slots__ = ("conn", "channels", "states")

    def __init__(self, conn):
        self.conn = conn
        self.channels = []
        self.states = []

    def attach(self, end, kind, item_codec):
        want = _types.Rx if kind == "rx" else _types.Tx
        if not isinstance(end, want):
            raise TypeError("this argument is a %s: pass the %s end of roam.channel()" % (
                want.__name__, want.__name__))
        st = end._state
        # an Rx in the arguments: the peer receives, we send (and vice versa)
        st.open(self.conn, SEND if kind == "rx" else RECEIVE, item_codec)
        self.channels.append(st.id)
        self.states.append(st)

    def unwind(self):
        for st in self.states:
            st.unwind()


class _ServeCtx:
    """Channels met while decoding a served call's arguments (we bind them)."""
    __slots__ = ("conn", "channels", "next", "states")

    def __init__(self, conn, channels):
        self.conn = conn
        self.channels = channels
        self.next = 0
        self.states = []

    def bind(self, kind, item_codec):
        if self.next >= len(self.channels):
            raise RoamError(_lib.EINVALIDPAYLOAD, "decode", "fewer channels than the signature")
        cid = self.channels[self.next]
        self.next += 1
        st = _ChanState()
        # a Tx argument: we send on it; an Rx: we receive
        st.bind(self.conn, cid, SEND if kind == "tx" else RECEIVE, item_codec)
        self.states.append(st)
        return _types.Tx(st) if kind == "tx" else _types.Rx(st)


# ---- calls ----------------------------------------------------------------------------


class _PendingCall:
    """A call in flight: await it for the result. Cancelling the awaiting task
    (asyncio.wait_for, task.cancel()) sends Cancel for it."""
    __slots__ = ("fut", "conn", "request_id", "minfo", "done_cb", "__weakref__")

    def __init__(self, fut, conn, minfo, done_cb=None):
        self.fut = fut
        self.conn = conn
        self.minfo = minfo
        self.request_id = None
        self.done_cb = done_cb

    def __await__(self):
        try:
            return (yield from self.fut.__await__())
        except asyncio.CancelledError:
            self._cancel()
            raise

    def _cancel(self):
        c = self.conn
        if self.request_id is not None and c._ptr is not None:
            rc = lib.roam_call_cancel(c._ptr, self.request_id, None)
            c._rt.kick()
            return rc
        return _lib.ENOTFOUND

    def cancel(self):
        """Sends Cancel: awaiting the call then raises asyncio.CancelledError.
        RoamError(ENOTFOUND) if the call has completed already."""
        self.conn._rt.check_thread()
        if self.fut is not None and self.fut.done():
            raise RoamError(_lib.ENOTFOUND, "cancel", "the call has completed")
        rc = self._cancel()
        if rc < 0:
            raise RoamError(rc, "cancel", "the call is not in flight")
        if self.fut is not None:
            self.fut.cancel()

    def done(self):
        return self.fut.done()

    def _complete(self, status, md, value):
        cb = self.done_cb
        if cb is not None:  # raw callback mode
            try:
                cb(status, value, md)
            except BaseException as e:
                _report(e, "a call's completion callback", self.conn.session)
            return
        fut = self.fut
        if fut.done():
            return
        minfo = self.minfo
        try:
            if status == 0:
                if minfo is None:
                    fut.set_result(value)
                else:
                    fut.set_result(minfo.decode_ok(value))
            elif status == _lib.EUSER and minfo is not None:
                fut.set_exception(UserError(minfo.decode_err(value), minfo.name))
            else:
                detail = ""
                if md is not None:
                    detail = md.get("roam-error", "") or ""
                fut.set_exception(RoamError(status, minfo.name if minfo else "call", detail))
        except Exception as e:  # the value does not decode
            fut.set_exception(e if isinstance(e, RoamError) else RoamError(
                _lib.EINVALIDPAYLOAD, minfo.name if minfo else "call", str(e)))


@_lib.response_cb
def _response_tramp(conn, ud, request_id, status, md, value, n):
    try:
        pc = _objs.pop(ud, None)
        if pc is None:
            return
        pc._complete(status, _md_read(md) if (md and status != 0) else None,
                     string_at(value, n) if n else b"")
        c = pc.conn
        if c._backlog:
            c._flush_backlog()
    except BaseException as e:
        _report(e, "call response")



def _chan_array(ids):
    if not ids:
        return None, 0
    arr = (c_uint64 * len(ids))(*ids)
    return arr, len(ids)


# ---- connections ----------------------------------------------------------------------

CLOSE_LOCAL, CLOSE_REMOTE, CLOSE_SESSION = 0, 1, 2
CloseInfo = collections.namedtuple("CloseInfo", "origin reason metadata")


class Connection:
    """The root (id 0) or a virtual connection of a session. Calls go out on it;
    it serves what its session (or accept(serve=...)) serves."""

    def __init__(self, session, ptr, inbound=False):
        self.session = session
        self._rt = session._rt
        self._ptr = ptr
        cid = c_uint64()
        lib.roam_conn_id(ptr, byref(cid))
        self.id = cid.value
        self.inbound = inbound
        self.metadata = Metadata()  # the open metadata (inbound) or the accept's (outbound)
        self._dispatch = None
        self._backlog = collections.deque()
        self._closed = session._rt.loop.create_future()
        self._open_fut = None
        self._pending = inbound
        self._decided = not inbound

    def __repr__(self):
        return "<roam.Connection id=%d%s>" % (self.id, "" if self._ptr else " closed")

    @property
    def is_open(self):
        return self._ptr is not None and not self._pending

    def _usable(self, op):
        self._rt.check_thread()
        if self._ptr is None:
            raise RoamError(_lib.ECLOSED, op, "connection %d is closed" % self.id)

    # -- deciding inbound opens
    def accept(self, metadata=None, serve=None, max_concurrent_requests=0):
        """Accepts a pending inbound open (with our metadata); serve= what to
        serve on it (default: what the session serves)."""
        self._usable("accept")
        if self._decided:
            raise RoamError(_lib.ESTATE, "accept", "decided already")
        if serve is not None:
            from . import _service
            self._dispatch = _service.dispatcher(serve)
        with _MdArg(metadata) as md:
            check(lib.roam_conn_accept(self._ptr, 0, max_concurrent_requests, md),
                  "roam_conn_accept")
        self._decided = True
        self._pending = False
        self._rt.kick()

    def reject(self, metadata=None):
        """Rejects a pending inbound open; the connection is gone afterwards."""
        self._usable("reject")
        if self._decided:
            raise RoamError(_lib.ESTATE, "reject", "decided already")
        with _MdArg(metadata) as md:
            rc = lib.roam_conn_reject(self._ptr, md)
        self._decided = True
        self._gone(CloseInfo(CLOSE_LOCAL, _lib.EREJECTED, Metadata()))
        check(rc, "roam_conn_reject")
        self._rt.kick()

    def close(self, metadata=None):
        """Closes a virtual connection with metadata (await closed() for the end)."""
        self._usable("close")
        with _MdArg(metadata) as md:
            check(lib.roam_conn_close(self._ptr, md), "roam_conn_close")
        self._rt.kick()

    def release(self):
        """Done with this connection (for the root: the session ends once no
        virtual connection is left)."""
        self._usable("release")
        check(lib.roam_conn_release(self._ptr), "roam_conn_release")
        self._rt.kick()

    async def closed(self):
        """Waits until the connection is gone: CloseInfo(origin, reason, metadata)."""
        return await asyncio.shield(self._closed)

    def _gone(self, info):
        self._ptr = None
        self.session._conns.pop(self, None)
        if not self._closed.done():
            self._closed.set_result(info)
        bl, self._backlog = self._backlog, collections.deque()
        for entry in bl:
            entry[0]._complete(_lib.ECLOSED, None, b"")

    # -- calls
    def call_raw(self, method_id, payload=b"", channels=(), metadata=None, callback=None):
        """Calls method_id with postcard-encoded payload. Returns an awaitable
        giving the Ok bytes (RoamError otherwise); with callback, calls
        callback(status, value_bytes, metadata) once instead (status 0 = Ok,
        else a ROAM_E* code; EUSER with the error's bytes)."""
        self._usable("call")
        pc = _PendingCall(None if callback else self._rt.loop.create_future(), self, None,
                          callback)
        self._start(pc, method_id, payload, channels, metadata)
        return pc

    def _start(self, pc, method_id, payload, channels, metadata):
        key = _register(pc)
        arr, n = _chan_array(channels)
        rid = c_uint64()
        md = _md_new(metadata) if metadata is not None else None
        try:
            rc = lib.roam_conn_call(self._ptr, method_id, arr, n, md, payload, len(payload),
                                    _response_tramp, key, byref(rid))
        finally:
            if md:
                lib.roam_metadata_free(md)
        if rc == 0:
            pc.request_id = rid.value
            self._rt.kick()
            return
        _objs.pop(key, None)
        if rc == _lib.EAGAIN:  # the peer's limit of calls in flight: wait for a completion
            self._backlog.append((pc, method_id, payload, channels, metadata))
            return
        check(rc, "roam_conn_call")

    def _flush_backlog(self):
        while self._backlog and self._ptr is not None:
            pc, method_id, payload, channels, metadata = self._backlog.popleft()
            if pc.fut is not None and pc.fut.done():
                continue
            try:
                self._start(pc, method_id, payload, channels, metadata)
            except RoamError as e:
                pc._complete(e.code, None, b"")
                continue
            if self._backlog and self._backlog[-1][0] is pc:
                # went back to the end of the queue: restore order and stop
                self._backlog.rotate(1)
                return

    def _call_typed(self, minfo, args, kwargs, metadata):
        self._usable(minfo.name)
        ctx = _CallCtx(self) if minfo.has_channels else None
        try:
            payload = minfo.encode_args(args, kwargs, ctx)
            pc = _PendingCall(self._rt.loop.create_future(), self, minfo)
            self._start(pc, minfo.id, payload, ctx.channels if ctx else (), metadata)
        except BaseException:
            if ctx is not None:
                ctx.unwind()
            raise
        return pc


# ---- serving --------------------------------------------------------------------------


_current_request = contextvars.ContextVar("roam_current_request", default=None)

Request = collections.namedtuple("Request", "connection method metadata request_id")
Request.__doc__ = """The request a handler is serving (roam.current_request()):
its Connection, method name ("Service.method"), the caller's Metadata and
request id."""


def current_request():
    """The Request the running handler serves (None outside a handler). A
    handler's coroutine, and tasks it starts, see their own request."""
    return _current_request.get()


class _Served:
    """A request being served; channels are the ends its arguments bound."""
    __slots__ = ("conn", "request_id", "minfo", "task", "answered", "session", "channels")

    def __init__(self, session, conn, request_id, minfo, channels):
        self.session = session
        self.conn = conn
        self.request_id = request_id
        self.minfo = minfo
        self.task = None
        self.answered = False
        self.channels = channels


def _finish(sv):
    """The request is over (answered, failed, given up): False if it was
    already. Its channels belong to it, so they end with it, before the
    answer goes out: a Tx the handler did not close is closed, an Rx it did
    not read to the end is reset (_ChanState.release)."""
    if sv.answered:
        return False
    sv.answered = True
    sv.session._served.pop((sv.conn, sv.request_id), None)
    for st in sv.channels:
        st.release()
    return True


def _reply(sv, reply, data):
    """Answers with reply (roam_reply_ok or roam_reply_user_error) and data."""
    if _finish(sv) and sv.conn._ptr is not None:
        reply(sv.conn._ptr, sv.request_id, None, data, len(data))
        sv.conn._rt.kick()


def _answer(sv, result):
    """Answers a served request with a handler's return value."""
    if sv.answered:
        return
    minfo = sv.minfo
    try:
        if minfo.is_result and isinstance(result, _types.Err):
            reply, data = lib.roam_reply_user_error, minfo.encode_err(result.error)
        else:
            if isinstance(result, _types.Ok):
                result = result.value
            reply, data = lib.roam_reply_ok, minfo.encode_ok(result)
    except Exception as e:
        _fail_served(sv, e, "the value %s returned does not encode" % minfo.name, force=True)
        return
    _reply(sv, reply, data)


def _fail_served(sv, exc, what, force=False):
    """A handler raised (or returned what does not encode): the caller gets a
    Cancelled response whose metadata says why; the session goes on. A
    UserError of a Result method (unless force) is the method's Err."""
    if sv.answered:
        return
    if isinstance(exc, UserError) and sv.minfo.is_result and not force:
        try:
            data = sv.minfo.encode_err(exc.value)
        except Exception as e:
            exc = e
        else:
            _reply(sv, lib.roam_reply_user_error, data)
            return
    _finish(sv)
    text = "%s: %s raised %s: %s" % (sv.minfo.name, what, type(exc).__name__, exc)
    if sv.conn._ptr is not None:
        with _MdArg({"roam-error": text}) as md:
            lib.roam_reply_fail(sv.conn._ptr, sv.request_id, _lib.ECANCELLED, md)
        sv.conn._rt.kick()
    _report(exc, "the handler of %s" % sv.minfo.name, sv.session)


def _handler_done(sv, task):
    """An async handler finished: answer with what it returned or raised."""
    if task.cancelled():
        # cancelled by the user: give up on the request
        if _finish(sv) and sv.conn._ptr is not None:
            lib.roam_reply_release(sv.conn._ptr, sv.request_id)
            sv.conn._rt.kick()
        return
    exc = task.exception()
    if exc is not None:
        _fail_served(sv, exc, "the handler")
        return
    _answer(sv, task.result())


# ---- sessions -------------------------------------------------------------------------


def _retrieved(fut):
    """A future that may fail with nobody awaiting it (an accepted session's
    handshake, an abandoned open): no 'exception was never retrieved' noise."""
    fut.add_done_callback(lambda f: f.cancelled() or f.exception())
    return fut


class Session:
    """One roam session (one transport). `async with` closes it.

    .root is the root connection; open() opens virtual connections. Events:
    on_open(conn, metadata) for inbound opens (call conn.accept / conn.reject;
    without it they are rejected), on_conn_closed(conn, CloseInfo),
    on_keepalive_timeout(session), on_error(exc, where) for exceptions raised
    by handlers and callbacks (default: the loop's exception handler)."""

    def __init__(self, rt, serve=None, on_open=None, on_conn_closed=None,
                 on_keepalive_timeout=None, on_error=None, server=None):
        from . import _service
        self._rt = rt
        self._ptr = None
        self.key = _register(self)
        loop = rt.loop
        self._handshake = _retrieved(loop.create_future())
        self._ended = loop.create_future()
        self._closed = loop.create_future()
        self._dispatch = _service.dispatcher(serve) if serve is not None else None
        self._on_open = on_open
        self._on_conn_closed = on_conn_closed
        self._on_keepalive_timeout = on_keepalive_timeout
        self._on_error = on_error
        self._server = server
        self._conns = {}  # Connection -> None, by pointer below
        self._by_ptr = {}
        self._served = {}
        self.root = None
        self.peer_metadata = None
        self.keepalive_timed_out = False
        self.error = None  # (code, reason) once ended
        self._closing = False
        self._pings = {}

    def __repr__(self):
        return "<roam.Session %s>" % ("ended" if self.error else "open")

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    # -- the C side
    def _conn(self, ptr, inbound=False):
        c = self._by_ptr.get(ptr)
        if c is None or c._ptr != ptr:
            c = Connection(self, ptr, inbound)
            self._by_ptr[ptr] = c
            self._conns[c] = None
        return c

    def _forget(self, c):
        if self._by_ptr.get(c._ptr if c._ptr else -1) is c:
            del self._by_ptr[c._ptr]
        for p, x in list(self._by_ptr.items()):
            if x is c:
                del self._by_ptr[p]

    def _c_handshake(self, status, md):
        if status == 0:
            root = c_void_p()
            lib.roam_session_root(self._ptr, byref(root))
            self.root = self._conn(root.value)
            self.peer_metadata = _md_read(md)
            if not self._handshake.done():
                self._handshake.set_result(self)
            if self._server is not None:
                self._server._established(self)
        elif not self._handshake.done():
            self._handshake.set_exception(RoamError(status, "handshake"))

    def _c_end(self, error, reason):
        text = reason.decode("utf-8", "replace") if reason else ""
        self.error = (error, text)
        if not self._handshake.done():
            self._handshake.set_exception(RoamError(error or _lib.ECLOSED, "handshake", text))
        if not self._ended.done():
            self._ended.set_result(self.error)
        for c in list(self._conns):
            if c._ptr is not None:
                c._gone(CloseInfo(CLOSE_SESSION, error, Metadata()))
        pings, self._pings = self._pings, {}
        for fut in pings.values():
            if not fut.done():
                fut.set_exception(RoamError(error or _lib.ECLOSED, "ping", text))
        self._rt.loop.call_soon(self._auto_close)

    def _auto_close(self):
        if not self._closing and self._ptr is not None:
            self._start_close()

    def _c_closed(self):
        self._ptr = None
        _objs.pop(self.key, None)
        if not self._closed.done():
            self._closed.set_result(None)
        if self._server is not None:
            self._server._sessions.pop(self, None)
        self._rt.release()

    def _c_inbound_open(self, cptr, md):
        c = self._conn(cptr, inbound=True)
        c.metadata = _md_read(md)
        if self._on_open is None:
            c.reject(None)
            return
        try:
            self._on_open(c, c.metadata)
        except BaseException as e:
            _report(e, "on_open", self)
            if not c._decided and c._ptr is not None:
                c.reject({"error": "the acceptor raised %s" % type(e).__name__})

    def _c_open_result(self, cptr, status, md):
        c = self._by_ptr.get(cptr)
        if c is None:
            return
        m = _md_read(md)
        c.metadata = m
        f = c._open_fut
        if status == 0:
            c._pending = False
            if f is not None and not f.done():
                f.set_result(c)
        else:
            c._gone(CloseInfo(CLOSE_LOCAL, status, m))
            self._forget(c)
            if f is not None and not f.done():
                f.set_exception(ConnectionRejected(m) if status == _lib.EREJECTED
                                else RoamError(status, "open"))

    def _c_conn_closed(self, cptr, origin, reason, md):
        c = self._by_ptr.get(cptr)
        if c is None:
            return
        info = CloseInfo(origin, reason, _md_read(md))
        f = c._open_fut
        if f is not None and not f.done():
            f.set_exception(RoamError(reason or _lib.ECLOSED, "open"))
        self._forget(c)
        c._gone(info)
        if self._on_conn_closed is not None:
            try:
                self._on_conn_closed(c, info)
            except BaseException as e:
                _report(e, "on_conn_closed", self)

    def _c_serve(self, cptr, request_id, *call):
        try:
            self._serve(cptr, request_id, *call)
        except BaseException:
            lib.roam_reply_release(cptr, request_id)  # libroam must not wait for an answer
            raise

    def _serve(self, cptr, request_id, method_id, chans, nch, md, args, n):
        conn = self._conn(cptr)
        disp = conn._dispatch if conn._dispatch is not None else self._dispatch
        entry = disp.get(method_id) if disp is not None else None
        if entry is None or entry[1] is None:
            lib.roam_reply_fail(cptr, request_id, _lib.EUNKNOWNMETHOD, None)
            self._rt.kick()
            return
        minfo, fn = entry
        data = string_at(args, n) if n else b""
        ctx = None
        if minfo.has_channels:
            ctx = _ServeCtx(conn, [chans[i] for i in range(nch)])
        try:
            values = minfo.decode_args(data, ctx)
        except Exception:
            if ctx is not None:
                for st in ctx.states:
                    st.unwind()
            lib.roam_reply_fail(cptr, request_id, _lib.EINVALIDPAYLOAD, None)
            self._rt.kick()
            return
        sv = _Served(self, conn, request_id, minfo, ctx.states if ctx is not None else ())
        # the handler, and the task made of it (a copy of this context), see
        # their request through current_request()
        token = _current_request.set(Request(conn, minfo.name, _md_read(md), request_id))
        try:
            self._run_handler(sv, fn, values)
        finally:
            _current_request.reset(token)

    def _run_handler(self, sv, fn, values):
        """Calls the handler: a plain one is answered now, a coroutine becomes
        a task answered when it finishes."""
        from . import _service
        try:
            r = fn(*values)
        except BaseException as e:
            _fail_served(sv, e, "the handler")
            return
        if _service.is_awaitable(r):
            self._served[(sv.conn, sv.request_id)] = sv
            sv.task = asyncio.ensure_future(r, loop=self._rt.loop)
            sv.task.add_done_callback(lambda t, sv=sv: _handler_done(sv, t))
        else:
            _answer(sv, r)

    def _c_serve_cancelled(self, cptr, request_id):
        conn = self._by_ptr.get(cptr)
        sv = self._served.get((conn, request_id)) if conn is not None else None
        if sv is None:
            lib.roam_reply_release(cptr, request_id)
            return
        _finish(sv)
        lib.roam_reply_release(cptr, request_id)
        if sv.task is not None and not sv.task.done():
            sv.task.cancel()
        self._rt.kick()

    def _c_keepalive_timeout(self):
        self.keepalive_timed_out = True
        if self._on_keepalive_timeout is not None:
            try:
                self._on_keepalive_timeout(self)
            except BaseException as e:
                _report(e, "on_keepalive_timeout", self)

    def _c_writable(self):
        for c in list(self._conns):
            if c._backlog:
                c._flush_backlog()

    # -- the API
    def _usable(self, op):
        self._rt.check_thread()
        if self._ptr is None or self._closing:
            raise RoamError(_lib.ECLOSED, op, "the session is closed")

    @property
    def ended(self):
        return self.error is not None

    async def wait_ended(self):
        """Waits for the session's end: (code, reason); code 0 = orderly end."""
        return await asyncio.shield(self._ended)

    async def open(self, metadata=None, max_concurrent_requests=0, serve=None):
        """Opens a virtual connection; its Connection once accepted (.metadata =
        the accept's metadata), ConnectionRejected (.metadata) if rejected."""
        self._usable("open")
        if self.root is None:
            raise RoamError(_lib.ESTATE, "open", "the handshake is not done")
        p = c_void_p()
        with _MdArg(metadata) as md:
            check(lib.roam_session_open(self._ptr, 0, max_concurrent_requests, md, None,
                                        byref(p)), "roam_session_open")
        c = self._conn(p.value)
        if serve is not None:
            from . import _service
            c._dispatch = _service.dispatcher(serve)
        c._pending = True
        c._open_fut = _retrieved(self._rt.loop.create_future())
        self._rt.kick()
        return await c._open_fut

    def ping(self):
        """Sends a Ping; await the result for the round trip in seconds."""
        self._usable("ping")
        nonce = c_uint64()
        check(lib.roam_session_ping(self._ptr, byref(nonce)), "roam_session_ping")
        fut = self._rt.loop.create_future()
        self._pings[nonce.value] = fut
        self._rt.kick()
        return fut

    def _c_pong(self, nonce, rtt_us):
        fut = self._pings.pop(nonce, None)
        if fut is not None and not fut.done():
            fut.set_result(rtt_us / 1e6)

    def shutdown(self):
        """Ends the session now (ESHUTDOWN); close() is still needed (done
        automatically once it has ended)."""
        self._usable("shutdown")
        check(lib.roam_session_shutdown(self._ptr), "roam_session_shutdown")
        self._rt.kick()

    def _start_close(self):
        self._closing = True
        rc = lib.roam_session_close(self._ptr, _session_close_tramp, self.key)
        if rc < 0 and rc != _lib.ESTATE:
            check(rc, "roam_session_close")
        self._rt.kick()

    async def close(self):
        """Ends the session if it is running and frees it; waits until done."""
        if self._ptr is not None and not self._closing:
            self._rt.check_thread()
            self._start_close()
        await asyncio.shield(self._closed)


def _reply_unknown(conn, request_id, *rest):
    lib.roam_reply_fail(conn, request_id, _lib.EUNKNOWNMETHOD, None)


_handshake_tramp = _trampoline(_lib.handshake_cb, "handshake", Session._c_handshake)
_session_end_tramp = _trampoline(_lib.session_end_cb, "session end", Session._c_end)
_session_close_tramp = _trampoline(_lib.session_close_cb, "session close", Session._c_closed)
_inbound_open_tramp = _trampoline(_lib.inbound_open_cb, "inbound open", Session._c_inbound_open,
                                  if_gone=lambda conn, md: lib.roam_conn_reject(conn, None))
_open_result_tramp = _trampoline(_lib.open_result_cb, "open result", Session._c_open_result)
_conn_closed_tramp = _trampoline(_lib.conn_closed_cb, "connection closed",
                                 Session._c_conn_closed)
_serve_tramp = _trampoline(_lib.serve_cb, "serve", Session._c_serve, if_gone=_reply_unknown)
_serve_cancelled_tramp = _trampoline(_lib.serve_cancelled_cb, "serve cancelled",
                                     Session._c_serve_cancelled, if_gone=lib.roam_reply_release)
_keepalive_tramp = _trampoline(_lib.keepalive_timeout_cb, "keepalive timeout",
                               Session._c_keepalive_timeout)
_pong_tramp = _trampoline(_lib.pong_cb, "pong", Session._c_pong)
_writable_tramp = _trampoline(_lib.writable_cb, "writable", Session._c_writable)


def _make_callbacks():
    p = c_void_p()
    check(lib.roam_callbacks_new(byref(p)), "roam_callbacks_new")
    lib.roam_callbacks_set_handshake(p, _handshake_tramp)
    lib.roam_callbacks_set_session_end(p, _session_end_tramp)
    lib.roam_callbacks_set_inbound_open(p, _inbound_open_tramp)
    lib.roam_callbacks_set_open_result(p, _open_result_tramp)
    lib.roam_callbacks_set_conn_closed(p, _conn_closed_tramp)
    lib.roam_callbacks_set_serve(p, _serve_tramp)
    lib.roam_callbacks_set_serve_cancelled(p, _serve_cancelled_tramp)
    lib.roam_callbacks_set_keepalive_timeout(p, _keepalive_tramp)
    lib.roam_callbacks_set_writable(p, _writable_tramp)
    lib.roam_callbacks_set_pong(p, _pong_tramp)
    return p.value


_CALLBACKS = _make_callbacks()  # one table for every session, for the process's lifetime


def _options(keepalive=None, metadata=None, max_concurrent_requests=0, handshake_timeout_ms=0,
             idle_timeout_ms=0, role=0):
    p = c_void_p()
    check(lib.roam_options_new(byref(p)), "roam_options_new")
    try:
        if role:
            check(lib.roam_options_set_role(p, role), "roam_options_set_role")
        if keepalive:
            iv, to = (keepalive, 0) if isinstance(keepalive, (int, float)) else keepalive
            check(lib.roam_options_set_keepalive(p, int(iv), int(to)),
                  "roam_options_set_keepalive")
        if metadata is not None:
            with _MdArg(metadata) as md:
                check(lib.roam_options_set_hello_metadata(p, md),
                      "roam_options_set_hello_metadata")
        if max_concurrent_requests:
            check(lib.roam_options_set_max_concurrent_requests(p, max_concurrent_requests),
                  "roam_options_set_max_concurrent_requests")
        if handshake_timeout_ms:
            check(lib.roam_options_set_handshake_timeout(p, handshake_timeout_ms),
                  "roam_options_set_handshake_timeout")
        if idle_timeout_ms:
            check(lib.roam_options_set_idle_timeout(p, idle_timeout_ms),
                  "roam_options_set_idle_timeout")
    except BaseException:
        lib.roam_options_free(p)
        raise
    return p.value


_OPTION_NAMES = ("keepalive", "metadata", "max_concurrent_requests", "handshake_timeout_ms",
                 "idle_timeout_ms", "role")
_EVENT_NAMES = ("serve", "on_open", "on_conn_closed", "on_keepalive_timeout", "on_error")


def _split(kw):
    opts = {k: kw.pop(k) for k in _OPTION_NAMES if k in kw}
    events = {k: kw.pop(k) for k in _EVENT_NAMES if k in kw}
    if kw:
        raise TypeError("unexpected arguments: %s" % ", ".join(kw))
    return opts, events


def _make_handle(rt, obj, opts, what, c_new):
    """Gives obj (a Session or Server, registered under obj.key) its C handle:
    c_new(options, out pointer) with the options opts. On failure obj is
    unregistered and RoamError raised; on success the runtime has one user more
    (until obj's final close callback)."""
    o = _options(**opts)
    p = c_void_p()
    try:
        rc = c_new(o, byref(p))
    finally:
        lib.roam_options_free(o)
    if rc < 0:
        _objs.pop(obj.key, None)
        check(rc, what)
    obj._ptr = p.value
    rt.acquire()


async def connect(address, **kw):
    """Connects to address ("tcp://HOST:PORT", "unix:PATH") and completes the
    handshake (as initiator unless role= says otherwise). Keywords: serve=
    (a service implementation, or a list of them), on_open, on_conn_closed,
    on_keepalive_timeout, on_error; keepalive=(interval_ms, timeout_ms),
    metadata= (hello metadata), max_concurrent_requests, handshake_timeout_ms,
    idle_timeout_ms."""
    opts, events = _split(dict(kw))
    rt = _runtime()
    s = Session(rt, **events)
    _make_handle(rt, s, opts, "roam_session_connect(%s)" % address,
                 lambda o, out: lib.roam_session_connect(rt.ptr, address.encode("utf-8"), o,
                                                         _CALLBACKS, s.key, out))
    rt.kick()
    try:
        await asyncio.shield(s._handshake)
    except asyncio.CancelledError:
        await s.close()
        raise
    except RoamError as e:
        await s.close()
        err, reason = s.error or (e.code, "")
        raise RoamError(e.code, "connect(%s)" % address, reason or e.detail) from None
    return s


# ---- listeners ------------------------------------------------------------------------


class Server:
    """A listener: every accepted session serves `serve`. .address (bound,
    e.g. tcp://127.0.0.1:40123), .port; `await server.accept()` gives the next
    established session; on_session(session) is called for each too."""

    def __init__(self, rt, events, on_session):
        self._rt = rt
        self._ptr = None
        self.key = _register(self)
        self._events = events
        self._on_session = on_session
        self._queue = asyncio.Queue()
        self._sessions = {}
        self._closed = rt.loop.create_future()
        self.address = None
        self.port = None

    @property
    def sessions(self):
        return list(self._sessions)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    def _c_accept(self, status, sptr):
        if status < 0 or not sptr:
            _report(RoamError(status, "accept"), "the listener's accept")
            return
        s = Session(self._rt, server=self, **self._events)
        s._ptr = sptr
        lib.roam_session_set_user_data(sptr, s.key)
        self._sessions[s] = None
        self._rt.acquire()

    def _established(self, s):
        self._queue.put_nowait(s)
        if self._on_session is not None:
            try:
                self._on_session(s)
            except BaseException as e:
                _report(e, "on_session", s)

    async def accept(self):
        """The next session whose handshake completed."""
        return await self._queue.get()

    async def close(self, sessions=True):
        """Stops listening; with sessions=True closes the accepted sessions too."""
        if self._ptr is not None:
            self._rt.check_thread()
            p, self._ptr = self._ptr, None
            check(lib.roam_listener_close(p, _listener_close_tramp, self.key),
                  "roam_listener_close")
            self._rt.kick()
        await asyncio.shield(self._closed)
        if sessions:
            for s in list(self._sessions):
                await s.close()

    def _c_closed(self):
        _objs.pop(self.key, None)
        if not self._closed.done():
            self._closed.set_result(None)
        self._rt.release()


_accept_tramp = _trampoline(_lib.accept_cb, "accept", Server._c_accept)
_listener_close_tramp = _trampoline(_lib.listener_close_cb, "listener close", Server._c_closed)


async def listen(address, on_session=None, **kw):
    """Listens on address (tcp://HOST:PORT, port 0 picks one; unix:PATH) and
    makes a session (acceptor) of every connection; keywords as connect()."""
    opts, events = _split(dict(kw))
    rt = _runtime()
    srv = Server(rt, events, on_session)
    _make_handle(rt, srv, opts, "roam_listener_new(%s)" % address,
                 lambda o, out: lib.roam_listener_new(rt.ptr, address.encode("utf-8"), o,
                                                      _CALLBACKS, _accept_tramp, srv.key, out))
    buf = create_string_buffer(512)
    n = c_size_t(512)
    check(lib.roam_listener_address(srv._ptr, buf, byref(n)), "roam_listener_address")
    srv.address = buf.value.decode("utf-8")
    port = lib.roam_listener_port(srv._ptr)
    srv.port = port if port >= 0 else None
    rt.kick()
    return srv
