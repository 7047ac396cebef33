#pragma once
// What the real-time flows need from the rest of the server, as small
// interfaces. The server wires them to util::WorkerPool, the storage
// runner and Delivery; the unit tests wire them to fakes, so every flow is
// tested without sockets, threads or SQLite.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "store/database.hpp"
#include "util/ids.hpp"

namespace herald::realtime {

class Connection;

// Runs closures on a worker's thread, in order with the caller's other posts.
class WorkerPosts {
 public:
  virtual ~WorkerPosts() = default;
  virtual void post(unsigned worker, std::function<void()> fn) = 0;
  // The same, no sooner than `delay` from now.
  virtual void post_after(unsigned worker, std::chrono::milliseconds delay,
                          std::function<void()> fn) = 0;
};

// Stores a chat (both mailboxes). Exactly one of the callbacks runs, on a
// storage thread: `stored` only once the chat is committed (an `ack` must
// never precede its commit), `failed` when it could not be stored.
class ChatStore {
 public:
  virtual ~ChatStore() = default;
  virtual void store_chat(store::ChatInsert chat,
                          std::function<void(const store::ChatInsertResult&)> stored,
                          std::function<void(const std::string& error)> failed) = 0;
};

// Writes nobody waits for: a user first seen in a token, a last_seen.
class UserStore {
 public:
  virtual ~UserStore() = default;
  virtual void remember_user(UserId user, const std::string& username, std::int64_t now_ms) = 0;
  virtual void remember_last_seen(UserId user, std::int64_t when_ms) = 0;
  // The user's mailbox seq when their last connection closed (4.3).
  virtual void remember_mailbox_mark(UserId user, Seq mark) = 0;
};

// Reads a user's stored record (a cluster node on shared storage refreshes
// its directory from it before a welcome: another node may have moved the
// user's mailbox on). Exactly one callback runs, on a storage thread;
// nullopt when the user is not stored or the read failed.
class UserReader {
 public:
  virtual ~UserReader() = default;
  virtual void read_user(UserId user, std::function<void(std::optional<store::UserRecord>)> done) = 0;
};

// Reads a user's mailbox for a replay (PROTOCOL.md 4.3) on a storage
// reader, within the configured retention. Exactly one callback runs, on a
// storage thread.
class MailboxReader {
 public:
  virtual ~MailboxReader() = default;
  virtual void read_mailbox(UserId user, Seq after, std::function<void(store::MailboxPage)> done,
                            std::function<void(const std::string& error)> failed) = 0;
};

// The per-worker tables of connections (WorkerHub), seen from the flows.
// Called on the connection's own worker.
class ConnectionTables {
 public:
  virtual ~ConnectionTables() = default;
  virtual void add(const std::shared_ptr<Connection>& c) = 0;
  virtual void remove(Connection& c) = 0;
  virtual void subscribe(Connection& c, const std::string& context) = 0;
  virtual void unsubscribe(Connection& c, const std::string& context) = 0;
  // Cluster mode: the number of the last presence event from the
  // cluster's stream that worker `worker` has released to its tables (a
  // connection joining it after a snapshot older than that is owed the
  // events in between). On that worker.
  virtual std::uint64_t presence_passed(unsigned worker) const {
    (void)worker;
    return 0;
  }
};

}  // namespace herald::realtime
