// fuzz_capi's harness: the whole library through roam.h (and the raw
// protocol API of roam_experimental.h), as a user drives it, with no
// sockets and no loop. One or two sessions made with
// roam_session_new_custom(); two are joined back to back (each one's
// pending output into the other's receive, in fuzzer-chosen pieces, now and
// then corrupted or cut); one alone talks to a hostile peer played by the
// harness (a valid handshake, then arbitrary bytes and built messages).
// The program (capi_input.hpp) interleaves that traffic with user
// operations, some of them re-entrant from inside callbacks.
//
// Each session is made with its own callbacks table (freed right after the
// constructor: the library keeps a copy), its record as user_data. Every
// connection handle the library hands out, and every call, served request
// and channel id, gets a record that lives for the whole run (a connection's
// is its user_data; a call's and a channel's are their callbacks'
// user_data), so the harness can tell a callback for something that already
// had its final one, and never uses a connection handle past its documented
// end. Checked, besides ASan/UBSan/LeakSanitizer: every whole frame
// written decodes and fits the session's frame limit; callbacks run only
// inside receive / receive_eof / tick of their own session and never after
// its close callback; each call completes, each channel ends and each
// connection gets its final callback exactly once, and every call and
// channel of a connection ends before its final callback; every session's
// close callback runs once it is closed and drained; ids address one thing
// at a time (no two live served requests or channels share one), and an
// ended call or channel id is answered ROAM_ENOTFOUND (or ROAM_ECLOSED).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "capi_input.hpp"
#include "capi_output_frames.hpp"
#include "fuzz_input.hpp"
#include "roam/roam.h"
#include "roam/roam_experimental.h"

namespace roam::fuzz::capi {

struct SideRecord;

struct ConnRecord {
  roam_conn *conn = nullptr;
  SideRecord *side = nullptr;
  bool alive = true;  // until its final callback (or our successful reject)
  bool root = false;
};

// A call we made: request `request_id` on `conn` (its response callback's
// user_data).
struct CallRecord {
  ConnRecord *conn = nullptr;
  uint64_t request_id = 0;
  bool done = false;  // its response callback ran (or no call was made)
};

// A request we serve: `request_id` on `conn`.
struct ReplyRecord {
  ConnRecord *conn = nullptr;
  uint64_t request_id = 0;
  bool held = true;  // until answered or released, or its connection's end
  bool cancelled = false;  // the serve-cancelled callback ran
  std::vector<uint64_t> channels;
};

// A channel we opened or bound: `id` on `conn` (its callbacks' user_data).
struct ChannelRecord {
  ConnRecord *conn = nullptr;
  uint64_t id = 0;
  bool alive = true;  // until its end callback (or no channel was made)
  bool made = false;  // opened or bound successfully
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
  roam_callbacks *make_callbacks() const;
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
  void op_channel(bool open);
  void op_proxy();
  void op_raw_send();
  void op_inspect();

  // ---- picking live handles ----
  SideRecord *pick_side();  // a session whose close callback has not run
  ConnRecord *pick_conn();
  CallRecord *pick_call();
  ReplyRecord *pick_reply();
  ChannelRecord *pick_channel();
  ReplyRecord *find_reply(const ConnRecord *conn, uint64_t request_id, bool held);
  bool live_channel(const ConnRecord *conn, uint64_t id, const ChannelRecord *except) const;
  void connection_ended(ConnRecord *rec);
  roam_metadata *build_metadata();
  std::vector<uint8_t> build_payload();

  // ---- callbacks (static trampolines call these) ----
  SideRecord *callback_side(SideRecord *side, roam_session *s);
  ConnRecord *callback_conn(SideRecord *side, roam_conn *conn);
  void read_metadata(const roam_metadata *md);

 public:  // for the C callbacks in the .cpp
  void on_handshake(SideRecord *side, int status, const roam_metadata *md);
  void on_end(SideRecord *side, int error, const char *reason);
  void on_close(SideRecord *side);
  void on_inbound_open(SideRecord *side, roam_conn *conn, const roam_metadata *md);
  void on_open(SideRecord *side, roam_conn *conn, int status, const roam_metadata *md);
  void on_conn_closed(SideRecord *side, roam_conn *conn, int origin, const roam_metadata *md);
  void on_serve(SideRecord *side, roam_conn *conn, uint64_t request_id, const uint64_t *channels,
                size_t channel_count, const roam_metadata *md);
  void on_serve_cancelled(SideRecord *side, roam_conn *conn, uint64_t request_id);
  void on_response(CallRecord *call, roam_conn *conn, uint64_t request_id,
                   const roam_metadata *md);
  void on_channel(ChannelRecord *ch, roam_conn *conn, uint64_t channel_id, bool end,
                  const roam_metadata *md);
  void on_raw(SideRecord *side, roam_conn *conn, const roam_metadata *md);  // raw request / channel
  void on_plain(SideRecord *side);  // pong, keepalive timeout, writable, trace

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
