#include "realtime/storage_ports.hpp"

#include <spdlog/spdlog.h>

#include "store/storage_runner.hpp"
#include "util/clock.hpp"

namespace herald::realtime {

namespace {
std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown error";
}
}  // namespace

void RunnerStores::store_chat(store::ChatInsert chat,
                              std::function<void(const store::ChatInsertResult&)> stored,
                              std::function<void(const std::string& error)> failed) {
  store::StorageJob job;
  job.work = [chat = std::move(chat), stored = std::move(stored)](
                 store::Database& db) mutable -> std::function<void()> {
    auto result = db.insert_chat(chat);
    // The completion: runs after the COMMIT, while the job (and `stored`)
    // still lives; by reference, so a batch run again still has it.
    return [result, &stored] { stored(result); };
  };
  job.fail = [failed = std::move(failed)](std::exception_ptr error) { failed(describe(error)); };
  runner_.write(std::move(job));
}

// Both are background jobs: nobody waits on them, so a connection storm
// costs a commit per gathering window. The writer keeps one queue in
// order, so a new user's row commits before any chat that names them.
void RunnerStores::remember_user(UserId user, const std::string& username, std::int64_t now_ms) {
  store::StorageJob job;
  job.work = [user, username, now_ms](store::Database& db) -> std::function<void()> {
    db.add_user_if_absent(user, username, now_ms);
    return {};
  };
  job.fail = [user](std::exception_ptr) {
    spdlog::warn("could not store new user={}; kept in memory", raw(user));
  };
  job.background = true;
  runner_.write(std::move(job));
}

void RunnerStores::remember_last_seen(UserId user, std::int64_t when_ms) {
  store::StorageJob job;
  job.work = [user, when_ms](store::Database& db) -> std::function<void()> {
    db.set_last_seen(user, when_ms);
    return {};
  };
  job.fail = [user](std::exception_ptr) {
    spdlog::warn("could not persist last_seen user={}", raw(user));
  };
  job.background = true;
  runner_.write(std::move(job));
}

void RunnerStores::remember_mailbox_mark(UserId user, Seq mark) {
  store::StorageJob job;
  job.work = [user, mark](store::Database& db) -> std::function<void()> {
    db.set_mailbox_mark(user, mark);
    return {};
  };
  job.fail = [user](std::exception_ptr) {
    spdlog::warn("could not persist the mailbox mark user={}", raw(user));
  };
  job.background = true;
  runner_.write(std::move(job));
}

void RunnerStores::read_mailbox(UserId user, Seq after,
                                std::function<void(store::MailboxPage)> done,
                                std::function<void(const std::string& error)> failed) {
  store::MailboxRetention retention;
  retention.max_events = retention_events_;
  if (retention_days_ > 0) {
    retention.min_created_at_ms = util::unix_ms_now() - std::int64_t{retention_days_} * 86'400'000;
  }
  store::StorageJob job;
  job.work = [user, after, retention, done = std::move(done)](
                 store::Database& db) mutable -> std::function<void()> {
    auto page = std::make_shared<store::MailboxPage>(db.read_mailbox(user, after, retention));
    return [page, done = std::move(done)] { done(std::move(*page)); };
  };
  job.fail = [failed = std::move(failed)](std::exception_ptr error) { failed(describe(error)); };
  runner_.read(std::move(job));
}

void RunnerStores::read_user(UserId user, std::function<void(std::optional<store::UserRecord>)> done) {
  store::StorageJob job;
  job.work = [user, done](store::Database& db) -> std::function<void()> {
    auto record = db.get_user(user);
    return [record, done] { done(record); };
  };
  job.fail = [done](std::exception_ptr) { done(std::nullopt); };
  runner_.read(std::move(job));
}

}  // namespace herald::realtime
