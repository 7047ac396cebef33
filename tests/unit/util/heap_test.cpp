// malloc tuning (util/heap.hpp), checked through glibc's own accounting.
#include "util/heap.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <thread>

// A thread's reserve stays mapped after it is freed: the bytes malloc holds
// from the system grow by the reserve and are not trimmed back.
TEST(Heap, ThreadReserveStaysWithTheProcess) {
  herald::util::configure_malloc();
  const auto before = mallinfo2();
  std::size_t in_thread = 0;
  std::thread([&] {
    herald::util::reserve_thread_heap();
    in_thread = mallinfo2().arena;
  }).join();
  EXPECT_GE(in_thread, before.arena + (16u << 20) - (1u << 20));
  EXPECT_EQ(mallinfo2().hblkhd, before.hblkhd);  // none of it was mmapped on its own
}
