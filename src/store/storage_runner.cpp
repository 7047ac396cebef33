#include "store/storage_runner.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "util/heap.hpp"
#include "util/worker_pool.hpp"

namespace herald::store {

namespace {
// Bounds one transaction so a flood of writes still commits regularly and
// completions (acks) are not held back behind an ever-growing batch.
constexpr std::size_t kMaxBatch = 4096;
// Below this many queued jobs the writer waits kGatherWindow before taking
// them, trading that much latency for fewer, larger commits. Paired chat
// runs at 5.6k and 28k msgs/s offered: 500 us beat 200 us on CPU per
// message (58 vs 64 us, 37 vs 40 us) and on p50 (1.0 vs 1.15 ms: fewer
// commits leave the core freer); 1000 us saved a little more CPU but added
// half a millisecond at p50.
constexpr std::size_t kGatherBelow = 32;
constexpr auto kGatherWindow = std::chrono::microseconds(500);
// How long background jobs alone may wait for company (StorageJob).
constexpr auto kBackgroundGather = std::chrono::milliseconds(10);
}  // namespace

StorageRunner::StorageRunner(const Opener& open, unsigned readers, std::size_t max_queued_writes)
    : max_queued_writes_(max_queued_writes) {
  auto writer_db = open();  // opened here so a bad path fails at start-up
  std::vector<std::unique_ptr<Database>> reader_dbs;
  for (unsigned i = 0; i < std::max(1u, readers); ++i) reader_dbs.push_back(open());
  auto maintenance_db = open();
  auto fold_db = open();
  threads_.emplace_back([this, db = std::move(writer_db)]() mutable {
    util::name_this_thread("store-writer");
    util::reserve_thread_heap();
    writer_loop(std::move(db));
  });
  for (auto& db : reader_dbs) {
    threads_.emplace_back([this, db = std::move(db)]() mutable {
      util::name_this_thread("store-reader");
      reader_loop(std::move(db));
    });
  }
  threads_.emplace_back(
      [this, db = std::move(maintenance_db)]() mutable {
        util::name_this_thread("store-maint");
        if (!util::run_this_thread_in_background()) spdlog::warn("store-maint: could not lower its priority");
        maintenance_loop(std::move(db));
      });
  threads_.emplace_back([this, db = std::move(fold_db)]() mutable {
    util::name_this_thread("store-fold");
    util::reserve_thread_heap();
    if (!util::run_this_thread_in_background()) spdlog::warn("store-fold: could not lower its priority");
    fold_loop(std::move(db));
  });
}

StorageRunner::~StorageRunner() { stop(); }

bool StorageRunner::push(Queue& q, StorageJob& job, std::size_t limit) {
  bool wake = false;
  {
    std::lock_guard lock(q.mutex);
    if (q.jobs.size() >= limit) return false;
    // A thread sleeps on `ready` only while the queue is empty or holds
    // only background jobs, so only the first job of a burst, or the first
    // one someone waits on, needs to wake it: the rest join its batch
    // without a futex call each.
    wake = q.jobs.empty() || (!job.background && q.waited_on == 0);
    if (!job.background) ++q.waited_on;
    q.jobs.push_back(std::move(job));
  }
  if (wake) q.ready.notify_one();
  return true;
}

// A full queue means the disk has stalled (or a burst beyond anything the
// writer can absorb): the job fails at once, as a storage failure, so a
// chat is answered MESSAGE_PROCESSING_ERROR and a REST write 503 instead
// of memory growing without bound. Nothing refused was acknowledged.
void StorageRunner::write(StorageJob job) {
  if (push(write_queue_, job, max_queued_writes_)) return;
  refused_writes_.fetch_add(1, std::memory_order_relaxed);
  if (job.fail) job.fail(std::make_exception_ptr(StorageError("storage write queue full")));
}
void StorageRunner::read(StorageJob job) {
  if (push(read_queue_, job, max_queued_writes_)) return;
  if (job.fail) job.fail(std::make_exception_ptr(StorageError("storage read queue full")));
}

void StorageRunner::stop() {
  for (Queue* q : {&write_queue_, &read_queue_, &maintenance_, &fold_}) {
    {
      std::lock_guard lock(q->mutex);
      q->stopping = true;
    }
    q->ready.notify_all();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

// One attempt at a batch: BEGIN, each job in its own savepoint, COMMIT, the
// completions. False when a job or the commit hit a ConflictError and
// `may_retry`: the transaction was rolled back whole and nothing was
// reported; the caller runs the batch again.
bool StorageRunner::run_batch(Database& db, std::vector<StorageJob>& batch,
                              std::vector<std::function<void()>>& completions,
                              std::vector<std::size_t>& completed_jobs, bool may_retry) {
  auto started = std::chrono::steady_clock::now();
  std::vector<bool> failed_alone(batch.size(), false);  // told already, by fail_job
  try {
    db.begin();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        db.savepoint();
        completions.push_back(batch[i].work(db));
        completed_jobs.push_back(i);
        db.release_savepoint();
      } catch (const ConflictError&) {
        if (may_retry) throw;
        fail_job(db, batch[i], completions, completed_jobs, i);
        failed_alone[i] = true;
      } catch (...) {
        fail_job(db, batch[i], completions, completed_jobs, i);
        failed_alone[i] = true;
      }
    }
    db.commit();
    healthy_.store(true, std::memory_order_relaxed);
    if (commit_observer_) {
      commit_observer_(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                       batch.size());
    }
    util::HeldWakes wake_each_worker_once;  // after every completion of the batch
    for (auto& done : completions) {
      if (done) done();
    }
  } catch (const ConflictError& e) {
    try {
      db.rollback();
    } catch (...) {
    }
    if (may_retry) {
      spdlog::debug("storage batch conflicted with another writer, running it again: {}", e.what());
      return false;
    }
    fail_batch(batch, failed_alone, std::current_exception(), e.what());
  } catch (const std::exception& e) {
    try {
      db.rollback();
    } catch (...) {
    }
    fail_batch(batch, failed_alone, std::current_exception(), e.what());
  }
  return true;
}

// A job that threw: its savepoint undone, its caller told.
void StorageRunner::fail_job(Database& db, StorageJob& job, std::vector<std::function<void()>>& completions,
                             std::vector<std::size_t>& completed_jobs, std::size_t i) {
  if (!completions.empty() && completed_jobs.back() == i) {
    completions.pop_back();
    completed_jobs.pop_back();
  }
  try {
    db.rollback_to_savepoint();
  } catch (...) {
  }
  if (job.fail) job.fail(std::current_exception());
}

// The commit (or BEGIN, or the connection) failed: nothing in this batch
// is durable, so every job not already told of its own failure is told now
// (a database that went away fails BEGIN, before any job ran: those jobs'
// callers must hear of it too).
void StorageRunner::fail_batch(std::vector<StorageJob>& batch, const std::vector<bool>& failed_alone,
                               std::exception_ptr error, const char* what) {
  healthy_.store(false, std::memory_order_relaxed);
  spdlog::error("storage commit failed: {}", what);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!failed_alone[i] && batch[i].fail) batch[i].fail(error);
  }
}

