// The memory of a driver's call tables (calls in flight, calls being
// served). Each call adds a node to one of them and removes it again; the
// nodes are small and of one or two sizes, so a released node is kept on a
// free list of its size and handed out for the next call: a call in steady
// state allocates nothing, in a few instructions. Larger blocks (bucket
// arrays) come from and go back to operator new. Everything kept is freed
// with the recycler (the tables using it must go first).
#pragma once

#include <array>
#include <cstddef>
#include <memory_resource>
#include <new>

namespace roam::rpc {

class NodeRecycler final : public std::pmr::memory_resource {
 public:
  NodeRecycler() = default;
  NodeRecycler(const NodeRecycler &) = delete;
  NodeRecycler &operator=(const NodeRecycler &) = delete;
  ~NodeRecycler() override {
    for (FreeList &list : lists_) {
      while (list.head != nullptr) {
        Free *next = list.head->next;
        ::operator delete(list.head);
        list.head = next;
      }
    }
  }

 private:
  // Nodes are a few words; bucket arrays beyond this are not kept.
  static constexpr size_t kMaxKept = 64;
  struct Free {
    Free *next;
  };
  struct FreeList {
    size_t size = 0;  // 0: not taken by a size yet
    Free *head = nullptr;
  };

  FreeList *list_for(size_t bytes, size_t align) {
    if (bytes > kMaxKept || bytes < sizeof(Free) || align > alignof(std::max_align_t)) return nullptr;
    for (FreeList &list : lists_) {
      if (list.size == bytes) return &list;
      if (list.size == 0) {
        list.size = bytes;
        return &list;
      }
    }
    return nullptr;  // more sizes than lists: plain new/delete for this one
  }

  void *do_allocate(size_t bytes, size_t align) override {
    FreeList *list = list_for(bytes, align);
    if (list != nullptr && list->head != nullptr) {
      Free *block = list->head;
      list->head = block->next;
      return block;
    }
    return ::operator new(bytes);
  }
  void do_deallocate(void *p, size_t bytes, size_t align) override {
    FreeList *list = list_for(bytes, align);
    if (list == nullptr) {
      ::operator delete(p);
      return;
    }
    list->head = new (p) Free{list->head};
  }
  bool do_is_equal(const std::pmr::memory_resource &other) const noexcept override {
    return this == &other;
  }

  std::array<FreeList, 4> lists_;
};

}  // namespace roam::rpc
