"""Python types as postcard values and roam signatures.

Every declared type compiles once (cached per type) into a Codec: an
encoder appending to a bytearray, a decoder reading (bytes, pos), and a
signature writer driving libroam's roam_sig_* builder. The encoder and
decoder are pure Python for speed (one ctypes call per field would cost
more than the call itself); tests/test_codec.py checks them byte for byte
against libroam's C codec (roam_postcard.h).
"""
import dataclasses
import enum
import struct
import sys
import typing
from ctypes import byref, c_size_t, c_uint64, c_void_p, string_at

from . import _lib
from ._lib import DecodeError, RoamError, lib

try:
    from typing import Annotated, get_args, get_origin, get_type_hints
except ImportError:  # pragma: no cover
    raise ImportError("roam needs Python >= 3.9")

__all__ = [
    "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128", "f32", "f64", "char",
    "Unit", "Result", "Ok", "Err", "Tx", "Rx", "DataEnum", "variant", "codec_for", "encode",
    "decode", "signature_bytes",
]

T = typing.TypeVar("T")
E = typing.TypeVar("E")

# ---- primitives ----------------------------------------------------------------------


class _Prim:
    def __init__(self, name, tag, lo, hi):
        self.name, self.tag, self.lo, self.hi = name, tag, lo, hi

    def __repr__(self):
        return "roam." + self.name


def _prim(name, tag, bits=None, signed=False, base=int):
    if bits is None:
        lo = hi = None
    elif signed:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        lo, hi = 0, (1 << bits) - 1
    return Annotated[base, _Prim(name, tag, lo, hi)]


u8 = _prim("u8", 0x02, 8)
u16 = _prim("u16", 0x03, 16)
u32 = _prim("u32", 0x04, 32)
u64 = _prim("u64", 0x05, 64)
u128 = _prim("u128", 0x06, 128)
i8 = _prim("i8", 0x07, 8, True)
i16 = _prim("i16", 0x08, 16, True)
i32 = _prim("i32", 0x09, 32, True)
i64 = _prim("i64", 0x0A, 64, True)
i128 = _prim("i128", 0x0B, 128, True)
f32 = _prim("f32", 0x0C, base=float)
f64 = _prim("f64", 0x0D, base=float)
char = _prim("char", 0x0E, base=str)

SIG_BOOL, SIG_STRING, SIG_UNIT, SIG_BYTES = 0x01, 0x0F, 0x10, 0x11


class Unit:
    """The unit type `()` as an annotation (a method returning `-> None` is the same)."""


# ---- Result, Ok, Err ---------------------------------------------------------------


class Result(typing.Generic[T, E]):
    """`-> roam.Result[T, E]`: a method with user errors (Rust's Result<T, E>).
    A handler returns T (or roam.Ok(T)) for Ok, and returns roam.Err(e) or
    raises roam.UserError(e) for Err; a client call returns T or raises
    roam.UserError whose .value is E. Inside other values a Result is
    roam.Ok / roam.Err."""


class _Outcome:
    """Ok and Err: one value, compared and hashed with the variant."""
    __slots__ = ()

    def __eq__(self, other):
        return type(other) is type(self) and other._inner() == self._inner()

    def __hash__(self):
        return hash((type(self).__name__, self._inner()))

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self._inner())


class Ok(_Outcome):
    __slots__ = ("value",)

    def __init__(self, value=None):
        self.value = value

    def _inner(self):
        return self.value


class Err(_Outcome):
    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error

    def _inner(self):
        return self.error


# ---- channel types (the runtime gives them behaviour) ----------------------------


SEND, RECEIVE = 1, 2  # a channel end's direction, as libroam numbers it


class _ChannelEnd:
    """What both ends of a channel have: the shared state (the runtime's
    _ChanState), its id once in a call, whether it ended."""
    __slots__ = ("_state",)
    _direction = None  # SEND for a Tx, RECEIVE for an Rx

    def __init__(self, state):
        self._state = state

    def __del__(self):
        # Like Rust's Drop: once this end is garbage-collected, nothing can use
        # it, so the runtime closes it (a Tx) or resets it (an Rx) if it is
        # our end of a channel in a call that has not ended.
        try:
            self._state.end_dropped(self._direction)
        except Exception:  # interpreter shutdown, or a state without a runtime
            pass

    @property
    def id(self):
        return self._state.id

    @property
    def ended(self):
        return self._state.ended

    def __repr__(self):
        return "<roam.%s %s>" % (type(self).__name__, self._state.describe())


