#pragma once
// The real-time hub: turns WebSocket sessions into authenticated
// connections and runs PROTOCOL.md sections 2-5 on them: the welcome,
// ping, typing, subscriptions, presence, chat and in-band auth.
//
// Threads: every Connection callback runs on its worker. Shared state is
// the sharded PresenceRegistry and UserDirectory; per-worker state is in
// WorkerHub. Fan-out goes through the Broker, which calls back into
// deliver() (LocalDelivery) on each node that holds recipients; deliver()
// posts one closure per worker holding recipients.
//
// The flows are split by topic across hub_*.cpp files.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "cluster/broker.hpp"
#include "net/session.hpp"
#include "protocol/client_messages.hpp"
#include "realtime/connection.hpp"
#include "realtime/presence_registry.hpp"
#include "realtime/user_directory.hpp"
#include "realtime/worker_hub.hpp"
#include "store/database.hpp"

namespace herald::store {
class StorageRunner;
}
namespace herald::util {
class WorkerPool;
}

namespace herald::realtime {

enum class PresenceAudience { all, followers };

struct HubOptions {
  int max_connections_per_user = 10;
  std::size_t max_subscriptions = 100;
  double rate_per_s = 20;
  double rate_burst = 40;
  int abuse_drops = 10;
  int heartbeat_interval_s = 30;
  PresenceAudience audience = PresenceAudience::all;
  // Broadcasts (every user, a context) wait at least this long on each
  // worker and then go out together: one write per connection per window
  // (a join storm is N x N deliveries). 0 = each broadcast at once.
  int broadcast_batch_ms = 20;
  // The window stretches up to this when flushes grow costly
  // (BroadcastWindow).
  int broadcast_batch_max_ms = 100;
  protocol::Limits limits;
};

class Hub final : public net::SessionHandler, public cluster::LocalDelivery {
 public:
  Hub(HubOptions options, util::WorkerPool& workers, store::StorageRunner& storage,
      const auth::JwtVerifier& verifier, UserDirectory& directory);
  ~Hub() override;

  void set_broker(cluster::Broker* broker) { broker_ = broker; }
  // Starts the once-a-second token-expiry sweep on every worker.
  void start();
  // Closes every connection with 1001 (SIGTERM). Safe from any thread.
  void shutdown();

  // net::SessionHandler
  std::shared_ptr<net::SessionObserver> on_open(std::shared_ptr<net::Session> session,
                                                net::UpgradeInfo info) override;
  // cluster::LocalDelivery
  void deliver(const cluster::Target& target, const cluster::SharedFrame& frame) override;

  // Called by Connection (on its worker).
  void on_message(Connection& c, std::string_view text);
  void on_closed(Connection& c, std::uint16_t code);

  void post_to_worker(unsigned worker, std::function<void()> fn);

  PresenceRegistry& registry() { return registry_; }
  const PresenceRegistry& registry() const { return registry_; }
  UserDirectory& directory() { return directory_; }

 private:
  // hub_connect.cpp
  void admit(const std::shared_ptr<Connection>& c);
  void remember_new_user(UserId user, const std::string& username);
  // On the sender's worker, after the commit: ack, then the chat frames.
  void deliver_stored_chat(const std::shared_ptr<Connection>& sender, const store::ChatInsert& insert,
                           const std::string& username, const store::ChatInsertResult& stored);
  void sweep_expired(unsigned worker);
  void schedule_sweep(unsigned worker);
  void deliver_on_worker(unsigned worker, const cluster::Target& target,
                         const cluster::SharedFrame& frame);
  void route_on_worker(unsigned worker, const cluster::Target& target,
                       const cluster::SharedFrame& frame);
  // hub_presence.cpp
  void announce_status(UserId user, bool online, PresenceSeq seq);
  void handle_presence(Connection& c, const protocol::PresenceSet& m);
  void publish_to_presence_audience(UserId user, const cluster::SharedFrame& frame,
                                    std::string_view type, PresenceSeq seq);
  // hub_typing.cpp
  void handle_typing(Connection& c, const protocol::Typing& m);
  void handle_subscribe(Connection& c, const protocol::Subscribe& m);
  void handle_unsubscribe(Connection& c, const protocol::Unsubscribe& m);
  void stop_typing(Connection& c);
  // hub_chat.cpp
  void handle_chat(Connection& c, const protocol::ChatSend& m);
  // hub_messages.cpp
  void handle_auth(Connection& c, const protocol::AuthRefresh& m);
  void send_error(Connection& c, protocol::ErrorCode code, std::string_view message,
                  const std::optional<std::string>& ref = std::nullopt);
  void publish(const cluster::Target& target, const cluster::SharedFrame& frame);

  HubOptions options_;
  util::WorkerPool& workers_;
  store::StorageRunner& storage_;
  const auth::JwtVerifier& verifier_;
  UserDirectory& directory_;
  PresenceRegistry registry_;
  std::vector<std::unique_ptr<WorkerHub>> worker_hubs_;
  cluster::Broker* broker_ = nullptr;
  std::atomic<bool> shutting_down_{false};
  struct WorkerTimers;
  std::unique_ptr<WorkerTimers> timers_;
};

}  // namespace herald::realtime
