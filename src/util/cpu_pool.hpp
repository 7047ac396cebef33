#pragma once
// A few threads for CPU-heavy work that must stay off the network workers
// (Argon2id: tens of milliseconds and 19 MiB a hash), fed by a bounded
// priority queue (bounded_priority_queue.hpp). It replaces an
// asio::thread_pool, whose queue had no bound: each registration queued a
// hash, so a flood of them queued seconds of work and delayed every login.
// Here a full queue refuses the job (the caller answers 503), and high
// priority work runs before low priority work already queued; low priority
// may fill only half of the queue.
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "util/bounded_priority_queue.hpp"

namespace herald::util {

class CpuPool {
 public:
  // threads >= 1; max_queued >= 1 jobs waiting (running ones not counted),
  // of which low priority may take max(1, max_queued / 2). Throws
  // std::invalid_argument otherwise.
  CpuPool(unsigned threads, std::size_t max_queued);
  ~CpuPool();
  CpuPool(const CpuPool&) = delete;
  CpuPool& operator=(const CpuPool&) = delete;

  // Queues `job`; false when the queue is full for `priority` or the pool is
  // joining (the job is then dropped without running). A job that throws is
  // logged; the thread goes on.
  bool try_post(Priority priority, std::function<void()> job);

  // Stops taking jobs, runs the ones queued, joins the threads. Idempotent.
  void join();

  std::size_t queued() const;

 private:
  void run(unsigned index);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  BoundedPriorityQueue<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace herald::util
