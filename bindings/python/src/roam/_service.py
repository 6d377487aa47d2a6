"""Services declared as Python classes: method ids, typed clients, dispatch."""
import inspect

from . import _lib, _types
from ._types import codec_for, get_type_hints

__all__ = ["service", "MethodInfo", "ServiceInfo", "dispatcher"]


def is_awaitable(x):
    return inspect.isawaitable(x)


class MethodInfo:
    """One method: .service, .name, .id, the codecs of its arguments and result."""

    def __init__(self, service, name, params, ret):
        self.service = service
        self.name = "%s.%s" % (service, name)
        self.method = name
        self.param_names = [n for n, _ in params]
        self.params = [c for _, c in params]
        self.encs = [c.enc for c in self.params]
        self.decs = [c.dec for c in self.params]
        self.nparams = len(self.params)
        self.has_channels = any(_has_channel(c) for c in self.params)
        self.ret = ret
        if ret.name.startswith("Result[") and ret.item is not None:
            self.is_result = True
            self.ok, self.err = ret.item
        else:
            self.is_result = False
            self.ok, self.err = ret, None
        if not self.params:
            args_codecs = [codec_for(None)]
        else:
            args_codecs = [_types._tuple_codec(self.params)]
        self.signature = _types.signature_bytes(args_codecs + [ret])
        self.id = _types.method_id(service, name, self.signature)

    def __repr__(self):
        return "<roam method %s 0x%016x>" % (self.name, self.id)

    def encode_args(self, args, kwargs, ctx):
        if kwargs:
            args = list(args)
            for n in self.param_names[len(args):]:
                if n in kwargs:
                    args.append(kwargs.pop(n))
            if kwargs:
                raise TypeError("%s: unexpected %s" % (self.name, ", ".join(kwargs)))
        if len(args) != self.nparams:
            raise TypeError("%s takes %d arguments (%s), %d given" % (
                self.name, self.nparams, ", ".join(self.param_names), len(args)))
        out = bytearray()
        for e, a in zip(self.encs, args):
            e(a, out, ctx)
        return bytes(out)

    def decode_args(self, data, ctx):
        pos = 0
        vals = []
        for d in self.decs:
            v, pos = d(data, pos, ctx)
            vals.append(v)
        if pos != len(data):
            raise _lib.DecodeError(_lib.ETRAILING, "decode", "arguments have bytes left over")
        return vals

    def encode_ok(self, v):
        out = bytearray()
        self.ok.enc(v, out, None)
        return bytes(out)

    def encode_err(self, e):
        out = bytearray()
        self.err.enc(e, out, None)
        return bytes(out)

    def decode_ok(self, data):
        v, pos = self.ok.dec(data, 0, None)
        if pos != len(data):
            raise _lib.DecodeError(_lib.ETRAILING, "decode", "result has bytes left over")
        return v

    def decode_err(self, data):
        v, pos = self.err.dec(data, 0, None)
        if pos != len(data):
            raise _lib.DecodeError(_lib.ETRAILING, "decode", "error has bytes left over")
        return v


def _has_channel(c):
    return c.channel is not None or (c.name.find("Tx[") >= 0 or c.name.find("Rx[") >= 0)


class ServiceInfo:
    def __init__(self, name, methods, stubs):
        self.name = name
        self.methods = methods  # name -> MethodInfo, declaration order
        self.by_id = {m.id: m for m in methods.values()}
        self.stubs = stubs


class ClientBase:
    """A typed client on a connection: one method per service method; each
    call returns an awaitable (the call is sent at once)."""
    __slots__ = ("_conn", "_metadata")

    def __init__(self, conn, metadata=None):
        self._conn = conn
        self._metadata = metadata

    @property
    def connection(self):
        return self._conn


def _client_method(minfo):
    def call(self, *args, **kwargs):
        return self._conn._call_typed(minfo, args, kwargs, self._metadata)
    call.__name__ = minfo.method
    call.__qualname__ = minfo.name
    call.__doc__ = "Calls %s (id 0x%016x); await the result." % (minfo.name, minfo.id)
    return call


def service(cls=None, *, name=None):
    """Declares a roam service from a class of annotated method stubs:

        @roam.service
        class Testbed:
            async def echo(self, message: str) -> str: ...
            async def divide(self, a: roam.i64, b: roam.i64) -> roam.Result[roam.i64, MathError]: ...

    The service name is the class name (or name=), each method's name is
    the Rust method's (snake_case); ids come from roam_method_id over the
    signature the annotations describe. Adds Cls.client(conn) (a typed
    client) and Cls.__roam_service__. Implement it by subclassing and
    overriding the methods (async or plain); pass an instance as serve=."""
    def wrap(c):
        sname = name or c.__name__
        methods = {}
        stubs = set()
        for attr, fn in list(c.__dict__.items()):
            if attr.startswith("_") or not inspect.isfunction(fn):
                continue
            hints = get_type_hints(fn, include_extras=True)
            sig = inspect.signature(fn)
            params = []
            for i, p in enumerate(sig.parameters.values()):
                if i == 0:
                    continue  # self
                if p.name not in hints:
                    raise TypeError("%s.%s: parameter %s needs a type annotation" % (
                        sname, attr, p.name))
                params.append((p.name, codec_for(hints[p.name], c)))
            ret = codec_for(hints.get("return", None), c)
            methods[attr] = MethodInfo(sname, attr, params, ret)
            stubs.add(fn)
        info = ServiceInfo(sname, methods, stubs)
        c.__roam_service__ = info
        client_cls = type(sname + "Client", (ClientBase,),
                          {m.method: _client_method(m) for m in methods.values()})
        client_cls.__slots__ = ()
        c.Client = client_cls
        c.client = staticmethod(lambda conn, metadata=None: client_cls(conn, metadata))
        c.methods = staticmethod(lambda: list(methods.values()))
        return c
    if cls is not None:
        return wrap(cls)
    return wrap


def dispatcher(serve):
    """{method id: (MethodInfo, bound handler or None)} for an implementation
    (an instance of a @roam.service class's subclass), a list of them, or a
    ready dict."""
    if isinstance(serve, dict):
        return serve
    impls = serve if isinstance(serve, (list, tuple)) else [serve]
    table = {}
    for impl in impls:
        found = False
        for klass in type(impl).__mro__:
            info = klass.__dict__.get("__roam_service__")
            if info is None:
                continue
            found = True
            for m in info.methods.values():
                fn = getattr(impl, m.method, None)
                raw = getattr(fn, "__func__", fn)
                if fn is None or raw in info.stubs:
                    table.setdefault(m.id, (m, None))  # declared, not implemented
                else:
                    table[m.id] = (m, fn)
        if not found:
            raise TypeError("%r does not implement a @roam.service class" % (impl,))
    return table
