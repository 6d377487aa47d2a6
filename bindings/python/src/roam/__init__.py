"""roam: the roam RPC session protocol (wire-compatible with the Rust roam 7.3.0
crates) for Python, over libroam's C API through ctypes.

    import asyncio, roam

    @roam.service
    class Hello:
        async def greet(self, name: str) -> str: ...

    class HelloImpl(Hello):
        async def greet(self, name): return "hello, " + name

    async def main():
        async with await roam.listen("tcp://127.0.0.1:0", serve=HelloImpl()) as server:
            async with await roam.connect(server.address) as s:
                print(await Hello.client(s.root).greet("world"))

    asyncio.run(main())

Everything runs on the asyncio event loop that created the session (see
README.md: thread model, ownership); roam.blocking has the same API for
code without a loop.
"""
from ._lib import (ERROR_CODES, ChannelClosed, ConnectionRejected, DecodeError, RoamError,
                   UserError, err_name, last_error_detail, library_path, strerror)
from ._lib import lib as _clib
from ._types import (DataEnum, Err, Ok, Result, Rx, Tx, Unit, char, codec_for, decode, encode,
                     f32, f64, i8, i16, i32, i64, i128, method_id, signature_bytes, u8, u16, u32,
                     u64, u128, variant)
from ._core import (CLOSE_LOCAL, CLOSE_REMOTE, CLOSE_SESSION, CloseInfo, Connection, Metadata,
                    MetadataEntry, Request, Server, Session, channel, connect,
                    current_request, listen)
from ._service import MethodInfo, service


globals().update(ERROR_CODES)

__version__ = "1.0.0"


def library_version():
    """The loaded libroam's version ("1.0.0")."""
    return _clib.roam_version().decode()


__all__ = [
    "connect", "listen", "channel", "service", "current_request", "Request", "Session", "Server", "Connection", "Metadata",
    "MetadataEntry", "CloseInfo", "RoamError", "UserError", "ConnectionRejected",
    "ChannelClosed", "DecodeError", "Result", "Ok", "Err", "Tx", "Rx", "DataEnum", "variant",
    "Unit", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128", "f32", "f64",
    "char", "encode", "decode", "codec_for", "signature_bytes", "method_id", "MethodInfo",
    "strerror", "err_name", "last_error_detail", "library_path", "library_version",
    "CLOSE_LOCAL", "CLOSE_REMOTE", "CLOSE_SESSION",
] + list(ERROR_CODES)
