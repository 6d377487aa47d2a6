// The one buffer every stream on a loop reads into.
//
// Why one per loop is enough: libuv on Unix calls a stream's alloc_cb and
// then its read_cb synchronously, on the loop thread, before it touches any
// other stream, and whoever gets the bytes is done with them when read_cb
// returns (the frame decoder hands out views valid only during the call and
// copies a partial frame into the session's own buffer). So no two reads
// ever hold the buffer at once, and an idle connection costs no read buffer
// at all: 3000 idle connections used to pin 3000 x 64 KiB.
//
// It belongs to the loop, not the thread: a callback may run another
// runtime's loop on the same thread, and that loop's reads must not land in
// a buffer whose bytes are still being handled.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define ROAM_SHARED_READ_BUFFER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ROAM_SHARED_READ_BUFFER_ASAN 1
#endif
#endif
#ifdef ROAM_SHARED_READ_BUFFER_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace roam::uvio {

class SharedReadBuffer {
 public:
  static constexpr size_t kSize = 64 * 1024;

  // What an alloc_cb hands libuv. Allocated on first use, never zero-filled
  // (reads overwrite it). Empty if memory ran out: the read then fails with
  // UV_ENOBUFS.
  uv_buf_t lend() {
    if (!bytes_) bytes_.reset(new (std::nothrow) char[kSize]);
    if (!bytes_) return uv_buf_init(nullptr, 0);
#ifdef ROAM_SHARED_READ_BUFFER_ASAN
    ASAN_UNPOISON_MEMORY_REGION(bytes_.get(), kSize);
#endif
    return uv_buf_init(bytes_.get(), kSize);
  }
  // The read callback is done with it. Under AddressSanitizer the bytes are
  // poisoned until the next read, so a view kept past its callback (a bug
  // that a per-stream buffer would hide until that stream's next read)
  // fails loudly in the sanitizer tests.
  void reclaim() {
#ifdef ROAM_SHARED_READ_BUFFER_ASAN
    if (bytes_) ASAN_POISON_MEMORY_REGION(bytes_.get(), kSize);
#endif
  }

 private:
  std::unique_ptr<char[]> bytes_;
};

}  // namespace roam::uvio
