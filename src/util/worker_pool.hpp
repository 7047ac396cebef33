#pragma once
// N worker threads, one io_context each (DESIGN.md "Threads"). A connection
// lives on one worker for life, so its state needs no lock; other threads
// reach it by posting a closure to its worker.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace herald::util {

// Names the calling thread (threads of one process are told apart in
// top -H, ps -L and perf by these names).
void name_this_thread(const std::string& name);
// Moves the calling thread to SCHED_BATCH at nice 5: it gets a smaller
// share of a full CPU, its own wake-ups never preempt another thread, and a
// connection's thread that wakes takes the core from it at once, so
// background work (the chat fold, checkpoints) yields to a connection's.
// (SCHED_IDLE, tried first, starved the fold whenever the core was busy,
// and the work it had to do then came out of the writer in one piece.)
// Returns false when the kernel refused (the thread keeps its priority).
bool run_this_thread_in_background();

class WorkerPool;

// While one lives on a thread, the posts made from that thread wake no
// worker; it wakes each worker it held once, when it ends. The storage
// writer holds one around a batch's completions: each chat now posts an
// ack and two deliveries, and a worker woken by the first of them took the
// core from the writer at once (EEVDF), drained one closure, slept, and was
// woken again: a context switch or two per chat instead of one per batch.
class HeldWakes {
 public:
  HeldWakes();
  ~HeldWakes();
  HeldWakes(const HeldWakes&) = delete;
  HeldWakes& operator=(const HeldWakes&) = delete;

  static HeldWakes* current();  // the innermost on this thread, or null
  void hold(WorkerPool& pool, unsigned worker) { held_.emplace_back(&pool, worker); }

 private:
  std::vector<std::pair<WorkerPool*, unsigned>> held_;
  HeldWakes* outer_;
};

class WorkerPool {
 public:
  explicit WorkerPool(unsigned count);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(contexts_.size()); }
  boost::asio::io_context& context(unsigned worker) { return *contexts_[worker]; }

  // Runs fn later on `worker`'s thread, in order with the caller's other
  // posts. From another thread, closures gather in the worker's inbox and
  // one handler drains it: a burst (a group commit's acks) wakes the worker
  // once instead of once per closure.
  template <class F>
  void post(unsigned worker, F&& fn) {
    if (current_worker() == static_cast<int>(worker)) {
      boost::asio::post(*contexts_[worker], std::forward<F>(fn));
      return;
    }
    Inbox& inbox = *inboxes_[worker];
    bool wake = false;
    {
      std::lock_guard lock(inbox.mutex);
      inbox.items.emplace_back(std::forward<F>(fn));
      wake = !inbox.drain_posted;
      inbox.drain_posted = true;
    }
    if (!wake) return;
    if (HeldWakes* held = HeldWakes::current()) {
      held->hold(*this, worker);
    } else {
      wake_drain(worker);
    }
  }

  // Runs fn now when called on `worker`'s own thread, else posts it there.
  template <class F>
  void dispatch(unsigned worker, F&& fn) {
    if (current_worker() == static_cast<int>(worker)) {
      fn();
    } else {
      post(worker, std::forward<F>(fn));
    }
  }

  void start();  // one thread per worker
  void stop();   // io_contexts stop; threads joined
  void join();
  // After join: destroys every handler still queued on the workers (the
  // inboxes' closures, suspended coroutines such as a session's read) while
  // the objects they refer to are still alive. Left to ~WorkerPool, the
  // last thing torn down, those frames were destroyed after the server and
  // the hub they point into: a rare heap corruption at SIGTERM.
  void shutdown();

  // Index of the worker whose thread is calling, or -1 on any other thread.
  static int current_worker();

 private:
  struct Inbox {
    std::mutex mutex;
    std::vector<std::function<void()>> items;
    std::vector<std::function<void()>> draining;  // the worker's own; no lock
    bool drain_posted = false;
  };
  friend class HeldWakes;
  void drain(unsigned worker);
  void wake_drain(unsigned worker) {
    boost::asio::post(*contexts_[worker], [this, worker] { drain(worker); });
  }

  // An io_context whose shutdown (destroy every queued handler; the
  // context stays usable for destructors) may be called before its
  // destruction, which calls it again, as Asio allows.
  struct Context : boost::asio::io_context {
    using boost::asio::io_context::io_context;
    using boost::asio::execution_context::shutdown;
  };
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<std::unique_ptr<Inbox>> inboxes_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace herald::util
