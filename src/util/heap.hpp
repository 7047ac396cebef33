#pragma once
// glibc malloc tuning for a long-running server: configure_malloc() once
// at start-up (app/main.cpp), reserve_thread_heap() first thing on each
// busy thread (workers, the storage writer and fold).
namespace herald::util {

// Keeps freed memory for reuse instead of returning it to the kernel at
// once, and grows the main heap 1 MiB at a time.
void configure_malloc();

// Grows this thread's malloc arena by 16 MiB up front. A thread's arena
// (every thread but main gets its own) grows only by what each allocation
// needs, one mprotect per step, whatever M_TOP_PAD says: 2,400 mprotect
// calls for 9,000 connection set-ups on a worker. Only the pages malloc
// writes its headers to become resident.
void reserve_thread_heap();

}  // namespace herald::util