class Tx(_ChannelEnd, typing.Generic[T]):
    """`roam.Tx[T]`: the sending end of a channel of T (Rust's Tx<T>).

    Make a pair with roam.channel(); pass the Rx end in a call whose method
    takes an Rx[T] and send on this end (or receive a Tx as a handler
    argument). send() waits while the peer has given no credit."""
    __slots__ = ()
    _direction = SEND

    async def send(self, item):
        """Sends one item; waits for credit. RoamError once the channel ended."""
        await self._state.send(item)

    def send_nowait(self, item):
        """Sends one item now; RoamError(EAGAIN) when it has to wait."""
        self._state.send_nowait(item)

    def close(self, metadata=None):
        """No more items (Close goes out after the queued ones)."""
        self._state.close(metadata)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        if not self._state.ended and not self._state.closing:
            self._state.close(None)


class Rx(_ChannelEnd, typing.Generic[T]):
    """`roam.Rx[T]`: the receiving end of a channel of T (Rust's Rx<T>).

    `async for item in rx`, or `await rx.recv()` (ChannelClosed once the
    sender closed it), or rx.set_handler(on_item, on_end) for callbacks.
    Credit goes back to the sender as items are taken."""
    __slots__ = ()
    _direction = RECEIVE

    async def recv(self):
        """The next item; ChannelClosed when the sender closed the channel,
        RoamError when it ended otherwise (reset, connection gone)."""
        return await self._state.recv()

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            return await self._state.recv()
        except _lib.ChannelClosed:
            raise StopAsyncIteration from None

    def set_handler(self, on_item, on_end=None):
        """Callback mode: on_item(item) per item, on_end(reason) once (0 = closed
        by the sender, else a ROAM_E* code); both run on the loop thread.
        Items that came before are delivered now."""
        self._state.set_handler(on_item, on_end)

    def reset(self, metadata=None):
        """Asks the sender to stop; the channel ends here."""
        self._state.reset(metadata)


# ---- enums with data ---------------------------------------------------------------


class _VariantSpec:
    def __init__(self, args, kwargs):
        if args and kwargs:
            raise TypeError("roam.variant: positional types (tuple variant) or named fields "
                            "(struct variant), not both")
        self.args, self.kwargs = args, kwargs


def variant(*types, **fields):
    """One variant of a roam.DataEnum: `variant()` a unit variant, `variant(T)` a
    newtype variant (its value in .value), `variant(A, B)` a tuple variant
    (.values), `variant(x=A, y=B)` a struct variant (fields .x, .y)."""
    return _VariantSpec(types, fields)


class DataEnum:
    """An enum whose variants carry data (Rust `enum Shape { Circle { radius: f64 }, Point }`):

        class Shape(roam.DataEnum):
            Circle = roam.variant(radius=roam.f64)
            Rectangle = roam.variant(width=roam.f64, height=roam.f64)
            Point = roam.variant()

    Values are instances of the variant classes: Shape.Circle(radius=2.0),
    Shape.Point(); isinstance(v, Shape.Circle) tells them apart. Variants
    are numbered in declaration order."""

    _variants_ = ()
    _kind_ = None
    _fields_ = ()
    _index_ = None
    __slots__ = ("_vals",)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "_kind_" in cls.__dict__:
            return  # a variant class being made
        variants = []
        for name, spec in list(cls.__dict__.items()):
            if isinstance(spec, _VariantSpec):
                v = _make_variant(cls, name, spec, len(variants))
                setattr(cls, name, v)
                variants.append(v)
        cls._variants_ = tuple(variants)

    def __init__(self, *args, **kwargs):
        if self._kind_ is None:
            raise TypeError("instantiate a variant of %s (e.g. %s.%s(...))" % (
                type(self).__name__, type(self).__name__,
                self._variants_[0].__name__ if self._variants_ else "X"))
        names = self._fields_
        if len(args) > len(names):
            raise TypeError("%s takes %d values" % (type(self).__qualname__, len(names)))
        vals = list(args)
        for n in names[len(args):]:
            if n not in kwargs:
                raise TypeError("%s: missing %s" % (type(self).__qualname__, n))
            vals.append(kwargs.pop(n))
        if kwargs:
            raise TypeError("%s: unexpected %s" % (type(self).__qualname__, ", ".join(kwargs)))
        object.__setattr__(self, "_vals", tuple(vals))

    def __getattr__(self, name):
        try:
            return self._vals[self._fields_.index(name)]
        except (ValueError, AttributeError):
            raise AttributeError(name) from None

    @property
    def values(self):
        return self._vals

    def __eq__(self, other):
        return type(other) is type(self) and other._vals == self._vals

    def __hash__(self):
        return hash((type(self), self._vals))

    def __repr__(self):
        if self._kind_ == "struct":
            inner = ", ".join("%s=%r" % (n, v) for n, v in zip(self._fields_, self._vals))
        else:
            inner = ", ".join(repr(v) for v in self._vals)
        return "%s(%s)" % (type(self).__qualname__, inner)


