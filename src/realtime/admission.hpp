#pragma once
// Admission: from a fresh WebSocket session to a counted connection, and
// back (PROTOCOL.md 1, 2 and 5).
//
// Open: verify the token (missing or invalid 4001, expired 4003; the
// handshake has completed so browsers see the code), learn a first-seen
// user (PROTOCOL.md 1), attach to the registry (beyond the per-user cap
// 4009), send `connected` with a presence snapshot (after a mailbox replay
// when there is one to send, 4.3: mailbox_replay.hpp), then announce the
// user online when this is their first connection. Close: switch off its typing
// indicators, detach, keep last_seen, and announce the user offline when
// their last visible connection went.
//
// In a cluster (a SharedPresence), the attach is also the cluster's, in
// Redis: the connection is counted here at once (the per-user cap, routing)
// and welcomed when the cluster's answer is in, with the count at the
// number its attach took; the announcements come from the cluster's stream
// (ClusterPresence), not from here.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/broker.hpp"
#include "realtime/presence_ledger.hpp"

#include "net/session.hpp"

namespace herald::auth {
class JwtVerifier;
}

namespace herald::realtime {

class Connection;
class ConnectionTables;
class MailboxGapFiller;
class MailboxReplay;
class PresenceFlow;
class PresenceRegistry;
class SharedPresence;
class TypingFlow;
class UserReader;
class WorkerPosts;
class UserDirectory;
class UserStore;

struct AdmissionOptions {
  int max_connections_per_user = 10;
  int heartbeat_interval_s = 30;
};

class Admission {
 public:
  Admission(AdmissionOptions options, const auth::JwtVerifier& verifier, UserDirectory& directory,
            PresenceRegistry& registry, ConnectionTables& tables, UserStore& users,
            PresenceFlow& presence, TypingFlow& typing, MailboxReplay& replay)
      : options_(options),
        verifier_(verifier),
        directory_(directory),
        registry_(registry),
        tables_(tables),
        users_(users),
        presence_(presence),
        typing_(typing),
        replay_(replay) {}

  // On the connection's worker, right after the handshake.
  void open(const std::shared_ptr<Connection>& c, const net::UpgradeInfo& info);
  // On the connection's worker, once its socket is gone.
  void close(Connection& c, std::uint16_t code);

  // Cluster mode: presence applied in Redis; `posts` brings its answers
  // back to the connection's worker. Set before the workers start.
  void set_shared(SharedPresence* shared, WorkerPosts* posts) {
    shared_ = shared;
    posts_ = posts;
  }
  // Cluster mode on shared storage: every welcomed connection waits for
  // (and fills) gaps in its mailbox seqs (MailboxGaps).
  // And, since another node may have moved a user's mailbox on (or their
  // offline mark), each welcome first refreshes the user's seq and mark
  // from storage, holding the connection's output meanwhile.
  void set_shared_storage(MailboxGapFiller* gaps, UserReader* reader) {
    gaps_ = gaps;
    user_reader_ = reader;
  }

 private:
  void remember_new_user(UserId user, const std::string& username);
  void admit(const std::shared_ptr<Connection>& c, const std::string& since);
  // The cluster's answer to a connection's attach, on its worker.
  void admit_shared(const std::shared_ptr<Connection>& c, const std::string& since,
                    std::optional<PresenceSnapshot> snapshot, bool first_here);
  // Joins the tables and sends `connected` (after a replay when one is
  // due); `first_here`: the user had no other connection on this node.
  void welcome(const std::shared_ptr<Connection>& c, const std::string& since,
               const PresenceSnapshot& snapshot, bool first_here,
               std::vector<cluster::SharedFrame> missed = {});
  // The welcome's second half: `connected` (or the replay), from the
  // directory as it stands.
  void send_welcome(const std::shared_ptr<Connection>& c, const std::string& since,
                    const PresenceSnapshot& snapshot, bool first_here,
                    const std::vector<cluster::SharedFrame>& missed);

  AdmissionOptions options_;
  const auth::JwtVerifier& verifier_;
  UserDirectory& directory_;
  PresenceRegistry& registry_;
  ConnectionTables& tables_;
  UserStore& users_;
  PresenceFlow& presence_;
  TypingFlow& typing_;
  MailboxReplay& replay_;
  SharedPresence* shared_ = nullptr;
  MailboxGapFiller* gaps_ = nullptr;
  UserReader* user_reader_ = nullptr;
  WorkerPosts* posts_ = nullptr;
};

}  // namespace herald::realtime
