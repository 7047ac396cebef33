#pragma once
// The real-time hub: turns WebSocket sessions into connections and routes
// what they send (PROTOCOL.md sections 2-5) to the flow that handles it:
// Admission (open, close), ChatFlow, PresenceFlow, TypingFlow (typing and
// subscriptions). It keeps for itself what belongs to every connection:
// the rate limit, parsing, in-band token refresh (`auth`), the
// once-a-second token-expiry sweep and the shutdown.
//
// Threads: every Connection callback runs on its worker. Shared state is
// the sharded PresenceRegistry and UserDirectory; per-worker state is in
// Delivery. Frames leave through the Broker, which hands them to Delivery
// on each node that holds recipients.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "cluster/broker.hpp"
#include "net/session.hpp"
#include "protocol/client_messages.hpp"
#include "realtime/admission.hpp"
#include "realtime/chat_flow.hpp"
#include "realtime/mailbox_replay.hpp"
#include "realtime/presence_access.hpp"
#include "realtime/connection.hpp"
#include "realtime/presence_flow.hpp"
#include "realtime/typing_flow.hpp"

namespace herald::auth {
class JwtVerifier;
}
namespace herald::util {
class WorkerPool;
}

namespace herald::realtime {

class ChatStore;
class Delivery;
class PresenceRegistry;
class SharedPresence;
class UserDirectory;
class UserReader;
class UserStore;
class MailboxReader;
class FollowGraph;

struct HubOptions {
  int max_connections_per_user = 10;
  std::size_t max_subscriptions = 100;
  double rate_per_s = 20;
  double rate_burst = 40;
  int abuse_drops = 10;
  int heartbeat_interval_s = 30;
  PresenceAudience audience = PresenceAudience::all;
  protocol::Limits limits;
};

class Hub final : public net::SessionHandler, public ConnectionEvents {
 public:
  Hub(HubOptions options, util::WorkerPool& workers, const auth::JwtVerifier& verifier,
      UserDirectory& directory, PresenceRegistry& registry, Delivery& delivery,
      cluster::Broker& broker, ChatStore& chats, UserStore& users, MailboxReader& mailbox,
      const FollowGraph& follows);
  ~Hub() override;

  // Cluster mode: presence shared through Redis (ClusterPresence). Before
  // start().
  void set_shared_presence(SharedPresence* shared);
  // Cluster mode on shared storage: mailbox events come from every node, so
  // each connection fills gaps in its seqs from storage (MailboxGaps), and
  // each welcome reads the user's stored seq and mark first. Before start().
  void enable_shared_storage(UserReader& users);

  // Starts the once-a-second token-expiry sweep on every worker.
  void start();
  // Closes every connection with 1001 (SIGTERM). Safe from any thread.
  void shutdown();

  // net::SessionHandler
  std::shared_ptr<net::SessionObserver> on_open(std::shared_ptr<net::Session> session,
                                                net::UpgradeInfo info) override;
  // ConnectionEvents (on the connection's worker)
  void on_message(Connection& c, std::string_view text) override;
  void on_closed(Connection& c, std::uint16_t code) override;

 private:
  void handle_auth(Connection& c, const protocol::AuthRefresh& m);
  void schedule_sweep(unsigned worker);
  void sweep_expired(unsigned worker);

  HubOptions options_;
  util::WorkerPool& workers_;
  const auth::JwtVerifier& verifier_;
  Delivery& delivery_;
  PresenceFlow presence_;
  PresenceAccess access_;
  TypingFlow typing_;
  ChatFlow chat_;
  MailboxReplay replay_;
  MailboxReader& mailbox_;
  const UserDirectory& directory_;
  std::unique_ptr<MailboxGaps> gaps_;
  Admission admission_;
  std::atomic<bool> shutting_down_{false};
  struct Timers;
  std::unique_ptr<Timers> timers_;
};

}  // namespace herald::realtime
