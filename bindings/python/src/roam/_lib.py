"""Loading libroam.so.1 with ctypes: prototypes, callback types, errors.

Lookup order (bindings/README.md): ROAM_LIBRARY_PATH (a file), then
libroam.so.1 in the build tree named by ROAM_BUILD_DIR, then the libdir of
`pkg-config --variable=libdir roam`, then the system loader.
"""
import ctypes
import os
import shutil
import subprocess
from ctypes import (CFUNCTYPE, POINTER, c_char_p, c_double, c_float, c_int, c_int8,
                    c_int16, c_int32, c_int64, c_size_t, c_uint8, c_uint16, c_uint32,
                    c_uint64, c_void_p)

__all__ = ["lib", "library_path", "RoamError"]


def _candidates():
    env = os.environ.get("ROAM_LIBRARY_PATH")
    if env:
        yield env
    build = os.environ.get("ROAM_BUILD_DIR")
    if build:
        yield os.path.join(build, "libroam.so.1")
    if shutil.which("pkg-config"):
        try:
            out = subprocess.run(["pkg-config", "--variable=libdir", "roam"], capture_output=True,
                                 text=True, timeout=10)
            libdir = out.stdout.strip()
            if out.returncode == 0 and libdir:
                yield os.path.join(libdir, "libroam.so.1")
        except (OSError, subprocess.SubprocessError):
            pass
    yield "libroam.so.1"


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append("%s (no such file)" % path)
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("roam: cannot load libroam.so.1; tried: " + "; ".join(tried) +
                      ". Set ROAM_LIBRARY_PATH to the library file.")


lib, library_path = _load()

# ---- callback types (pointers as c_void_p: ints, None for NULL) ------------------
vp = c_void_p
response_cb = CFUNCTYPE(None, vp, vp, c_uint64, c_int, vp, vp, c_size_t)
item_cb = CFUNCTYPE(None, vp, c_uint64, vp, vp, c_size_t)
end_cb = CFUNCTYPE(None, vp, c_uint64, vp, c_int, vp)
writable_ch_cb = CFUNCTYPE(None, vp, c_uint64, vp)
work_cb = CFUNCTYPE(None, vp, vp)
accept_cb = CFUNCTYPE(None, vp, vp, c_int, vp)
listener_close_cb = CFUNCTYPE(None, vp, vp)
handshake_cb = CFUNCTYPE(None, vp, vp, c_int, vp)
session_end_cb = CFUNCTYPE(None, vp, vp, c_int, c_char_p)
inbound_open_cb = CFUNCTYPE(None, vp, vp, vp, vp)
open_result_cb = CFUNCTYPE(None, vp, vp, vp, c_int, vp)
conn_closed_cb = CFUNCTYPE(None, vp, vp, vp, c_int, c_int, vp)
serve_cb = CFUNCTYPE(None, vp, vp, vp, c_uint64, c_uint64, POINTER(c_uint64), c_size_t, vp, vp,
                     c_size_t)
serve_cancelled_cb = CFUNCTYPE(None, vp, vp, vp, c_uint64)
pong_cb = CFUNCTYPE(None, vp, vp, c_uint64, c_uint64)
keepalive_timeout_cb = CFUNCTYPE(None, vp, vp)
writable_cb = CFUNCTYPE(None, vp, vp)
session_close_cb = CFUNCTYPE(None, vp, vp)


class PostcardWriter(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("buf", POINTER(c_uint8)), ("cap", c_size_t),
                ("len", c_size_t), ("needed", c_size_t), ("error", c_int),
                ("flags_", c_uint32), ("reserved_", c_void_p * 4)]


class PostcardReader(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("data", POINTER(c_uint8)), ("len", c_size_t),
                ("pos", c_size_t), ("error", c_int), ("flags_", c_uint32),
                ("reserved_", c_void_p * 4)]