void StorageRunner::writer_loop(std::unique_ptr<Database> db) {
  const std::size_t max_batch = std::min(kMaxBatch, db->max_batch());
  std::vector<StorageJob> batch;
  std::vector<std::function<void()>> completions;
  std::vector<std::size_t> completed_jobs;
  for (;;) {
    {
      std::unique_lock lock(write_queue_.mutex);
      write_queue_.ready.wait(lock, [&] { return write_queue_.stopping || !write_queue_.jobs.empty(); });
      if (write_queue_.jobs.empty()) return;  // stopping and drained
      if (write_queue_.waited_on == 0) {
        write_queue_.ready.wait_for(lock, kBackgroundGather, [&] {
          return write_queue_.stopping || write_queue_.waited_on > 0 ||
                 write_queue_.jobs.size() >= max_batch;
        });
      } else if (write_queue_.jobs.size() < kGatherBelow && !write_queue_.stopping) {
        // A small batch waits briefly for company: at moderate rates jobs
        // arrive one per event-loop turn, and committing each nearly alone
        // doubled the CPU per message (docs/PERFORMANCE.md, chat latency).
        lock.unlock();
        std::this_thread::sleep_for(kGatherWindow);
        lock.lock();
      }
      while (!write_queue_.jobs.empty() && batch.size() < max_batch) {
        if (!write_queue_.jobs.front().background) --write_queue_.waited_on;
        batch.push_back(std::move(write_queue_.jobs.front()));
        write_queue_.jobs.pop_front();
      }
    }
    for (int attempt = 1;; ++attempt) {
      if (run_batch(*db, batch, completions, completed_jobs, attempt < kMaxConflictAttempts)) break;
      // A conflict with another node's writer: all of it rolled back (its
      // locks released), tried again after a short random pause so the two
      // do not collide again in step.
      completions.clear();
      completed_jobs.clear();
      std::this_thread::sleep_for(std::chrono::microseconds(500 * attempt + std::rand() % 1000));
    }
    try {
      db->after_batch();
    } catch (const std::exception& e) {
      spdlog::warn("storage upkeep failed: {}", e.what());
    }
    batch.clear();
    completions.clear();
    completed_jobs.clear();
  }
}

