#include "fuzz_connection.hpp"

#include "fuzz_check.hpp"
#include "session_fuzz_harness.hpp"
#include "view_access.hpp"

namespace roam::fuzz {

namespace {
unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }
}  // namespace

void FuzzConnection::start_driver(const rpc::DriverConfig &config) {
  driver = std::make_unique<rpc::ConnectionDriver>(config, this, this);
}

int FuzzConnection::send_request(const wire::RequestMessage &m, bool force) {
  return harness_.core().send_request(id, m, force);
}

int FuzzConnection::send_channel(const wire::ChannelMessage &m, bool force) {
  return harness_.core().send_channel(id, m, force);
}

void FuzzConnection::protocol_violation(int code, std::string reason) {
  harness_.core().protocol_violation(code, std::move(reason));
}

void FuzzConnection::on_call_done(void *token, uint64_t request_id, int status,
                                  const wire::MetadataView *response_md, wire::ByteView value) {
  auto *call = static_cast<CallRecord *>(token);
  FUZZ_CHECK(call != nullptr, "on_call_done without a token (status %d)", status);
  FUZZ_CHECK(call->owner == this, "call %llu completed on connection %llu, made on another",
             ull(call->request_id), ull(id));
  FUZZ_CHECK(call->registered, "a call completed that call() never accepted");
  FUZZ_CHECK(call->request_id == request_id, "call %llu completed as request %llu",
             ull(call->request_id), ull(request_id));
  FUZZ_CHECK(!call->done, "call %llu on connection %llu completed twice", ull(call->request_id),
             ull(id));
  call->done = true;
  if (response_md) read_all(*response_md);
  read_all(value);
  harness_.react(Moment::CallDone, this, call->request_id);
}

rpc::RpcEvents::CallDisposition FuzzConnection::on_incoming_call(const wire::RequestMessage &call) {
  read_all(call);
  FUZZ_CHECK(served.count(call.id) == 0, "call %llu delivered while it is already being served",
             ull(call.id));
  for (uint64_t ch : ids_of(call.channels)) {
    if (peer_channel_ids.size() < 64) peer_channel_ids.push_back(ch);
  }
  served[call.id] = false;
  uint8_t choice = harness_.input().u8() % 4;
  CallDisposition d = choice == 2   ? CallDisposition::kTakenRaw
                      : choice == 3 ? CallDisposition::kUnhandled
                                    : CallDisposition::kServed;
  harness_.react(Moment::IncomingCall, this, call.id);
  // Only a served call stays ours to answer.
  if (d != CallDisposition::kServed) served.erase(call.id);
  return d;
}

void FuzzConnection::on_served_call_cancelled(uint64_t request_id) {
  auto it = served.find(request_id);
  FUZZ_CHECK(it != served.end(), "cancellation reported for call %llu, which is not being served",
             ull(request_id));
  FUZZ_CHECK(!it->second, "cancellation of served call %llu reported twice", ull(request_id));
  it->second = true;
  harness_.react(Moment::ServedCallCancelled, this, request_id);
}

ChannelRecord *FuzzConnection::channel_of(void *token, const char *event) {
  auto *ch = static_cast<ChannelRecord *>(token);
  FUZZ_CHECK(ch != nullptr, "%s without a token", event);
  FUZZ_CHECK(ch->owner == this, "%s for channel %llu on another connection", event, ull(ch->id));
  FUZZ_CHECK(ch->bound, "%s for channel %llu, which add() refused", event, ull(ch->id));
  FUZZ_CHECK(!ch->ended, "%s for channel %llu after it ended", event, ull(ch->id));
  return ch;
}

void FuzzConnection::on_channel_item(void *token, wire::ByteView item) {
  ChannelRecord *ch = channel_of(token, "on_channel_item");
  FUZZ_CHECK(ch->direction == rpc::ChannelDirection::Receive,
             "item delivered on channel %llu, which we send on", ull(ch->id));
  read_all(item);
  harness_.react(Moment::ChannelItem, this, ch->id);
}

void FuzzConnection::on_channel_end(void *token, int reason, const wire::MetadataView &md) {
  ChannelRecord *ch = channel_of(token, "on_channel_end");
  ch->ended = true;
  read_all(md);
  harness_.react(Moment::ChannelEnd, this, ch->id);
}

void FuzzConnection::on_channel_writable(void *token) {
  ChannelRecord *ch = channel_of(token, "on_channel_writable");
  FUZZ_CHECK(ch->direction == rpc::ChannelDirection::Send,
             "writable reported on channel %llu, which we receive on", ull(ch->id));
  harness_.react(Moment::ChannelWritable, this, ch->id);
}

void FuzzConnection::on_unrouted_request(const wire::RequestMessage &m) {
  read_all(m);
  harness_.react(Moment::UnroutedRequest, this, m.id);
}

bool FuzzConnection::on_unrouted_channel(const wire::ChannelMessage &m) {
  read_all(m);
  bool taken = harness_.input().flag();
  harness_.react(Moment::UnroutedChannel, this, m.id);
  return taken;
}

}  // namespace roam::fuzz
