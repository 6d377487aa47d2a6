// gRPC C++ peer of the benchmark: its fastest documented server setup, the
// async API with one completion queue per thread and many calls requested
// ahead on each queue.
//
//   grpc_echo_server ADDR [--threads N]
//
// ADDR: tcp://HOST:PORT (port 0 picks one) or unix:PATH. Unary answers
// each Msg with itself; Stream reads every item, then writes one Msg whose
// data is the item count (decimal) and finishes. Messages up to 64 MiB.
// Prints "listening on ADDR", serves until SIGTERM / SIGINT.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "echo.grpc.pb.h"

using grpc::ServerAsyncReaderWriter;
using grpc::ServerAsyncResponseWriter;
using grpc::ServerCompletionQueue;
using grpc::ServerContext;
using roambench::Echo;
using roambench::Msg;

namespace {

struct Tag {
  virtual ~Tag() = default;
  virtual void Proceed(bool ok) = 0;
};

class UnaryCall final : public Tag {
 public:
  UnaryCall(Echo::AsyncService* svc, ServerCompletionQueue* cq) : svc_(svc), cq_(cq), responder_(&ctx_) {
    svc_->RequestUnary(&ctx_, &req_, &responder_, cq_, cq_, this);
  }
  void Proceed(bool ok) override {
    if (!ok || answered_) {  // shutdown, or the answer went out
      delete this;
      return;
    }
    new UnaryCall(svc_, cq_);  // the next one, requested ahead
    answered_ = true;
    responder_.Finish(req_, grpc::Status::OK, this);
  }

 private:
  Echo::AsyncService* svc_;
  ServerCompletionQueue* cq_;
  ServerContext ctx_;
  Msg req_;
  ServerAsyncResponseWriter<Msg> responder_;
  bool answered_ = false;
};

class StreamCall final : public Tag {
 public:
  StreamCall(Echo::AsyncService* svc, ServerCompletionQueue* cq) : svc_(svc), cq_(cq), stream_(&ctx_) {
    svc_->RequestStream(&ctx_, &stream_, cq_, cq_, this);
  }
  void Proceed(bool ok) override {
    switch (state_) {
      case kRequested:
        if (!ok) {
          delete this;
          return;
        }
        new StreamCall(svc_, cq_);
        state_ = kReading;
        stream_.Read(&item_, this);
        return;
      case kReading:
        if (ok) {
          ++items_;
          stream_.Read(&item_, this);
          return;
        }
        state_ = kWriting;  // the client's side ended: the count goes back
        item_.set_data(std::to_string(items_));
        stream_.Write(item_, this);
        return;
      case kWriting:
        state_ = kFinishing;
        stream_.Finish(grpc::Status::OK, this);
        return;
      case kFinishing:
        delete this;
        return;
    }
  }

 private:
  enum State { kRequested, kReading, kWriting, kFinishing };
  Echo::AsyncService* svc_;
  ServerCompletionQueue* cq_;
  ServerContext ctx_;
  ServerAsyncReaderWriter<Msg, Msg> stream_;
  Msg item_;
  unsigned long long items_ = 0;
  State state_ = kRequested;
};

std::unique_ptr<grpc::Server> g_server;
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: grpc_echo_server ADDR [--threads N]\n");
    return 64;
  }
  int threads = 1;
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
  if (threads < 1) threads = 1;
  std::string addr = argv[1];
  std::string target;
  bool tcp = addr.rfind("tcp://", 0) == 0;
  if (tcp)
    target = addr.substr(6);
  else if (addr.rfind("unix:", 0) == 0)
    target = addr;
  else {
    std::fprintf(stderr, "grpc_echo_server: ADDR is tcp://HOST:PORT or unix:PATH\n");
    return 64;
  }
  if (!tcp) std::remove(addr.c_str() + 5);
  Echo::AsyncService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(target, grpc::InsecureServerCredentials(), tcp ? &port : nullptr);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  std::vector<std::unique_ptr<ServerCompletionQueue>> cqs;
  for (int i = 0; i < threads; ++i) cqs.push_back(builder.AddCompletionQueue());
  g_server = builder.BuildAndStart();
  if (!g_server) {
    std::fprintf(stderr, "grpc_echo_server: cannot listen on %s\n", addr.c_str());
    return 1;
  }
  if (tcp) {
    std::string host = target.substr(0, target.rfind(':'));
    std::printf("listening on tcp://%s:%d (%d thread%s)\n", host.c_str(), port, threads, threads == 1 ? "" : "s");
  } else {
    std::printf("listening on %s (%d thread%s)\n", addr.c_str(), threads, threads == 1 ? "" : "s");
  }
  std::fflush(stdout);
  std::vector<std::thread> workers;
  for (auto& cq : cqs) {
    ServerCompletionQueue* q = cq.get();
    // Many calls requested ahead on each queue, as gRPC's own benchmarks do.
    for (int k = 0; k < 256; ++k) {
      new UnaryCall(&service, q);
      new StreamCall(&service, q);
    }
    workers.emplace_back([q] {
      void* tag;
      bool ok;
      while (q->Next(&tag, &ok)) static_cast<Tag*>(tag)->Proceed(ok);
    });
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::_Exit(0);  // calls in progress die with the process
}
