// Writes the starting corpus of each fuzz target from the golden vectors
// (tests/vectors/*.hex, one message each), in each target's input format:
//   fuzz_message_decoder/  the message bytes as they are
//   fuzz_frame_decoder/    the messages framed, whole and split, under limits
//   fuzz_session/          each message sent by the peer after the handshake,
//                          to an acceptor and to an initiator, and a few short
//                          programs that reach calls, opens and channels
// Run at build time into the build tree; nothing generated is committed.
//
// usage: fuzz_seed_corpus VECTORS_DIR OUTPUT_DIR
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <string>
#include <vector>

#include "frame/frame_writer.hpp"
#include "session_input.hpp"
#include "wire/message_codec.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;
using roam::fuzz::SessionOp;

namespace {

// tests/vectors format: '#' comment lines, then hex digits and whitespace.
bool read_hex_vector(const fs::path &path, Bytes *out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  int high = -1;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    for (char c : line) {
      int v;
      if (c >= '0' && c <= '9') v = c - '0';
      else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
      else if (c == ' ' || c == '\t' || c == '\r') continue;
      else return false;
      if (high < 0) {
        high = v;
      } else {
        out->push_back(static_cast<uint8_t>(high << 4 | v));
        high = -1;
      }
    }
  }
  return high < 0;
}

void write_file(const fs::path &path, const Bytes &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::cerr << "fuzz_seed_corpus: cannot write " << path << "\n";
    std::exit(1);
  }
}

Bytes framed(const Bytes &payload) {
  uint32_t n = static_cast<uint32_t>(payload.size());
  Bytes out = {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n >> 16),
               static_cast<uint8_t>(n >> 24)};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes encoded(const roam::wire::Message &m) {
  roam::wire::ByteBuffer buf;
  roam::wire::encode_message(buf, m);
  return Bytes(buf.data(), buf.data() + buf.size());
}

// ---- fuzz_frame_decoder -------------------------------------------------------------

Bytes frame_decoder_seed(uint16_t max_frame_size, uint8_t stop_after,
                         std::initializer_list<uint8_t> chunk_lengths, const Bytes &stream) {
  Bytes out = {static_cast<uint8_t>(max_frame_size), static_cast<uint8_t>(max_frame_size >> 8),
               stop_after, static_cast<uint8_t>(chunk_lengths.size())};
  out.insert(out.end(), chunk_lengths.begin(), chunk_lengths.end());
  out.insert(out.end(), stream.begin(), stream.end());
  return out;
}

// ---- fuzz_session -------------------------------------------------------------------

// A session program under construction.
class SessionProgram {
 public:
  explicit SessionProgram(uint8_t flags) {
    using namespace roam::fuzz;
    bytes_.resize(kSessionHeaderSize);
    bytes_[kHeaderFlags] = flags;
    bytes_[kHeaderConcurrency] = 0x44;  // 4 calls each way
    bytes_[kHeaderFrameSize] = 32;      // 1056-byte frames
    bytes_[kHeaderSoftLimit] = 16;      // 1088 bytes
    bytes_[kHeaderHardLimit] = 16;      // soft + 2112
    bytes_[kHeaderConnections] = 0x34;  // 4 connections, 4 queued items
    bytes_[kHeaderMetadata] = 16;       // 272 bytes
    bytes_[kHeaderTimers] = 0x11;
    bytes_[kHeaderChannelBuffers] = 0x88;  // 256 bytes per connection, 1 KiB per session
    bytes_[kHeaderTimeouts] = 0;           // no frame or idle timeout
    // The reaction to on_handshake_done, read during the automatic handshake.
    if (!(flags & kFlagNoHandshake)) bytes_.push_back(0);
  }
  // An operation with its argument bytes (zeros pick the first target and
  // the empty or smallest value; see session_fuzz_harness.cpp).
  SessionProgram &op(SessionOp op, std::initializer_list<uint8_t> args = {}) {
    bytes_.push_back(static_cast<uint8_t>(op));
    bytes_.insert(bytes_.end(), args.begin(), args.end());
    return *this;
  }
  SessionProgram &peer_sends(const roam::wire::Message &m) { return peer_bytes(framed(encoded(m))); }
  SessionProgram &peer_bytes(const Bytes &stream) {
    uint16_t n = static_cast<uint16_t>(stream.size());
    op(SessionOp::PeerBytes, {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8)});
    bytes_.insert(bytes_.end(), stream.begin(), stream.end());
    return *this;
  }
  // Bytes the callbacks of the previous operation read (a disposition, a
  // reaction: 0 = serve, do nothing).
  SessionProgram &callbacks_read(std::initializer_list<uint8_t> answers) {
    bytes_.insert(bytes_.end(), answers.begin(), answers.end());
    return *this;
  }
  const Bytes &bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

roam::wire::Message response(uint64_t conn, uint64_t id, const Bytes &payload) {
  roam::wire::RequestMessage q;
  q.id = id;
  q.kind = roam::wire::RequestKind::Response;
  q.payload = roam::wire::ByteView(payload.data(), payload.size());
  return roam::wire::make_request(conn, q);
}

