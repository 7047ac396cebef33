#include "util/worker_pool.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include <string>

#include "util/heap.hpp"

namespace herald::util {

namespace {
thread_local int t_worker_index = -1;
thread_local HeldWakes* t_held_wakes = nullptr;
}  // namespace

HeldWakes::HeldWakes() : outer_(t_held_wakes) { t_held_wakes = this; }

HeldWakes::~HeldWakes() {
  t_held_wakes = outer_;
  // Each (pool, worker) appears once: a worker's drain stays posted (and
  // so unheld) until it runs, which cannot happen before this wake.
  for (auto [pool, worker] : held_) pool->wake_drain(worker);
}

HeldWakes* HeldWakes::current() { return t_held_wakes; }

WorkerPool::WorkerPool(unsigned count) {
  if (count == 0) count = 1;
  for (unsigned i = 0; i < count; ++i) {
    // concurrency hint 1: each io_context is run by exactly one thread, so
    // Asio can skip its internal locking.
    contexts_.push_back(std::make_unique<Context>(1));
    inboxes_.push_back(std::make_unique<Inbox>());
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

WorkerPool::~WorkerPool() {
  stop();
  join();
  shutdown();
}

void WorkerPool::start() {
  for (unsigned i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, i] {
      name_this_thread("worker-" + std::to_string(i));
      reserve_thread_heap();
      t_worker_index = static_cast<int>(i);
      contexts_[i]->run();
      t_worker_index = -1;
    });
  }
}

void WorkerPool::stop() {
  guards_.clear();
  for (auto& c : contexts_) c->stop();
}

void WorkerPool::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::shutdown() {
  for (auto& inbox : inboxes_) {
    std::vector<std::function<void()>> items;
    {
      std::lock_guard lock(inbox->mutex);
      items.swap(inbox->items);
    }
    inbox->draining.clear();
  }
  for (auto& c : contexts_) c->shutdown();
}

int WorkerPool::current_worker() { return t_worker_index; }

void name_this_thread(const std::string& name) {
  // Linux allows 15 characters; shown by top -H, ps -L and perf.
  ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
}

// Nice 5 (weight 335 against a connection thread's 1024). At nice 0 a
// worker that woke while the fold or a checkpoint ran was often not
// eligible under EEVDF (it had used more than its share) and waited for the
// next tick, up to 4 ms (perf sched timehist); at nice 5 the background
// thread's virtual time runs three times faster, so the worker gets the
// core at once. Its share when the core is full is smaller, which the
// writer's fold pace makes up for (store/sqlite/fold_pace.hpp). Raising a
// nice value needs no privilege. docs/PERFORMANCE.md, "At the same load".
constexpr std::int32_t kBackgroundNice = 5;

bool run_this_thread_in_background() {
  // sched_setattr's argument, version 0 of its layout (glibc 2.36 has no
  // wrapper). Since Linux 6.12 sched_runtime sets a fair thread's slice:
  // with 100 us, a connection's thread that wakes while this one runs gets
  // the core within that, not after a default slice of milliseconds (seen
  // as 3 ms stalls of the writer behind the fold). Older kernels ignore it.
  struct {
    std::uint32_t size, policy;
    std::uint64_t flags;
    std::int32_t nice;
    std::uint32_t priority;
    std::uint64_t runtime, deadline, period;
  } attr{sizeof attr, SCHED_BATCH, 0, kBackgroundNice, 0, 100'000, 0, 0};
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) == 0) return true;
  ::sched_param param{};
  if (::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &param) != 0) return false;
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kBackgroundNice);  // this thread only
  return true;
}

void WorkerPool::drain(unsigned worker) {
  Inbox& inbox = *inboxes_[worker];
  // The two vectors trade places on every drain, so both keep their
  // capacity: a steady stream of posts allocates no vector storage.
  std::vector<std::function<void()>>& batch = inbox.draining;
  {
    std::lock_guard lock(inbox.mutex);
    batch.swap(inbox.items);
    inbox.drain_posted = false;
  }
  for (auto& fn : batch) fn();
  batch.clear();
}

}  // namespace herald::util
