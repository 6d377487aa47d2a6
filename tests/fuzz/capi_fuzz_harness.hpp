// fuzz_capi's harness: the whole library through roam.h, as a user drives
// it, with no sockets and no loop. One or two sessions made with
// roam_session_new_custom(); two are joined back to back (each one's
// pending output into the other's receive, in fuzzer-chosen pieces, now and
// then corrupted or cut); one alone talks to a hostile peer played by the
// harness (a valid handshake, then arbitrary bytes and built messages).
// The program (capi_input.hpp) interleaves that traffic with user
// operations, some of them re-entrant from inside callbacks.
//
// Every handle the library hands out gets a record that lives for the whole
// run (its user_data), so the harness can tell a callback for a handle that
// already had its final one, and never uses a handle past its documented
// end. Checked, besides ASan/UBSan/LeakSanitizer: every whole frame
// written decodes and fits the session's frame limit; callbacks run only inside receive / receive_eof / tick of their
// own session and never after its close callback; each call completes,
// each channel ends and each connection gets its final callback exactly
// once; every session's close callback runs once it is closed and drained.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "capi_input.hpp"
#include "capi_output_frames.hpp"
#include "fuzz_input.hpp"
#include "roam/roam.h"

namespace roam::fuzz::capi {

struct SideRecord;

struct ConnRecord {
  roam_conn *conn = nullptr;
  SideRecord *side = nullptr;
  bool alive = true;  // until its final callback (or our successful reject)
  bool root = false;
};

struct CallRecord {
  roam_call *call = nullptr;
  SideRecord *side = nullptr;
  bool done = false;  // its response callback ran
};

struct ReplyRecord {
  roam_reply *reply = nullptr;
  ConnRecord *conn = nullptr;
  bool held = true;  // until answered or released
  std::vector<uint64_t> channels;
};

struct ChannelRecord {
  roam_channel *ch = nullptr;
  ConnRecord *conn = nullptr;
  bool alive = true;  // until its end callback
};

class CapiFuzzHarness;

struct SideRecord {
  SideRecord(CapiFuzzHarness *h, uint32_t max_frame) : harness(h), output(max_frame) {}
  CapiFuzzHarness *harness;
  int index = 0;
  roam_session *s = nullptr;
  bool close_called = false;
  bool closed = false;  // its close callback ran: the handle is gone
  bool handshake_seen = false;
  bool end_seen = false;
  int driving = 0;  // inside receive / receive_eof / tick of this session
  CapiOutputFrames output;
  std::vector<uint8_t> inbox;  // bytes it refused with ROAM_EAGAIN, fed again later
};

class CapiFuzzHarness {
 public:
  CapiFuzzHarness(const uint8_t *data, size_t size);
  ~CapiFuzzHarness();
  void run();

 private:
  // ---- setup and the end ----
  roam_options *make_options(bool acceptor) const;
  void create_sides();
  void handshake();
  void finish();
  void final_checks();

  // ---- traffic and time ----
  void run_op(uint8_t code);
  void pump(SideRecord *from, size_t max_bytes, uint8_t mutation);
  void pump_all();
  void deliver(SideRecord *to, std::vector<uint8_t> bytes);
  void feed_eof(SideRecord *side);
  void tick(SideRecord *side);
  void tick_to_deadline(SideRecord *side);
  SideRecord *other(SideRecord *side);

  // ---- user operations ----
  void user_op(uint8_t code);
  void react(SideRecord *side, ConnRecord *conn, CallRecord *call, ReplyRecord *reply,
             ChannelRecord *channel);
  void answer(ReplyRecord *reply);
  void cancel(CallRecord *call);
  void close_session(SideRecord *side);
  void op_call(bool with_channels);
  void op_proxy();
  void op_raw_send();

  // ---- picking live handles ----
  SideRecord *pick_side();  // a session whose close callback has not run
  ConnRecord *pick_conn();
  CallRecord *pick_call();
  ReplyRecord *pick_reply();
  ChannelRecord *pick_channel();
  roam_metadata *build_metadata();
  std::vector<uint8_t> build_payload();

  // ---- callbacks (static trampolines call these) ----
  SideRecord *callback_side(void *user_data, roam_session *s);
  ConnRecord *callback_conn(SideRecord *side, roam_conn *conn);
  void read_metadata(const roam_metadata *md);

 public:  // for the C callbacks in the .cpp
  void on_handshake(SideRecord *side, int status, const roam_metadata *md);
  void on_end(SideRecord *side, int error, const char *reason);
  void on_close(SideRecord *side);
  void on_inbound_open(SideRecord *side, roam_conn *conn, const roam_metadata *md);
  void on_open(SideRecord *side, roam_conn *conn, int status, const roam_metadata *md);
  void on_conn_closed(SideRecord *side, roam_conn *conn, int origin, const roam_metadata *md);
  void on_call(SideRecord *side, roam_conn *conn, roam_reply *reply, const uint64_t *channels,
               size_t channel_count, const roam_metadata *md);
  void on_call_cancelled(SideRecord *side, roam_reply *reply);
  void on_response(CallRecord *call, roam_call *handle, const roam_metadata *md);
  void on_channel_item(SideRecord *side, roam_channel *ch);
  void on_channel_end(SideRecord *side, roam_channel *ch, const roam_metadata *md);
  void on_channel_writable(SideRecord *side, roam_channel *ch);
  void on_plain(SideRecord *side);  // pong, keepalive timeout, writable, trace, raw messages

 private:
  FuzzInput in_;
  uint8_t flags_ = 0;
  uint8_t header_[kCapiHeaderSize] = {};
  uint64_t now_us_ = 1000000;
  int depth_ = 0;          // user operations running from inside callbacks
  bool finishing_ = false;  // the end: callbacks no longer act
  std::vector<std::unique_ptr<SideRecord>> sides_;
  std::vector<std::unique_ptr<ConnRecord>> conns_;
  std::vector<std::unique_ptr<CallRecord>> calls_;
  std::vector<std::unique_ptr<ReplyRecord>> replies_;
  std::vector<std::unique_ptr<ChannelRecord>> channels_;
};

}  // namespace roam::fuzz::capi
