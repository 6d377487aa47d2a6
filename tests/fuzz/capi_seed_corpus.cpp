// Writes fuzz_capi's seed corpus: a few hand-made programs in its input
// language (capi_input.hpp), one per area, so the fuzzer starts from
// established sessions doing calls, channels, virtual connections, proxying,
// timers and a hostile peer instead of having to find them.
//
//   fuzz_capi_seed_corpus OUT_DIR
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <vector>

#include "capi_input.hpp"

namespace fs = std::filesystem;
using roam::fuzz::capi::CapiOp;
namespace capi = roam::fuzz::capi;

namespace {

class Program {
 public:
  // The header: flags, then the other header bytes (zero unless given).
  Program(uint8_t flags, std::initializer_list<uint8_t> rest = {}) {
    bytes_.assign(capi::kCapiHeaderSize, 0);
    bytes_[capi::kCapiFlags] = flags;
    size_t i = 1;
    for (uint8_t b : rest) {
      if (i < capi::kCapiHeaderSize) bytes_[i++] = b;
    }
    // The handshake's callbacks read a byte each (the trace events, in the
    // table from the start, and the handshake callbacks: 6 with two
    // sessions, 3 with a hostile peer): zeros, so they do nothing and the
    // program starts with its first operation. (ROAM_FUZZ_TRACE=1 shows
    // "handshake done: the program has N bytes left".)
    quiet((flags & capi::kCapiTwoSessions) ? 6 : 3);
  }
  // An operation and its argument bytes. Zeros after it keep the callbacks
  // it causes from acting (a zero byte means "do nothing" to them).
  Program &op(CapiOp op, std::initializer_list<uint8_t> args = {}) {
    bytes_.push_back(static_cast<uint8_t>(op));
    bytes_.insert(bytes_.end(), args);
    return *this;
  }
  Program &quiet(size_t n) {
    bytes_.insert(bytes_.end(), n, 0);
    return *this;
  }
  // Traffic both ways and the callbacks it causes.
  Program &settle() { return op(CapiOp::PumpAll).quiet(8).op(CapiOp::Tick, {1}).quiet(8); }
  const std::vector<uint8_t> &bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

void write(const fs::path &path, const Program &p) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(p.bytes().data()),
            static_cast<std::streamsize>(p.bytes().size()));
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_capi_seed_corpus OUT_DIR\n";
    return 2;
  }
  fs::path out = argv[1];
  fs::create_directories(out);
  const uint8_t two = capi::kCapiTwoSessions;

  // A call on the root and its answer.
  write(out / "call-reply", Program(two, {0, 0, 0, 0, 0, 0x33})
                                .op(CapiOp::Call, {0, 1, 0, 4, 'a', 'r', 'g', 's'})
                                .settle()
                                .op(CapiOp::Reply, {0, 0, 0, 2, 'o', 'k'})
                                .settle()
                                .op(CapiOp::Call, {1, 2, 1, 0, 0, 0, 0})
                                .op(CapiOp::Cancel, {0, 0})
                                .settle());
  // A virtual connection, opened, accepted, with channels both ways.
  write(out / "open-channels", Program(two | capi::kCapiHelloMetadata, {0, 0, 0, 0, 0, 0x37})
                                   .op(CapiOp::Open, {0, 0, 4, 0})
                                   .settle()
                                   .op(CapiOp::ChannelOpen, {2, 0, 16, 0})
                                   .op(CapiOp::ChannelOpen, {2, 1, 16, 0})
                                   .op(CapiOp::CallWithChannels, {2, 3, 0, 0, 2, 0, 1})
                                   .settle()
                                   .op(CapiOp::ChannelBind, {3, 1, 16, 0})
                                   .op(CapiOp::ChannelSend, {0, 3, 1, 2, 3})
                                   .op(CapiOp::ChannelGrant, {1, 4})
                                   .op(CapiOp::ChannelClose, {0, 0})
                                   .settle()
                                   .op(CapiOp::Reply, {0, 0, 0, 0})
                                   .op(CapiOp::CloseConn, {2, 0})
                                   .settle());
  // Two virtual connections, one per session, proxied into each other.
  write(out / "proxy", Program(two, {0, 0, 0, 0, 0, 0x77})
                           .op(CapiOp::Open, {0, 0, 4, 0})
                           .op(CapiOp::Open, {1, 0, 4, 0})
                           .settle()
                           .op(CapiOp::Proxy, {2, 4})
                           .op(CapiOp::Call, {0, 5, 0, 1, 9})
                           .settle()
                           .op(CapiOp::ReleaseConn, {2})
                           .settle());
  // Keepalive and every timeout, with the clock run to each deadline.
  write(out / "timers", Program(two | capi::kCapiKeepaliveOn | capi::kCapiShortTimeouts,
                                {0, 0, 0, 0x11, 0x21, 0x33})
                            .op(CapiOp::Ping, {0})
                            .settle()
                            .op(CapiOp::TickToDeadline, {0})
                            .op(CapiOp::TickToDeadline, {1})
                            .op(CapiOp::Pump, {0, 3})
                            .op(CapiOp::TickToDeadline, {1})
                            .op(CapiOp::Tick, {200})
                            .op(CapiOp::TickToDeadline, {0}));
  // Small frames, backlog and channel buffers, crossed by large payloads.
  write(out / "limits", Program(two | capi::kCapiSmallFrames | capi::kCapiSmallOutbound |
                                    capi::kCapiSmallChannelBuffers,
                                {4, 0x10, 0x00, 0, 0, 0x33})
                            .op(CapiOp::Call, {0, 1, 0, 0x85})
                            .op(CapiOp::Call, {1, 1, 0x81, 4, 0, 0, 0, 0, 0})
                            .settle()
                            .op(CapiOp::Pump, {0x1b, 7})
                            .settle());
  // Tables without a serve callback: the call reaches the other side's raw
  // request callback and is answered with raw messages (roam_experimental.h);
  // then the getters and ids that have ended.
  write(out / "raw-table", Program(two, {0, 0, 0, 0, 0, 0x33, capi::kCapiTableNoServe})
                               .op(CapiOp::Call, {0, 1, 0, 2, 'h', 'i'})
                               .settle()
                               .op(CapiOp::RawSend, {1, 1, 2, 0, 2, 0, 'x'})
                               .quiet(4)
                               .op(CapiOp::RawSend, {0, 0x83, 5, 0, 0})
                               .settle()
                               .op(CapiOp::Inspect, {0, 0})
                               .op(CapiOp::Inspect, {1, 1})
                               .op(CapiOp::Inspect, {2, 0})
                               .op(CapiOp::Inspect, {3, 5, 3}));
  // One session and a hostile peer: built messages, raw bytes, end of stream.
  write(out / "hostile-initiator", Program(0, {0, 0, 0, 0, 0, 0x33, 2})
                                       .op(CapiOp::PeerMessages, {0, 2, 7, 0, 0, 0, 0, 0, 0})
                                       .op(CapiOp::Call, {0, 1, 0, 0})
                                       .op(CapiOp::Pump, {0, 0})
                                       .op(CapiOp::PeerMessages, {0, 0, 8, 0, 0, 0, 0, 0, 0})
                                       .op(CapiOp::PeerBytes, {0, 4, 1, 0, 0, 0})
                                       .op(CapiOp::Eof, {0})
                                       .quiet(8));
  write(out / "hostile-acceptor", Program(capi::kCapiFirstAcceptor, {0, 0, 0, 0, 0, 0x33, 0})
                                      .op(CapiOp::PeerMessages, {0, 0, 3, 0, 0, 0, 0, 0, 0})
                                      .quiet(8)
                                      .op(CapiOp::PeerMessages, {0, 0, 7, 0, 0, 0, 0, 0, 0})
                                      .op(CapiOp::Shutdown, {0})
                                      .quiet(8));
  std::cout << "fuzz_capi_seed_corpus: programs -> " << out << "\n";
  return 0;
}