void write_session_scenarios(const fs::path &dir) {
  using namespace roam::fuzz;
  using roam::wire::MetadataView;
  const Bytes ok_hi = {0x00, 0x02, 'h', 'i'};

  // Our call on the root, answered.
  write_file(dir / "scenario_call_response",
             SessionProgram(0)
                 .op(SessionOp::Call, {0, 0, 0, 0, 0})
                 .peer_sends(response(0, 1, ok_hi))
                 .bytes());

  // A virtual connection we open, accepted, then a call on it.
  write_file(dir / "scenario_open_accept_call",
             SessionProgram(0)
                 .op(SessionOp::Open, {0, 0})
                 .peer_sends(roam::wire::make_connection_accept(
                     1, {roam::wire::Parity::Even, 4}, MetadataView()))
                 .callbacks_read({0})
                 .op(SessionOp::Call, {1, 0, 0, 0, 0})
                 .peer_sends(response(1, 1, ok_hi))
                 .bytes());

  // The peer opens a connection; we accept it.
  write_file(dir / "scenario_inbound_open_accept",
             SessionProgram(kFlagAcceptor | kFlagAcceptsInbound)
                 .peer_sends(roam::wire::make_connection_open(
                     1, {roam::wire::Parity::Odd, 4}, MetadataView()))
                 .callbacks_read({0})
                 .op(SessionOp::Accept, {0, 0, 0})
                 .bytes());

  // The peer calls with two channels; we bind the first, it sends an item,
  // we reply.
  uint64_t channel_ids[] = {1, 3};
  roam::wire::RequestMessage call;
  call.id = 1;
  call.kind = roam::wire::RequestKind::Call;
  call.method_id = 7;
  call.channels = roam::wire::IdList(channel_ids, 2);
  roam::wire::ChannelMessage item;
  item.id = 1;
  item.kind = roam::wire::ChannelKind::Item;
  item.item = roam::wire::ByteView(ok_hi.data(), ok_hi.size());
  write_file(dir / "scenario_inbound_call_channel",
             SessionProgram(kFlagAcceptor)
                 .peer_sends(roam::wire::make_request(0, call))
                 .callbacks_read({0, 0})
                 .op(SessionOp::AddChannel, {0, 1, 0, 1})
                 .peer_sends(roam::wire::make_channel(0, item))
                 .callbacks_read({0})
                 .op(SessionOp::Reply, {0, 0, 0, 0, 0})
                 .bytes());

  // Keepalive pings come due, one is answered, the next times out.
  write_file(dir / "scenario_keepalive",
             SessionProgram(kFlagKeepalive)
                 .op(SessionOp::Tick, {20})
                 .peer_sends(roam::wire::make_pong(0, 1))
                 .callbacks_read({0})
                 .op(SessionOp::Tick, {40})
                 .op(SessionOp::Tick, {60})
                 .bytes());

  // A transport that does not drain: sends past the soft limit, then the hard one.
  write_file(dir / "scenario_stalled_transport",
             SessionProgram(kFlagStalledTransport)
                 .op(SessionOp::SetBacklog, {100})
                 .op(SessionOp::Call, {0, 0, 0, 0, 0xF0, 20})
                 .op(SessionOp::DrainBacklog, {255})
                 .op(SessionOp::Call, {0, 0, 0, 0, 0xF0, 30})
                 .op(SessionOp::Call, {0, 0, 0, 0, 0xF0, 30})
                 .bytes());
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_seed_corpus VECTORS_DIR OUTPUT_DIR\n";
    return 2;
  }
  fs::path vectors = argv[1];
  fs::path out = argv[2];
  fs::path messages_dir = out / "fuzz_message_decoder";
  fs::path frames_dir = out / "fuzz_frame_decoder";
  fs::path session_dir = out / "fuzz_session";
  for (const fs::path &d : {messages_dir, frames_dir, session_dir}) fs::create_directories(d);

  std::vector<fs::path> files;
  for (const auto &entry : fs::directory_iterator(vectors)) {
    if (entry.path().extension() == ".hex") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "fuzz_seed_corpus: no .hex vectors in " << vectors << "\n";
    return 1;
  }

  Bytes all_frames;
  for (const fs::path &file : files) {
    Bytes message;
    if (!read_hex_vector(file, &message)) {
      std::cerr << "fuzz_seed_corpus: " << file << " is not a hex vector\n";
      return 1;
    }
    std::string name = file.stem().string();
    Bytes frame = framed(message);
    all_frames.insert(all_frames.end(), frame.begin(), frame.end());

    write_file(messages_dir / name, message);
    write_file(frames_dir / name, frame_decoder_seed(0xFFFF, 0, {}, frame));
    write_file(session_dir / (name + "-acceptor"),
               SessionProgram(roam::fuzz::kFlagAcceptor | roam::fuzz::kFlagAcceptsInbound)
                   .peer_bytes(frame)
                   .bytes());
    write_file(session_dir / (name + "-initiator"), SessionProgram(0).peer_bytes(frame).bytes());
  }

  // Every vector in one stream: whole, in odd-sized reads, byte by byte,
  // stopped early, and under a limit some frames exceed.
  write_file(frames_dir / "all_whole", frame_decoder_seed(0xFFFF, 0, {}, all_frames));
  write_file(frames_dir / "all_split", frame_decoder_seed(0xFFFF, 0, {1, 3, 0, 7, 64}, all_frames));
  write_file(frames_dir / "all_bytewise", frame_decoder_seed(0xFFFF, 0, {1}, all_frames));
  write_file(frames_dir / "all_stopped", frame_decoder_seed(0xFFFF, 5, {5, 9}, all_frames));
  write_file(frames_dir / "all_limited", frame_decoder_seed(40, 0, {13}, all_frames));

  write_session_scenarios(session_dir);
  std::cout << "fuzz_seed_corpus: " << files.size() << " vectors -> " << out << "\n";
  return 0;
}