def _make_variant(cls, name, spec, index):
    if spec.kwargs:
        kind, fields, types = "struct", tuple(spec.kwargs), tuple(spec.kwargs.values())
    elif len(spec.args) == 0:
        kind, fields, types = "unit", (), ()
    elif len(spec.args) == 1:
        kind, fields, types = "newtype", ("value",), spec.args
    else:
        kind = "tuple"
        fields = tuple("_%d" % i for i in range(len(spec.args)))
        types = spec.args
    ns = {"_kind_": kind, "_fields_": fields, "_types_": types, "_index_": index,
          "__qualname__": "%s.%s" % (cls.__qualname__, name), "__module__": cls.__module__,
          "__slots__": ()}
    return type(name, (cls,), ns)


# ---- codecs --------------------------------------------------------------------------


class Codec:
    """enc(value, out: bytearray, ctx); dec(buf: bytes, pos, ctx) -> (value, pos);
    sig(builder, stack); min_size: fewest bytes one value takes."""
    __slots__ = ("name", "enc", "dec", "sig", "min_size", "channel", "item")

    def __init__(self, name, enc=None, dec=None, sig=None, min_size=1, channel=None, item=None):
        self.name, self.enc, self.dec, self.sig = name, enc, dec, sig
        self.min_size, self.channel, self.item = min_size, channel, item

    def __repr__(self):
        return "<roam codec %s>" % self.name


def _fail(code, what):
    raise DecodeError(code, "decode", what)


def _sigcheck(rc, what):
    return _lib.check(rc, what)


