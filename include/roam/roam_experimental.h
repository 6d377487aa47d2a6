/*
 * libroam — experimental API, outside the stable ABI.
 *
 * What is here is not frozen: it may change or go in any release, and its
 * symbols live in their own version node (ROAM_EXPERIMENTAL) outside the
 * ABI baseline that guards roam.h. Use it for tools, tests and protocol
 * work, not for code that must keep linking against future libroam.
 *
 * The raw protocol API: requests and channel messages as they travel, with
 * the ids, kinds and payloads the application chooses. libroam's RPC layer
 * (calls, served requests, channels in roam.h) builds on the same messages;
 * traffic it does not own (a request id nobody is waiting for, a channel id
 * nobody bound) reaches the raw callbacks below instead of being dropped.
 * The rules of roam.h (threads, ordering, views) apply unchanged.
 */
#ifndef ROAM_EXPERIMENTAL_H
#define ROAM_EXPERIMENTAL_H

#include "roam/roam.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A request message on an open connection that no call or serve callback
 * took. method_id is for CALL; channels for CALL and RESPONSE; payload is
 * the args (CALL) or the postcard-encoded Result (RESPONSE), empty for
 * CANCEL. With this callback set and no serve callback, inbound calls come
 * here instead of being answered UnknownMethod. */
typedef void (*roam_raw_request_cb)(roam_session *s, void *user_data, roam_conn *conn, int kind,
                                    uint64_t request_id, uint64_t method_id,
                                    const uint64_t *channels, size_t channel_count,
                                    const roam_metadata *md, const uint8_t *payload,
                                    size_t payload_len);
/* A channel message for a channel id nobody bound: payload for ITEM, md for
 * CLOSE / RESET, additional for GRANT_CREDIT. */
typedef void (*roam_raw_channel_cb)(roam_session *s, void *user_data, roam_conn *conn, int kind,
                                    uint64_t channel_id, const roam_metadata *md,
                                    const uint8_t *payload, size_t payload_len,
                                    uint32_t additional);
ROAM_EXPORT int roam_callbacks_set_raw_request(roam_callbacks *cbs, roam_raw_request_cb cb);
ROAM_EXPORT int roam_callbacks_set_raw_channel(roam_callbacks *cbs, roam_raw_channel_cb cb);

/* Sends a raw message. ROAM_EAGAIN when the outbound backlog is above the
 * soft limit; ROAM_ESTATE before the connection is open. channels may be
 * NULL when channel_count is 0. kind: a roam_request_kind / roam_channel_kind. */
ROAM_EXPORT int roam_conn_send_request(roam_conn *conn, int kind, uint64_t request_id,
                                       uint64_t method_id, const uint64_t *channels,
                                       size_t channel_count, const roam_metadata *md,
                                       const void *payload, size_t payload_len);
ROAM_EXPORT int roam_conn_send_channel(roam_conn *conn, int kind, uint64_t channel_id,
                                       const roam_metadata *md, const void *payload,
                                       size_t payload_len, uint32_t additional);

/* Answers a served request with a complete response payload (a postcard
 * Result<T, RoamError<E>>) as is; otherwise as roam_reply_ok(). */
ROAM_EXPORT int roam_reply_raw(roam_conn *conn, uint64_t request_id, const roam_metadata *md,
                               const void *result, size_t result_len);

/* TESTING ONLY: send this protocol version in Hello instead of 7, to check
 * how a peer rejects a version mismatch. */
ROAM_EXPORT int roam_options_set_protocol_version_for_testing(roam_options *opts,
                                                              uint32_t version);

#ifdef __cplusplus
}
#endif

#endif /* ROAM_EXPERIMENTAL_H */
