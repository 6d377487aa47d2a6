#include "rpc/call_result.hpp"

#include "roam/roam_errors.h"

namespace roam::rpc {

namespace {
// Variant indexes (postcard varints, all single bytes).
constexpr uint8_t kOk = 0x00, kErr = 0x01;
constexpr uint8_t kUser = 0x00, kUnknownMethod = 0x01, kInvalidPayload = 0x02, kCancelled = 0x03;

const uint8_t kUnknownMethodBytes[] = {kErr, kUnknownMethod};
const uint8_t kInvalidPayloadBytes[] = {kErr, kInvalidPayload};
const uint8_t kCancelledBytes[] = {kErr, kCancelled};
}  // namespace

int decode_call_result(wire::ByteView ret, wire::ByteView *value) {
  *value = wire::ByteView();
  if (ret.size >= 1 && ret.data[0] == kOk) {
    *value = wire::ByteView(ret.data + 1, ret.size - 1);
    return ROAM_OK;
  }
  if (ret.size >= 2 && ret.data[0] == kErr) {
    switch (ret.data[1]) {
      case kUser:
        *value = wire::ByteView(ret.data + 2, ret.size - 2);
        return ROAM_EUSER;
      case kUnknownMethod:
        if (ret.size == 2) return ROAM_EUNKNOWNMETHOD;
        break;
      case kInvalidPayload:
        if (ret.size == 2) return ROAM_EINVALIDPAYLOAD;
        break;
      case kCancelled:
        if (ret.size == 2) return ROAM_ECANCELLED;
        break;
    }
  }
  *value = ret;
  return ROAM_EPROTO;
}

wire::ByteView roam_error_payload(int code) {
  switch (code) {
    case ROAM_EUNKNOWNMETHOD:
      return wire::ByteView(kUnknownMethodBytes, 2);
    case ROAM_EINVALIDPAYLOAD:
      return wire::ByteView(kInvalidPayloadBytes, 2);
    default:
      return wire::ByteView(kCancelledBytes, 2);
  }
}

void put_ok_prefix(wire::ByteBuffer &out) { out.push(kOk); }

void put_user_error_prefix(wire::ByteBuffer &out) {
  out.push(kErr);
  out.push(kUser);
}

}  // namespace roam::rpc
