// gRPC C++ client of the benchmark: the async API on one completion queue
// and one thread (as roam_bench runs one runtime on one thread).
//
//   grpc_echo_client unary ADDR [--calls N] [--inflight C] [--sessions S]
//                    [--payload BYTES] [--warmup W] [--lat-out FILE]
//       unary echo of BYTES (default 16) bytes, C in flight on each of S
//       channels (each its own connection).
//   grpc_echo_client stream ADDR [--items N] [--size BYTES] [--warmup W]
//       one bidirectional stream: N items written one after the other (the
//       async API allows one write in flight), the server's count read back.
// Common: --server-pid PID --server-stats FILE. Prints a RESULT line
// (bench_common.h), like roam_bench and plain_echo_client.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "bench_common.h"
#include "echo.grpc.pb.h"

using roambench::Echo;
using roambench::Msg;

namespace {

double SelfCpuUs() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

std::string Target(const std::string& addr) {
  if (addr.rfind("tcp://", 0) == 0) return addr.substr(6);
  return addr;  // unix:PATH as gRPC spells it
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per channel
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

struct Session {
  std::unique_ptr<Echo::Stub> stub;
  int inflight = 0;
};

struct Call {
  Session* owner;
  uint64_t t0;
  grpc::ClientContext ctx;
  Msg reply;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Msg>> rpc;
};

int Unary(const std::string& addr, int argc, char** argv) {
  long long calls = bench_opt_ll(argc, argv, "--calls", 10000);
  int inflight = (int)bench_opt_ll(argc, argv, "--inflight", 1);
  int nsess = (int)bench_opt_ll(argc, argv, "--sessions", 1);
  size_t payload = (size_t)bench_opt_ll(argc, argv, "--payload", 16);
  long long wdef = calls / 10;  // every channel warmed up too
  if (wdef < 4LL * nsess * inflight && payload <= 4096) wdef = 4LL * nsess * inflight;
  long long warmup = bench_opt_ll(argc, argv, "--warmup", wdef);
  bench_probe probe{};
  probe.pid = (int)bench_opt_ll(argc, argv, "--server-pid", 0);
  probe.stats_file = bench_opt(argc, argv, "--server-stats", nullptr);
  Msg req;
  std::string data(payload, 'x');
  for (size_t i = 0; i < payload; ++i) data[i] = (char)('a' + i % 26);
  req.set_data(data);
  std::string target = Target(addr);
  std::vector<Session> sessions(nsess);
  for (auto& s : sessions) {
    auto ch = NewChannel(target);
    if (!ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      std::fprintf(stderr, "grpc_echo_client: cannot connect to %s\n", addr.c_str());
      return 1;
    }
    s.stub = Echo::NewStub(ch);
  }
  grpc::CompletionQueue cq;
  long long issued = 0, done = 0, failed = 0, limit = 0;
  bool measuring = false;
  bench_lat lat;
  bench_lat_init(&lat, (size_t)calls);
  auto issue = [&](Session& s) {
    while (issued < limit && s.inflight < inflight) {
      Call* c = new Call;
      c->owner = &s;
      c->t0 = bench_now_ns();
      c->rpc = s.stub->PrepareAsyncUnary(&c->ctx, req, &cq);
      c->rpc->StartCall();
      c->rpc->Finish(&c->reply, &c->status, c);
      ++s.inflight;
      ++issued;
    }
  };
  auto run_until = [&](long long target_done) {
    void* tag;
    bool ok;
    while (done < target_done && cq.Next(&tag, &ok)) {
      Call* c = static_cast<Call*>(tag);
      if (measuring) bench_lat_add(&lat, bench_now_ns() - c->t0);
      if (!ok || !c->status.ok() || c->reply.data().size() != payload) {
        if (failed++ == 0)
          std::fprintf(stderr, "grpc_echo_client: call failed: %s\n", c->status.error_message().c_str());
      }
      Session* s = c->owner;
      --s->inflight;
      delete c;
      ++done;
      issue(*s);
    }
  };
  limit = warmup;
  for (auto& s : sessions) issue(s);
  run_until(warmup);
  bench_probe_begin(&probe);
  double cpu0 = SelfCpuUs();
  measuring = true;
  uint64_t started = bench_now_ns();
  limit = warmup + calls;
  for (auto& s : sessions) issue(s);
  run_until(warmup + calls);
  double seconds = (bench_now_ns() - started) / 1e9;
  double cpu1 = SelfCpuUs();
  bench_probe_end(&probe);
  bench_lat_sort(&lat);
  bench_lat_write(&lat, bench_opt(argc, argv, "--lat-out", nullptr));
  bench_result_begin((uint64_t)calls, seconds);
  bench_result_lat(&lat);
  bench_result_kv("mb_per_s", (double)calls * (double)payload / seconds / 1e6);
  bench_result_probe(&probe, (uint64_t)calls);
  bench_result_kv("client_cpu_us_per_op", (cpu1 - cpu0) / (double)calls);
  bench_result_kv("failed", (double)failed);
  bench_result_end();
  cq.Shutdown();
  return failed ? 1 : 0;
}

// One stream of `items` items; returns the server's count.
long long OneStream(Echo::Stub* stub, const Msg& item, long long items) {
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  auto rw = stub->PrepareAsyncStream(&ctx, &cq);
  void* tag;
  bool ok;
  auto wait = [&](void* want) {
    if (!cq.Next(&tag, &ok) || tag != want) {
      std::fprintf(stderr, "grpc_echo_client: stream: unexpected completion\n");
      std::exit(1);
    }
    return ok;
  };
  int start_tag, write_tag, done_tag, read_tag, finish_tag;
  rw->StartCall(&start_tag);
  if (!wait(&start_tag)) return -1;
  for (long long i = 0; i < items; ++i) {
    rw->Write(item, &write_tag);
    if (!wait(&write_tag)) return -1;
  }
  rw->WritesDone(&done_tag);
  wait(&done_tag);
  Msg reply;
  rw->Read(&reply, &read_tag);
  if (!wait(&read_tag)) return -1;
  grpc::Status status;
  rw->Finish(&status, &finish_tag);
  wait(&finish_tag);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status.ok() ? std::atoll(reply.data().c_str()) : -1;
}

int Stream(const std::string& addr, int argc, char** argv) {
  long long items = bench_opt_ll(argc, argv, "--items", 100000);
  long long warmup = bench_opt_ll(argc, argv, "--warmup", items / 10);
  size_t size = (size_t)bench_opt_ll(argc, argv, "--size", 64);
  bench_probe probe{};
  probe.pid = (int)bench_opt_ll(argc, argv, "--server-pid", 0);
  probe.stats_file = bench_opt(argc, argv, "--server-stats", nullptr);
  auto ch = NewChannel(Target(addr));
  if (!ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "grpc_echo_client: cannot connect to %s\n", addr.c_str());
    return 1;
  }
  auto stub = Echo::NewStub(ch);
  Msg item;
  item.set_data(std::string(size, 'x'));
  if (warmup > 0 && OneStream(stub.get(), item, warmup) != warmup) {
    std::fprintf(stderr, "grpc_echo_client: warm-up stream failed\n");
    return 1;
  }
  bench_probe_begin(&probe);
  double cpu0 = SelfCpuUs();
  uint64_t started = bench_now_ns();
  long long counted = OneStream(stub.get(), item, items);
  double seconds = (bench_now_ns() - started) / 1e9;
  double cpu1 = SelfCpuUs();
  bench_probe_end(&probe);
  if (counted != items) {
    std::fprintf(stderr, "grpc_echo_client: the server counted %lld of %lld items\n", counted, items);
    return 1;
  }
  bench_result_begin((uint64_t)items, seconds);
  bench_result_kv("item_bytes", (double)size);
  bench_result_probe(&probe, (uint64_t)items);
  bench_result_kv("client_cpu_us_per_op", (cpu1 - cpu0) / (double)items);
  bench_result_end();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: grpc_echo_client unary|stream ADDR [options]\n");
    return 64;
  }
  bench_raise_nofile();
  std::string mode = argv[1], addr = argv[2];
  if (mode == "unary") return Unary(addr, argc - 3, argv + 3);
  if (mode == "stream") return Stream(addr, argc - 3, argv + 3);
  std::fprintf(stderr, "grpc_echo_client: unknown workload %s\n", mode.c_str());
  return 64;
}
