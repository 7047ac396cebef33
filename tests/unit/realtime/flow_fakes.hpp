#pragma once
// Fakes for the real-time flows' small interfaces (realtime/ports.hpp, the
// net::Session seam and the cluster::Broker): each records what the flow
// asked of it, so a test reads the flow's behaviour without sockets,
// threads or SQLite.
#include <boost/json.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/broker.hpp"
#include "net/session.hpp"
#include "realtime/connection.hpp"
#include "realtime/ports.hpp"

namespace herald::realtime::test {

class FakeSession final : public net::Session {
 public:
  FakeSession(std::uint64_t id, unsigned worker) : id_(id), worker_(worker) {}
  ConnectionId id() const override { return ConnectionId{id_}; }
  unsigned worker() const override { return worker_; }
  net::SendResult send(const net::Frame& frame) override {
    if (closed_with) return net::SendResult::closed;
    frames.push_back(boost::json::parse(*frame).as_object());
    return net::SendResult::queued;
  }
  void close(net::CloseCode code, std::string_view) override {
    if (!closed_with) closed_with = code;
  }
  bool is_open() const override { return !closed_with; }

  // Frames of one type, in order.
  std::vector<boost::json::object> of_type(std::string_view type) const {
    std::vector<boost::json::object> out;
    for (const auto& f : frames) {
      if (f.at("type").as_string() == type) out.push_back(f);
    }
    return out;
  }

  std::vector<boost::json::object> frames;
  std::optional<net::CloseCode> closed_with;

 private:
  std::uint64_t id_;
  unsigned worker_;
};

struct Published {
  cluster::Target target;
  boost::json::object frame;
};

class RecordingBroker final : public cluster::Broker {
 public:
  void publish(const cluster::Target& target, const cluster::SharedFrame& frame) override {
    published.push_back({target, boost::json::parse(*frame).as_object()});
  }
  std::vector<Published> published;
};

// Holds posted closures until the test runs them (a worker's next turn).
class QueuedPosts final : public WorkerPosts {
 public:
  void post(unsigned worker, std::function<void()> fn) override {
    queued.push_back({worker, std::move(fn)});
  }
  // A test's worker has no clock: a delayed closure is just queued.
  void post_after(unsigned worker, std::chrono::milliseconds, std::function<void()> fn) override {
    post(worker, std::move(fn));
  }
  void run_all() {
    while (!queued.empty()) {
      auto item = std::move(queued.front());
      queued.pop_front();
      item.second();
    }
  }
  std::deque<std::pair<unsigned, std::function<void()>>> queued;
};

// Keeps each chat until the test commits or fails it.
class FakeChatStore final : public ChatStore {
 public:
  struct Pending {
    store::ChatInsert chat;
    std::function<void(const store::ChatInsertResult&)> stored;
    std::function<void(const std::string&)> failed;
  };
  void store_chat(store::ChatInsert chat, std::function<void(const store::ChatInsertResult&)> stored,
                  std::function<void(const std::string&)> failed) override {
    pending.push_back({std::move(chat), std::move(stored), std::move(failed)});
  }
  std::vector<Pending> pending;
};

class FakeUserStore final : public UserStore {
 public:
  void remember_user(UserId user, const std::string& username, std::int64_t) override {
    users.push_back({user, username});
  }
  void remember_last_seen(UserId user, std::int64_t) override { last_seen.push_back(user); }
  void remember_mailbox_mark(UserId user, Seq mark) override { marks.push_back({user, mark}); }
  std::vector<std::pair<UserId, std::string>> users;
  std::vector<UserId> last_seen;
  std::vector<std::pair<UserId, Seq>> marks;
};

// Keeps each mailbox read until the test answers it.
class FakeMailboxReader final : public MailboxReader {
 public:
  struct Pending {
    UserId user;
    Seq after;
    std::function<void(store::MailboxPage)> done;
    std::function<void(const std::string&)> failed;
  };
  void read_mailbox(UserId user, Seq after, std::function<void(store::MailboxPage)> done,
                    std::function<void(const std::string&)> failed) override {
    pending.push_back({user, after, std::move(done), std::move(failed)});
  }
  std::vector<Pending> pending;
};

class FakeTables final : public ConnectionTables {
 public:
  void add(const std::shared_ptr<Connection>& c) override { added.push_back(c->id()); }
  void remove(Connection& c) override { removed.push_back(c.id()); }
  void subscribe(Connection& c, const std::string& context) override { subscribed.push_back(context); }
  void unsubscribe(Connection& c, const std::string& context) override {
    unsubscribed.push_back(context);
  }
  std::uint64_t presence_passed(unsigned) const override { return passed; }
  std::uint64_t passed = 0;  // what every worker has released of a cluster's stream
  std::vector<ConnectionId> added, removed;
  std::vector<std::string> subscribed, unsubscribed;
};

class NoEvents final : public ConnectionEvents {
 public:
  void on_message(Connection&, std::string_view) override {}
  void on_closed(Connection&, std::uint16_t) override {}
};

// A connection over a FakeSession, already identified as `user`.
struct TestConnection {
  TestConnection(NoEvents& events, QueuedPosts& posts, std::int64_t user, std::uint64_t id,
                 unsigned worker = 0)
      : session(std::make_shared<FakeSession>(id, worker)),
        connection(std::make_shared<Connection>(events, posts, session, RateLimiter(20, 40, 10))) {
    connection->user = UserId{user};
    connection->username = "user" + std::to_string(user);
  }
  std::shared_ptr<FakeSession> session;
  std::shared_ptr<Connection> connection;
};

}  // namespace herald::realtime::test