def _proto(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


P = POINTER
_protos = [
    ("roam_version", c_char_p),
    ("roam_strerror", c_char_p, c_int),
    ("roam_err_name", c_char_p, c_int),
    ("roam_last_error_detail", c_char_p),
    ("roam_metadata_new", c_int, P(vp)),
    ("roam_metadata_free", None, vp),
    ("roam_metadata_add_string", c_int, vp, c_char_p, c_size_t, c_char_p, c_size_t, c_uint64),
    ("roam_metadata_add_bytes", c_int, vp, c_char_p, c_size_t, c_char_p, c_size_t, c_uint64),
    ("roam_metadata_add_u64", c_int, vp, c_char_p, c_size_t, c_uint64, c_uint64),
    ("roam_metadata_count", c_size_t, vp),
    ("roam_metadata_get", c_int, vp, c_size_t, P(vp), P(c_size_t), P(c_int), P(vp), P(c_size_t),
     P(c_uint64), P(c_uint64)),
    ("roam_options_new", c_int, P(vp)),
    ("roam_options_free", None, vp),
    ("roam_options_set_role", c_int, vp, c_int),
    ("roam_options_set_hello_metadata", c_int, vp, vp),
    ("roam_options_set_max_concurrent_requests", c_int, vp, c_uint32),
    ("roam_options_set_keepalive", c_int, vp, c_uint32, c_uint32),
    ("roam_options_set_handshake_timeout", c_int, vp, c_uint32),
    ("roam_options_set_idle_timeout", c_int, vp, c_uint32),
    ("roam_runtime_new", c_int, P(vp)),
    ("roam_runtime_free", c_int, vp),
    ("roam_runtime_run_nowait", c_int, vp),
    ("roam_runtime_run_once", c_int, vp),
    ("roam_runtime_backend_fd", c_int, vp),
    ("roam_runtime_backend_timeout", c_int, vp, P(c_int)),
    ("roam_callbacks_new", c_int, P(vp)),
    ("roam_callbacks_free", None, vp),
    ("roam_callbacks_set_handshake", c_int, vp, handshake_cb),
    ("roam_callbacks_set_session_end", c_int, vp, session_end_cb),
    ("roam_callbacks_set_inbound_open", c_int, vp, inbound_open_cb),
    ("roam_callbacks_set_open_result", c_int, vp, open_result_cb),
    ("roam_callbacks_set_conn_closed", c_int, vp, conn_closed_cb),
    ("roam_callbacks_set_serve", c_int, vp, serve_cb),
    ("roam_callbacks_set_serve_cancelled", c_int, vp, serve_cancelled_cb),
    ("roam_callbacks_set_pong", c_int, vp, pong_cb),
    ("roam_callbacks_set_keepalive_timeout", c_int, vp, keepalive_timeout_cb),
    ("roam_callbacks_set_writable", c_int, vp, writable_cb),
    ("roam_session_connect", c_int, vp, c_char_p, vp, vp, vp, P(vp)),
    ("roam_session_close", c_int, vp, session_close_cb, vp),
    ("roam_session_shutdown", c_int, vp),
    ("roam_session_set_user_data", None, vp, vp),
    ("roam_session_state", c_int, vp),
    ("roam_session_error", c_int, vp, P(c_int)),
    ("roam_session_last_error", c_char_p, vp),
    ("roam_session_root", c_int, vp, P(vp)),
    ("roam_session_ping", c_int, vp, P(c_uint64)),
    ("roam_session_parity", c_int, vp),
    ("roam_session_open", c_int, vp, c_int, c_uint32, vp, vp, P(vp)),
    ("roam_conn_id", c_int, vp, P(c_uint64)),
    ("roam_conn_state", c_int, vp),
    ("roam_conn_peer_settings", c_int, vp, P(c_int), P(c_uint32)),
    ("roam_conn_accept", c_int, vp, c_int, c_uint32, vp),
    ("roam_conn_reject", c_int, vp, vp),
    ("roam_conn_close", c_int, vp, vp),
    ("roam_conn_release", c_int, vp),
    ("roam_conn_call", c_int, vp, c_uint64, P(c_uint64), c_size_t, vp, c_char_p, c_size_t,
     response_cb, vp, P(c_uint64)),
    ("roam_call_cancel", c_int, vp, c_uint64, vp),
    ("roam_reply_ok", c_int, vp, c_uint64, vp, c_char_p, c_size_t),
    ("roam_reply_user_error", c_int, vp, c_uint64, vp, c_char_p, c_size_t),
    ("roam_reply_fail", c_int, vp, c_uint64, c_int, vp),
    ("roam_reply_release", c_int, vp, c_uint64),
    ("roam_conn_channel_open", c_int, vp, c_int, c_uint32, item_cb, end_cb, writable_ch_cb, vp,
     P(c_uint64)),
    ("roam_conn_channel_bind", c_int, vp, c_uint64, c_int, c_uint32, item_cb, end_cb,
     writable_ch_cb, vp),
    ("roam_channel_send", c_int, vp, c_uint64, c_char_p, c_size_t),
    ("roam_channel_close", c_int, vp, c_uint64, vp),
    ("roam_channel_reset", c_int, vp, c_uint64, vp),
    ("roam_channel_set_manual_credit", c_int, vp, c_uint64, c_int),
    ("roam_channel_grant", c_int, vp, c_uint64, c_uint32),
    ("roam_listener_new", c_int, vp, c_char_p, vp, vp, accept_cb, vp, P(vp)),
    ("roam_listener_address", c_int, vp, ctypes.c_char_p, P(c_size_t)),
    ("roam_listener_port", c_int, vp),
    ("roam_listener_close", c_int, vp, listener_close_cb, vp),
    ("roam_method_id", c_int, c_char_p, c_size_t, c_char_p, c_size_t, c_char_p, c_size_t,
     P(c_uint64)),
    ("roam_sig_builder_new", c_int, P(vp)),
    ("roam_sig_builder_free", None, vp),
    ("roam_sig_primitive", c_int, vp, c_int),
    ("roam_sig_list", c_int, vp),
    ("roam_sig_option", c_int, vp),
    ("roam_sig_set", c_int, vp),
    ("roam_sig_map", c_int, vp),
    ("roam_sig_array", c_int, vp, c_uint64),
    ("roam_sig_tx", c_int, vp),
    ("roam_sig_rx", c_int, vp),
    ("roam_sig_tuple", c_int, vp, c_size_t),
    ("roam_sig_struct", c_int, vp, c_char_p, c_size_t, c_size_t),
    ("roam_sig_field", c_int, vp, c_char_p, c_size_t),
    ("roam_sig_enum", c_int, vp, c_char_p, c_size_t, c_size_t),
    ("roam_sig_variant_unit", c_int, vp, c_char_p, c_size_t),
    ("roam_sig_variant_newtype", c_int, vp, c_char_p, c_size_t),
    ("roam_sig_variant_tuple", c_int, vp, c_char_p, c_size_t, c_size_t),
    ("roam_sig_variant_struct", c_int, vp, c_char_p, c_size_t, c_size_t),
    ("roam_sig_ref", c_int, vp, c_char_p, c_size_t),
    ("roam_sig_finish", c_int, vp, P(vp), P(c_size_t)),
    # the C postcard codec (the pure-Python codec is checked against it)
    ("roam_postcard_writer_init_growing", c_int, P(PostcardWriter), c_size_t),
    ("roam_postcard_writer_free", None, P(PostcardWriter)),
    ("roam_postcard_writer_finish", c_int, P(PostcardWriter), P(c_size_t)),
    ("roam_postcard_write_bool", c_int, P(PostcardWriter), c_int),
    ("roam_postcard_write_u8", c_int, P(PostcardWriter), c_uint8),
    ("roam_postcard_write_i8", c_int, P(PostcardWriter), c_int8),
    ("roam_postcard_write_u16", c_int, P(PostcardWriter), c_uint16),
    ("roam_postcard_write_u32", c_int, P(PostcardWriter), c_uint32),
    ("roam_postcard_write_u64", c_int, P(PostcardWriter), c_uint64),
    ("roam_postcard_write_i16", c_int, P(PostcardWriter), c_int16),
    ("roam_postcard_write_i32", c_int, P(PostcardWriter), c_int32),
    ("roam_postcard_write_i64", c_int, P(PostcardWriter), c_int64),
    ("roam_postcard_write_u128", c_int, P(PostcardWriter), c_uint64, c_uint64),
    ("roam_postcard_write_i128", c_int, P(PostcardWriter), c_int64, c_uint64),
    ("roam_postcard_write_f32", c_int, P(PostcardWriter), c_float),
    ("roam_postcard_write_f64", c_int, P(PostcardWriter), c_double),
    ("roam_postcard_write_char", c_int, P(PostcardWriter), c_uint32),
    ("roam_postcard_write_str", c_int, P(PostcardWriter), c_char_p, c_size_t),
    ("roam_postcard_write_bytes", c_int, P(PostcardWriter), c_char_p, c_size_t),
    ("roam_postcard_write_option", c_int, P(PostcardWriter), c_int),
    ("roam_postcard_write_len", c_int, P(PostcardWriter), c_uint64),
    ("roam_postcard_write_variant", c_int, P(PostcardWriter), c_uint32),
    ("roam_postcard_reader_init", c_int, P(PostcardReader), c_size_t, c_char_p, c_size_t),
    ("roam_postcard_reader_finish", c_int, P(PostcardReader)),
    ("roam_postcard_read_u64", c_int, P(PostcardReader), P(c_uint64)),
    ("roam_postcard_read_i64", c_int, P(PostcardReader), P(c_int64)),
    ("roam_postcard_read_u32", c_int, P(PostcardReader), P(c_uint32)),
    ("roam_postcard_read_i32", c_int, P(PostcardReader), P(c_int32)),
    ("roam_postcard_read_u16", c_int, P(PostcardReader), P(c_uint16)),
    ("roam_postcard_read_str", c_int, P(PostcardReader), P(vp), P(c_size_t)),
]
for _p in _protos:
    _proto(*_p)

# ---- error codes ---------------------------------------------------------------------
ERROR_CODES = {
    "OK": 0, "EINVAL": -1, "ENOMEM": -2, "EAGAIN": -3, "ESTATE": -4, "ENOTFOUND": -5,
    "EROOT": -6, "ECLOSED": -7, "EREJECTED": -8, "EPROTO": -9, "EVERSION": -10,
    "EHANDSHAKE": -11, "ETIMEDOUT": -12, "EKEEPALIVE": -13, "EEOF": -14, "EIO": -15,
    "EFRAMESIZE": -16, "ELIMIT": -17, "ECANCELLED": -18, "EPEERERROR": -19, "ESHUTDOWN": -20,
    "ERESET": -21, "EUSER": -22, "EUNKNOWNMETHOD": -23, "EINVALIDPAYLOAD": -24,
    "ENOBUFS": -25, "EINTERNAL": -26, "ETRUNCATED": -30, "EOVERLONG": -31, "EBADTAG": -32,
    "EBADLENGTH": -33, "ETRAILING": -34, "EBADUTF8": -35, "ERANGE": -36,
}
globals().update(ERROR_CODES)
EUSER, EREJECTED, ECLOSED = ERROR_CODES["EUSER"], ERROR_CODES["EREJECTED"], ERROR_CODES["ECLOSED"]


def strerror(code):
    return lib.roam_strerror(code).decode("utf-8", "replace")


def err_name(code):
    return lib.roam_err_name(code).decode("utf-8", "replace")


def last_error_detail():
    return lib.roam_last_error_detail().decode("utf-8", "replace")


class RoamError(Exception):
    """A libroam failure: .code (a negative ROAM_E* code, e.g. roam.ECLOSED),
    .name ("ROAM_ECLOSED"), .message (roam_strerror), .detail (what
    roam_last_error_detail or the peer said), .op (the operation)."""

    def __init__(self, code, op="", detail=""):
        self.code = code
        self.name = err_name(code)
        self.message = strerror(code)
        self.detail = detail or ""
        self.op = op
        text = "%s: %s" % (self.name, self.message)
        if op:
            text = "%s: %s" % (op, text)
        if self.detail:
            text += " (%s)" % self.detail
        super().__init__(text)


def check(rc, op):
    """Raises RoamError for a negative rc (with the thread's error detail)."""
    if rc < 0:
        raise RoamError(rc, op, last_error_detail())
    return rc


class UserError(RoamError):
    """The method's own error (Err(E) of a Result[T, E] method): .value is E.
    Raise it from a handler to answer Err(value); a client call raises it."""

    def __init__(self, value, op=""):
        self.value = value
        super().__init__(EUSER, op, repr(value))


class ConnectionRejected(RoamError):
    """The peer rejected a virtual connection: .metadata is its reject metadata."""

    def __init__(self, metadata, op="open"):
        self.metadata = metadata
        super().__init__(EREJECTED, op, metadata_text(metadata))


class ChannelClosed(RoamError):
    """The channel ended normally (the sender closed it): nothing more to receive."""

    def __init__(self, op="recv"):
        super().__init__(ECLOSED, op, "the channel was closed by its sender")


class DecodeError(RoamError):
    """Bytes that are not a well-formed postcard value of the expected type."""


def metadata_text(md):
    try:
        return ", ".join("%s=%s" % (e[0], e[1]) for e in md)
    except Exception:  # pragma: no cover
        return ""
