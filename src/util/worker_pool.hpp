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
// Moves the calling thread to SCHED_BATCH: it gets its fair share of the
// CPU, but its own wake-ups never preempt another thread, so background
// work (the chat fold, checkpoints) yields to a connection's at each turn.
// (SCHED_IDLE, tried first, starved the fold whenever the core was busy,
// and the work it had to do then came out of the writer in one piece.)
// Returns false when the kernel refused (the thread keeps its priority).
bool run_this_thread_in_background();

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
    if (wake) boost::asio::post(*contexts_[worker], [this, worker] { drain(worker); });
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

  // Index of the worker whose thread is calling, or -1 on any other thread.
  static int current_worker();

 private:
  struct Inbox {
    std::mutex mutex;
    std::vector<std::function<void()>> items;
    bool drain_posted = false;
  };
  void drain(unsigned worker);

  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::unique_ptr<Inbox>> inboxes_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace herald::util