def _varint_enc(n, out):
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _varint_dec(buf, pos, maxbytes, hi):
    try:
        b = buf[pos]
    except IndexError:
        _fail(_lib.ETRUNCATED, "input ends inside a varint")
    if b < 0x80:
        return b, pos + 1
    result = b & 0x7F
    shift = 7
    pos += 1
    for _ in range(maxbytes - 1):
        if pos >= len(buf):
            _fail(_lib.ETRUNCATED, "input ends inside a varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            if result > hi:
                _fail(_lib.ERANGE, "varint out of range")
            return result, pos
        shift += 7
    _fail(_lib.EOVERLONG, "varint longer than its type allows")


def _len_enc(n, out):
    _varint_enc(n, out)


def _len_dec(buf, pos):
    return _varint_dec(buf, pos, 10, (1 << 64) - 1)


def _range_error(p, v):
    raise OverflowError("%r does not fit in %s" % (v, p.name))


def _int_codec(p):
    lo, hi, tag = p.lo, p.hi, p.tag

    def sig(b, stack):
        _sigcheck(lib.roam_sig_primitive(b, tag), "roam_sig_primitive")

    if p.name in ("u8", "i8"):
        signed = p.name == "i8"

        def enc(v, out, ctx):
            if not (lo <= v <= hi):
                _range_error(p, v)
            out.append(v & 0xFF)

        def dec(buf, pos, ctx):
            try:
                b = buf[pos]
            except IndexError:
                _fail(_lib.ETRUNCATED, "input ends inside a %s" % p.name)
            if signed and b >= 0x80:
                b -= 0x100
            return b, pos + 1
        return Codec(p.name, enc, dec, sig)
    bits = {"u16": 16, "u32": 32, "u64": 64, "u128": 128, "i16": 16, "i32": 32, "i64": 64,
            "i128": 128}[p.name]
    maxbytes = (bits + 6) // 7
    if p.name.startswith("u"):
        def enc(v, out, ctx):
            if not (0 <= v <= hi):
                _range_error(p, v)
            while v >= 0x80:
                out.append((v & 0x7F) | 0x80)
                v >>= 7
            out.append(v)

        def dec(buf, pos, ctx):
            return _varint_dec(buf, pos, maxbytes, hi)
    else:
        shift = bits - 1
        uhi = (1 << bits) - 1

        def enc(v, out, ctx):
            if not (lo <= v <= hi):
                _range_error(p, v)
            z = ((v << 1) ^ (v >> shift)) & uhi
            while z >= 0x80:
                out.append((z & 0x7F) | 0x80)
                z >>= 7
            out.append(z)

        def dec(buf, pos, ctx):
            z, pos = _varint_dec(buf, pos, maxbytes, uhi)
            return (z >> 1) ^ -(z & 1), pos
    return Codec(p.name, enc, dec, sig)


def _float_codec(p):
    fmt = struct.Struct("<d" if p.name == "f64" else "<f")
    size = fmt.size
    pack, unpack_from = fmt.pack, fmt.unpack_from

    def enc(v, out, ctx):
        out += pack(v)

    def dec(buf, pos, ctx):
        if pos + size > len(buf):
            _fail(_lib.ETRUNCATED, "input ends inside a %s" % p.name)
        return unpack_from(buf, pos)[0], pos + size

    def sig(b, stack):
        _sigcheck(lib.roam_sig_primitive(b, p.tag), "roam_sig_primitive")
    return Codec(p.name, enc, dec, sig, size)


def _prim_sig(tag):
    def sig(b, stack):
        _sigcheck(lib.roam_sig_primitive(b, tag), "roam_sig_primitive")
    return sig


def _str_enc(v, out, ctx):
    if v.__class__ is not str:
        raise TypeError("expected str, got %s" % type(v).__name__)
    b = v.encode("utf-8")
    _varint_enc(len(b), out)
    out += b


def _span_dec(buf, pos, what):
    """A length-prefixed run of bytes (a string, a byte string): (start, end)."""
    n, pos = _len_dec(buf, pos)
    end = pos + n
    if end > len(buf):
        _fail(_lib.EBADLENGTH, "%s length runs past the end" % what)
    return pos, end


def _str_dec(buf, pos, ctx):
    pos, end = _span_dec(buf, pos, "string")
    try:
        return buf[pos:end].decode("utf-8"), end
    except UnicodeDecodeError:
        _fail(_lib.EBADUTF8, "string is not UTF-8")


def _char_enc(v, out, ctx):
    if not isinstance(v, str) or len(v) != 1:
        raise TypeError("a char is a str of length 1")
    _str_enc(v, out, ctx)


def _char_dec(buf, pos, ctx):
    s, pos = _str_dec(buf, pos, ctx)
    if len(s) != 1:
        _fail(_lib.ERANGE, "a char must be one scalar value")
    return s, pos


def _bytes_enc(v, out, ctx):
    _varint_enc(len(v), out)
    out += v


def _bytes_dec(buf, pos, ctx):
    pos, end = _span_dec(buf, pos, "byte string")
    return bytes(buf[pos:end]), end


def _bool_enc(v, out, ctx):
    out.append(1 if v else 0)


def _bool_dec(buf, pos, ctx):
    try:
        b = buf[pos]
    except IndexError:
        _fail(_lib.ETRUNCATED, "input ends inside a bool")
    if b > 1:
        _fail(_lib.ERANGE, "a bool is 0 or 1")
    return b == 1, pos + 1


def _unit_enc(v, out, ctx):
    pass


def _unit_dec(buf, pos, ctx):
    return None, pos


_BOOL = Codec("bool", _bool_enc, _bool_dec, _prim_sig(SIG_BOOL))
_STR = Codec("str", _str_enc, _str_dec, _prim_sig(SIG_STRING))
_CHAR = Codec("char", _char_enc, _char_dec, _prim_sig(0x0E))
_BYTES = Codec("bytes", _bytes_enc, _bytes_dec, _prim_sig(SIG_BYTES))
_UNIT = Codec("()", _unit_enc, _unit_dec, _prim_sig(SIG_UNIT), 0)

_cache = {}


def codec_for(tp, owner=None):
    """The Codec of an annotation (cached per type)."""
    try:
        return _cache[tp]
    except KeyError:
        pass
    except TypeError:  # unhashable annotation
        return _compile(tp, owner)
    c = _compile(tp, owner)
    _cache[tp] = c
    return c


def _resolve_str(tp, owner):
    if isinstance(tp, typing.ForwardRef):
        tp = tp.__forward_arg__
    if isinstance(tp, str):
        mod = sys.modules.get(getattr(owner, "__module__", None) or "", None)
        ns = dict(vars(mod)) if mod else {}
        if owner is not None:
            ns.setdefault(owner.__name__, owner)
        import roam
        ns.setdefault("roam", roam)
        return eval(tp, ns)  # noqa: S307 (annotations are the program's own code)
    return tp


def _compile(tp, owner=None):
    if isinstance(tp, (str, typing.ForwardRef)):
        return codec_for(_resolve_str(tp, owner), owner)
    if tp is None or tp is type(None) or tp is Unit:
        return _UNIT
    if tp is bool:
        return _BOOL
    if tp is int:
        return codec_for(i64)
    if tp is float:
        return codec_for(f64)
    if tp is str:
        return _STR
    if tp in (bytes, bytearray):
        return _BYTES
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:
        for meta in tp.__metadata__:
            if isinstance(meta, _Prim):
                if meta.name in ("f32", "f64"):
                    return _float_codec(meta)
                if meta.name == "char":
                    return _CHAR
                return _int_codec(meta)
        return codec_for(args[0], owner)
    if origin is typing.Union:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return _option_codec(codec_for(rest[0], owner))
        raise TypeError("roam: only Optional[T] unions are supported, not %r" % (tp,))
    if origin in (list, typing.List):
        return _list_codec(codec_for(args[0], owner) if args else _fail_type(tp))
    if origin in (tuple, typing.Tuple):
        if not args or args == ((),):
            return _UNIT
        if len(args) == 2 and args[1] is Ellipsis:
            raise TypeError("roam: Tuple[T, ...] has no fixed size: use List[T]")
        return _tuple_codec([codec_for(a, owner) for a in args])
    if origin in (dict, typing.Dict):
        return _map_codec(codec_for(args[0], owner), codec_for(args[1], owner))
    if origin in (set, frozenset, typing.Set, typing.FrozenSet):
        return _set_codec(codec_for(args[0], owner), origin)
    if origin is Result:
        return _result_codec(codec_for(args[0], owner), codec_for(args[1], owner))
    if origin is Tx or (isinstance(origin, type) and issubclass(origin, Tx)):
        return _channel_codec("tx", codec_for(args[0], owner))
    if origin is Rx or (isinstance(origin, type) and issubclass(origin, Rx)):
        return _channel_codec("rx", codec_for(args[0], owner))
    if isinstance(tp, type):
        if issubclass(tp, DataEnum):
            return _data_enum_codec(tp)
        if issubclass(tp, enum.Enum):
            return _enum_codec(tp)
        if dataclasses.is_dataclass(tp):
            return _struct_codec(tp)
    return _fail_type(tp)


def _fail_type(tp):
    raise TypeError("roam: no postcard mapping for %r" % (tp,))


def _late(inner):
    """inner's enc and dec, late-bound while inner is still being compiled
    (a recursive type)."""
    if inner.enc is not None:
        return inner.enc, inner.dec

    def enc(v, out, ctx):
        return inner.enc(v, out, ctx)

    def dec(buf, pos, ctx):
        return inner.dec(buf, pos, ctx)
    return enc, dec


def _option_codec(inner):
    ienc, idec = _late(inner)

    def enc(v, out, ctx):
        if v is None:
            out.append(0)
        else:
            out.append(1)
            ienc(v, out, ctx)

    def dec(buf, pos, ctx):
        try:
            tag = buf[pos]
        except IndexError:
            _fail(_lib.ETRUNCATED, "input ends inside an Option")
        if tag == 0:
            return None, pos + 1
        if tag != 1:
            _fail(_lib.EBADTAG, "option tag %d" % tag)
        return idec(buf, pos + 1, ctx)

    def sig(b, stack):
        _sigcheck(lib.roam_sig_option(b), "roam_sig_option")
        inner.sig(b, stack)
    return Codec("Optional[%s]" % inner.name, enc, dec, sig)


def _list_codec(inner):
    (ienc, idec), minsz = _late(inner), inner.min_size

    def enc(v, out, ctx):
        _varint_enc(len(v), out)
        for x in v:
            ienc(x, out, ctx)

    def dec(buf, pos, ctx):
        n, pos = _len_dec(buf, pos)
        if minsz and n * minsz > len(buf) - pos:
            _fail(_lib.EBADLENGTH, "sequence count runs past the end")
        res = []
        for _ in range(n):
            x, pos = idec(buf, pos, ctx)
            res.append(x)
        return res, pos

    def sig(b, stack):
        if inner.name == "u8":  # Vec<u8> is bytes in roam's signatures
            _sigcheck(lib.roam_sig_primitive(b, SIG_BYTES), "roam_sig_primitive")
            return
        _sigcheck(lib.roam_sig_list(b), "roam_sig_list")
        inner.sig(b, stack)
    return Codec("List[%s]" % inner.name, enc, dec, sig)


def _set_codec(inner, origin):
    lc = _list_codec(inner)
    mk = frozenset if origin in (frozenset, typing.FrozenSet) else set

    def dec(buf, pos, ctx):
        v, pos = lc.dec(buf, pos, ctx)
        return mk(v), pos

    def sig(b, stack):
        _sigcheck(lib.roam_sig_set(b), "roam_sig_set")
        inner.sig(b, stack)
    return Codec("Set[%s]" % inner.name, lc.enc, dec, sig)


def _map_codec(kc, vc):
    (kenc, kdec), (venc, vdec) = _late(kc), _late(vc)
    minsz = kc.min_size + vc.min_size

    def enc(v, out, ctx):
        _varint_enc(len(v), out)
        for k, x in v.items():
            kenc(k, out, ctx)
            venc(x, out, ctx)

    def dec(buf, pos, ctx):
        n, pos = _len_dec(buf, pos)
        if minsz and n * minsz > len(buf) - pos:
            _fail(_lib.EBADLENGTH, "map count runs past the end")
        res = {}
        for _ in range(n):
            k, pos = kdec(buf, pos, ctx)
            res[k], pos = vdec(buf, pos, ctx)
        return res, pos

    def sig(b, stack):
        _sigcheck(lib.roam_sig_map(b), "roam_sig_map")
        kc.sig(b, stack)
        vc.sig(b, stack)
    return Codec("Dict[%s, %s]" % (kc.name, vc.name), enc, dec, sig)


def _tuple_codec(items):
    encs = [_late(c)[0] for c in items]
    decs = [_late(c)[1] for c in items]
    n = len(items)

    def enc(v, out, ctx):
        if len(v) != n:
            raise TypeError("expected a tuple of %d values, got %d" % (n, len(v)))
        for e, x in zip(encs, v):
            e(x, out, ctx)

    def dec(buf, pos, ctx):
        res = []
        for d in decs:
            x, pos = d(buf, pos, ctx)
            res.append(x)
        return tuple(res), pos

    def sig(b, stack):
        _sigcheck(lib.roam_sig_tuple(b, n), "roam_sig_tuple")
        for c in items:
            c.sig(b, stack)
    return Codec("Tuple[%s]" % ", ".join(c.name for c in items), enc, dec, sig,
                 sum(c.min_size for c in items))


def _result_codec(okc, errc):
    def enc(v, out, ctx):
        if isinstance(v, Err):
            out.append(1)
            errc.enc(v.error, out, ctx)
        else:
            out.append(0)
            okc.enc(v.value if isinstance(v, Ok) else v, out, ctx)

    def dec(buf, pos, ctx):
        idx, pos = _varint_dec(buf, pos, 5, 0xFFFFFFFF)
        if idx == 0:
            v, pos = okc.dec(buf, pos, ctx)
            return Ok(v), pos
        if idx == 1:
            v, pos = errc.dec(buf, pos, ctx)
            return Err(v), pos
        _fail(_lib.EBADTAG, "Result variant %d" % idx)

    c = Codec("Result[%s, %s]" % (okc.name, errc.name), enc, dec, _prim_sig(SIG_UNIT))
    c.item = (okc, errc)
    return c


def _named(b, stack, name, body):
    if name in stack:
        nb = name.encode()
        _sigcheck(lib.roam_sig_ref(b, nb, len(nb)), "roam_sig_ref")
        return
    stack.append(name)
    try:
        body()
    finally:
        stack.pop()


def _struct_codec(cls):
    c = Codec(cls.__qualname__, min_size=0)
    _cache[cls] = c  # recursion through List/Optional refers to this one
    try:
        hints = get_type_hints(cls, include_extras=True)
    except Exception:
        hints = {f.name: f.type for f in dataclasses.fields(cls)}
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names = [f.name for f in fields]
    fcs = []
    for f in fields:
        fcs.append(codec_for(hints.get(f.name, f.type), cls))
    pairs = list(zip(names, fcs))
    name = cls.__qualname__

    def enc(v, out, ctx):
        for n, fc in pairs:
            fc.enc(getattr(v, n), out, ctx)

    def dec(buf, pos, ctx):
        vals = []
        for _, fc in pairs:
            x, pos = fc.dec(buf, pos, ctx)
            vals.append(x)
        return cls(*vals), pos

    def sig(b, stack):
        if not pairs:
            _sigcheck(lib.roam_sig_primitive(b, SIG_UNIT), "roam_sig_primitive")
            return
        nb = name.encode()

        def body():
            _sigcheck(lib.roam_sig_struct(b, nb, len(nb), len(pairs)), "roam_sig_struct")
            for n, fc in pairs:
                fb = n.encode()
                _sigcheck(lib.roam_sig_field(b, fb, len(fb)), "roam_sig_field")
                fc.sig(b, stack)
        _named(b, stack, name, body)

    c.enc, c.dec, c.sig, c.min_size = enc, dec, sig, 0
    return c


def _enum_codec(cls):
    members = list(cls)
    index = {m: i for i, m in enumerate(members)}
    n = len(members)
    name = cls.__qualname__

    def enc(v, out, ctx):
        try:
            i = index[v]
        except (KeyError, TypeError):
            raise TypeError("%r is not a member of %s" % (v, name)) from None
        _varint_enc(i, out)

    def dec(buf, pos, ctx):
        i, pos = _varint_dec(buf, pos, 5, 0xFFFFFFFF)
        if i >= n:
            _fail(_lib.EBADTAG, "variant %d of %s" % (i, name))
        return members[i], pos

    def sig(b, stack):
        nb = name.encode()

        def body():
            _sigcheck(lib.roam_sig_enum(b, nb, len(nb), n), "roam_sig_enum")
            for m in members:
                mb = m.name.encode()
                _sigcheck(lib.roam_sig_variant_unit(b, mb, len(mb)), "roam_sig_variant_unit")
        _named(b, stack, name, body)
    return Codec(name, enc, dec, sig)


def _data_enum_codec(cls):
    c = Codec(cls.__qualname__)
    _cache[cls] = c
    variants = cls._variants_
    name = cls.__qualname__
    table = []
    for v in variants:
        fcs = [codec_for(t, cls) for t in v._types_]
        table.append((v, fcs))
    by_class = {v: (i, fcs) for i, (v, fcs) in enumerate(table)}
    n = len(table)

    def enc(v, out, ctx):
        try:
            i, fcs = by_class[type(v)]
        except KeyError:
            raise TypeError("%r is not a variant of %s" % (v, name)) from None
        _varint_enc(i, out)
        for fc, x in zip(fcs, v._vals):
            fc.enc(x, out, ctx)

    def dec(buf, pos, ctx):
        i, pos = _varint_dec(buf, pos, 5, 0xFFFFFFFF)
        if i >= n:
            _fail(_lib.EBADTAG, "variant %d of %s" % (i, name))
        vcls, fcs = table[i]
        vals = []
        for fc in fcs:
            x, pos = fc.dec(buf, pos, ctx)
            vals.append(x)
        obj = object.__new__(vcls)
        object.__setattr__(obj, "_vals", tuple(vals))
        return obj, pos

    def sig(b, stack):
        nb = name.encode()

        def body():
            _sigcheck(lib.roam_sig_enum(b, nb, len(nb), n), "roam_sig_enum")
            for vcls, fcs in table:
                vb = vcls.__name__.encode()
                kind = vcls._kind_
                if kind == "unit":
                    _sigcheck(lib.roam_sig_variant_unit(b, vb, len(vb)), "roam_sig_variant_unit")
                elif kind == "newtype":
                    _sigcheck(lib.roam_sig_variant_newtype(b, vb, len(vb)),
                              "roam_sig_variant_newtype")
                    fcs[0].sig(b, stack)
                elif kind == "tuple":
                    _sigcheck(lib.roam_sig_variant_tuple(b, vb, len(vb), len(fcs)),
                              "roam_sig_variant_tuple")
                    for fc in fcs:
                        fc.sig(b, stack)
                else:
                    _sigcheck(lib.roam_sig_variant_struct(b, vb, len(vb), len(fcs)),
                              "roam_sig_variant_struct")
                    for fname, fc in zip(vcls._fields_, fcs):
                        fb = fname.encode()
                        _sigcheck(lib.roam_sig_field(b, fb, len(fb)), "roam_sig_field")
                        fc.sig(b, stack)
        _named(b, stack, name, body)

    c.enc, c.dec, c.sig = enc, dec, sig
    return c


def _channel_codec(kind, item):
    def enc(v, out, ctx):
        if ctx is None:
            raise RoamError(_lib.ESTATE, "encode", "channels travel only as call arguments")
        ctx.attach(v, kind, item)

    def dec(buf, pos, ctx):
        if ctx is None:
            raise RoamError(_lib.ESTATE, "decode", "channels travel only as call arguments")
        return ctx.bind(kind, item), pos

    def sig(b, stack):
        if kind == "tx":
            _sigcheck(lib.roam_sig_tx(b), "roam_sig_tx")
        else:
            _sigcheck(lib.roam_sig_rx(b), "roam_sig_rx")
        item.sig(b, stack)
    return Codec("%s[%s]" % ("Tx" if kind == "tx" else "Rx", item.name), enc, dec, sig, 0,
                 channel=kind, item=item)


# ---- whole values and signatures ---------------------------------------------------


def encode(tp, value):
    """The postcard bytes of value as type tp."""
    out = bytearray()
    codec_for(tp).enc(value, out, None)
    return bytes(out)


def decode(tp, data):
    """One whole value of type tp from postcard bytes (DecodeError otherwise)."""
    v, pos = codec_for(tp).dec(bytes(data), 0, None)
    if pos != len(data):
        _fail(_lib.ETRAILING, "%d bytes left over" % (len(data) - pos))
    return v


def signature_bytes(codecs):
    """The roam signature of the given codecs in order (roam_sig_finish's bytes)."""
    b = c_void_p()
    _lib.check(lib.roam_sig_builder_new(byref(b)), "roam_sig_builder_new")
    try:
        stack = []
        for c in codecs:
            c.sig(b, stack)
        p = c_void_p()
        n = c_size_t()
        _lib.check(lib.roam_sig_finish(b, byref(p), byref(n)), "roam_sig_finish")
        return string_at(p.value, n.value) if n.value else b""
    finally:
        lib.roam_sig_builder_free(b)


def method_id(service, method, signature):
    out = c_uint64()
    sb, mb = service.encode(), method.encode()
    _lib.check(lib.roam_method_id(sb, len(sb), mb, len(mb), signature, len(signature),
                                  byref(out)), "roam_method_id")
    return out.value
