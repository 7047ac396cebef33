#pragma once
// Runs Database work off the worker threads (DESIGN.md "Threads").
//
// Writes go to one writer thread that owns the write connection and
// group-commits: it takes every queued job, runs them inside one
// transaction (each in its own savepoint, so one failing job does not undo
// the others), commits once, and only then runs the jobs' completions. So a
// completion that sends an `ack` never acknowledges an uncommitted write.
// Reads go to a small pool of reader threads, each with its own connection.
// A maintenance thread with one more connection calls Database::maintain()
// every half second (SQLite checkpoints, off the writer's path). A fold
// thread with one more calls Database::compact() (SQLite: the chat log
// folded into the archive). Both run at background priority
// (util::run_this_thread_in_background): they get their share of the core
// in slices between a connection's work, instead of none while the core
// is busy and then all of it while the writer waits for them.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/database.hpp"

namespace herald::store {

// A unit of work. `work` runs on a storage thread and returns the
// completion to run once its effects are durable (after the commit, for
// writes). `fail` runs instead when the work or its commit failed.
struct StorageJob {
  // May run more than once: a write batch that conflicts with another
  // node's writer (ConflictError) is rolled back and run again, so `work`
  // must not consume what it captured. Its completion runs while the job
  // still lives, and may refer to the job's captures.
  std::function<std::function<void()>(Database&)> work;
  std::function<void(std::exception_ptr)> fail;
  // Nobody waits on it (a first-seen user's row, a last_seen): while only
  // such jobs are queued, the writer lets them gather for up to
  // kBackgroundGather, so a connection storm costs a commit per window
  // rather than one per few connections. A job someone waits on ends the
  // wait at once; order is kept either way (one queue).
  bool background = false;
};

class StorageRunner {
 public:
  using Opener = std::function<std::unique_ptr<Database>()>;
  static constexpr std::size_t kDefaultMaxQueued = 100'000;
  // At most `max_queued_writes` writes (and as many reads) wait; beyond,
  // a job fails at once with StorageError (see write()).
  StorageRunner(const Opener& open, unsigned readers, std::size_t max_queued_writes = kDefaultMaxQueued);
  ~StorageRunner();
  StorageRunner(const StorageRunner&) = delete;
  StorageRunner& operator=(const StorageRunner&) = delete;

  void write(StorageJob job);
  void read(StorageJob job);

  // Finishes every queued job, commits, and joins the threads.
  void stop();
  // True while the last storage operation succeeded (for /ready).
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  // Writes refused because the queue was full, since start.
  std::uint64_t refused_writes() const { return refused_writes_.load(std::memory_order_relaxed); }
  // Called after each group commit with its duration in seconds and its job count.
  using CommitObserver = std::function<void(double seconds, std::size_t jobs)>;
  void on_commit(CommitObserver observer) { commit_observer_ = std::move(observer); }

 private:
  struct Queue {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<StorageJob> jobs;
    std::size_t waited_on = 0;  // queued jobs that are not background
    bool stopping = false;
  };
  void writer_loop(std::unique_ptr<Database> db);
  // A batch conflicting with another node's writer is run again, this many
  // times in all before its jobs fail.
  static constexpr int kMaxConflictAttempts = 5;
  bool run_batch(Database& db, std::vector<StorageJob>& batch, std::vector<std::function<void()>>& completions,
                 std::vector<std::size_t>& completed_jobs, bool may_retry);
  void fail_job(Database& db, StorageJob& job, std::vector<std::function<void()>>& completions,
                std::vector<std::size_t>& completed_jobs, std::size_t i);
  void fail_batch(std::vector<StorageJob>& batch, const std::vector<bool>& failed_alone,
                  std::exception_ptr error, const char* what);
  void reader_loop(std::unique_ptr<Database> db);
  void maintenance_loop(std::unique_ptr<Database> db);
  void fold_loop(std::unique_ptr<Database> db);
  // False when the queue already holds `limit` jobs (the job is left as it was).
  static bool push(Queue& q, StorageJob& job, std::size_t limit);

  const std::size_t max_queued_writes_;
  std::atomic<std::uint64_t> refused_writes_{0};
  Queue write_queue_;
  Queue read_queue_;
  Queue maintenance_;  // only its mutex, condition and stopping flag are used
  Queue fold_;         // the same
  std::vector<std::thread> threads_;
  std::atomic<bool> healthy_{true};
  CommitObserver commit_observer_;
};

}  // namespace herald::store