void StorageRunner::maintenance_loop(std::unique_ptr<Database> db) {
  constexpr auto kInterval = std::chrono::milliseconds(500);
  // While maintain() asks for it (SQLite: the writer's own checkpoint is
  // near), passes follow closely, so what is left for the writer is small.
  constexpr auto kSoon = std::chrono::milliseconds(10);
  auto interval = kInterval;
  for (;;) {
    {
      std::unique_lock lock(maintenance_.mutex);
      if (maintenance_.ready.wait_for(lock, interval, [&] { return maintenance_.stopping; })) return;
    }
    interval = kInterval;
    try {
      if (db->maintain()) interval = kSoon;
    } catch (const std::exception& e) {
      spdlog::warn("storage maintenance failed: {}", e.what());
    }
  }
}

void StorageRunner::fold_loop(std::unique_ptr<Database> db) {
  // How often an idle fold looks for work: a fold needs 16384 new chats,
  // which even 100k chats/s take longer than this to gather. After a
  // failure (disk full, I/O error) it retries less often; the writer goes
  // on meanwhile, slowed only once the backlog is two folds long
  // (fold_pace.hpp).
  constexpr auto kPoll = std::chrono::milliseconds(100);
  constexpr auto kRetry = std::chrono::seconds(1);
  for (;;) {
    bool more = false;
    auto pause = kPoll;
    try {
      more = db->compact();
    } catch (const std::exception& e) {
      spdlog::warn("storage fold failed: {}", e.what());
      pause = kRetry;
    }
    std::unique_lock lock(fold_.mutex);
    if (fold_.stopping) return;
    if (!more && fold_.ready.wait_for(lock, pause, [&] { return fold_.stopping; })) return;
  }
}

void StorageRunner::reader_loop(std::unique_ptr<Database> db) {
  for (;;) {
    StorageJob job;
    {
      std::unique_lock lock(read_queue_.mutex);
      read_queue_.ready.wait(lock, [&] { return read_queue_.stopping || !read_queue_.jobs.empty(); });
      if (read_queue_.jobs.empty()) return;
      job = std::move(read_queue_.jobs.front());
      read_queue_.jobs.pop_front();
      if (!job.background) --read_queue_.waited_on;
      // push() woke only this reader; pass the rest of a burst on.
      if (!read_queue_.jobs.empty()) read_queue_.ready.notify_one();
    }
    try {
      auto done = job.work(*db);
      if (done) done();
    } catch (...) {
      if (job.fail) job.fail(std::current_exception());
    }
  }
}

}  // namespace herald::store
