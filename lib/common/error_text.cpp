#include "common/error_text.hpp"

#include "roam/roam_errors.h"

namespace roam {
namespace {

struct ErrorInfo {
  int code;
  const char *name;
  const char *text;
};

constexpr ErrorInfo kErrors[] = {
    {ROAM_OK, "ROAM_OK", "success"},
    {ROAM_EINVAL, "ROAM_EINVAL", "invalid argument"},
    {ROAM_ENOMEM, "ROAM_ENOMEM", "out of memory"},
    {ROAM_EAGAIN, "ROAM_EAGAIN", "would block: outbound queue or peer limit full"},
    {ROAM_ESTATE, "ROAM_ESTATE", "operation not valid in the current state"},
    {ROAM_ENOTFOUND, "ROAM_ENOTFOUND", "no such connection, request or channel"},
    {ROAM_EROOT, "ROAM_EROOT", "cannot close root connection"},
    {ROAM_ECLOSED, "ROAM_ECLOSED", "connection or session closed"},
    {ROAM_EREJECTED, "ROAM_EREJECTED", "connection rejected by peer"},
    {ROAM_EPROTO, "ROAM_EPROTO", "protocol violation by peer"},
    {ROAM_EVERSION, "ROAM_EVERSION", "protocol version mismatch"},
    {ROAM_EHANDSHAKE, "ROAM_EHANDSHAKE", "unexpected message during handshake"},
    {ROAM_ETIMEDOUT, "ROAM_ETIMEDOUT", "timed out (handshake, frame or idle)"},
    {ROAM_EKEEPALIVE, "ROAM_EKEEPALIVE", "keepalive timeout: peer stopped answering pings"},
    {ROAM_EEOF, "ROAM_EEOF", "peer closed the transport"},
    {ROAM_EIO, "ROAM_EIO", "transport I/O error"},
    {ROAM_EFRAMESIZE, "ROAM_EFRAMESIZE", "frame larger than the configured maximum"},
    {ROAM_ELIMIT, "ROAM_ELIMIT", "configured limit exceeded"},
    {ROAM_ECANCELLED, "ROAM_ECANCELLED", "cancelled"},
    {ROAM_EPEERERROR, "ROAM_EPEERERROR", "peer reported a protocol error"},
    {ROAM_ESHUTDOWN, "ROAM_ESHUTDOWN", "session shut down"},
    {ROAM_ERESET, "ROAM_ERESET", "channel reset"},
    {ROAM_EUSER, "ROAM_EUSER", "the method returned an error"},
    {ROAM_EUNKNOWNMETHOD, "ROAM_EUNKNOWNMETHOD", "unknown method"},
    {ROAM_EINVALIDPAYLOAD, "ROAM_EINVALIDPAYLOAD", "invalid arguments"},
    {ROAM_ENOBUFS, "ROAM_ENOBUFS", "buffer too small"},
    {ROAM_EINTERNAL, "ROAM_EINTERNAL", "internal error in libroam"},
    {ROAM_ETRUNCATED, "ROAM_ETRUNCATED", "malformed message: input ends inside a value"},
    {ROAM_EOVERLONG, "ROAM_EOVERLONG", "malformed message: varint too long"},
    {ROAM_EBADTAG, "ROAM_EBADTAG", "malformed message: unknown discriminant"},
    {ROAM_EBADLENGTH, "ROAM_EBADLENGTH", "malformed message: length past the end"},
    {ROAM_ETRAILING, "ROAM_ETRAILING", "malformed message: trailing bytes"},
    {ROAM_EBADUTF8, "ROAM_EBADUTF8", "malformed message: invalid UTF-8"},
    {ROAM_ERANGE, "ROAM_ERANGE", "malformed message: value out of range"},
};

const ErrorInfo *find(int code) noexcept {
  for (const auto &e : kErrors) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

const char *error_text(int code) noexcept {
  const ErrorInfo *e = find(code);
  return e ? e->text : "unknown error";
}

const char *error_name(int code) noexcept {
  const ErrorInfo *e = find(code);
  return e ? e->name : "ROAM_E?";
}

}  // namespace roam
