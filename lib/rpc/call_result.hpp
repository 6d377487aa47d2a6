// The envelope every roam response carries: postcard of
// Result<T, RoamError<E>> (rpc.fallible.roam-error):
//   00 T                Ok(T)
//   01 00 E             Err(User(E))        — the method's own error value
//   01 01 / 01 02 / 01 03  UnknownMethod / InvalidPayload / Cancelled
#pragma once

#include <cstdint>

#include "wire/bytes.hpp"

namespace roam::rpc {

// Splits a response payload into an outcome and the value bytes after the
// envelope: ROAM_OK (value = T), ROAM_EUSER (value = E),
// ROAM_EUNKNOWNMETHOD, ROAM_EINVALIDPAYLOAD, ROAM_ECANCELLED (value empty);
// ROAM_EPROTO if the payload is not such an envelope (value = all of it).
int decode_call_result(wire::ByteView ret, wire::ByteView *value);

// The two-byte payloads for the RoamError variants without a value.
wire::ByteView roam_error_payload(int code);  // ROAM_EUNKNOWNMETHOD / EINVALIDPAYLOAD / ECANCELLED

// Writes the envelope prefix for Ok (00) or Err(User) (01 00) into out.
void put_ok_prefix(wire::ByteBuffer &out);
void put_user_error_prefix(wire::ByteBuffer &out);

}  // namespace roam::rpc
