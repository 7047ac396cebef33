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
#include <cstdint>
#include <memory>
#include <string>

#include "net/session.hpp"

namespace herald::auth {
class JwtVerifier;
}

namespace herald::realtime {

class Connection;
class ConnectionTables;
class MailboxReplay;
class PresenceFlow;
class PresenceRegistry;
class TypingFlow;
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

 private:
  void remember_new_user(UserId user, const std::string& username);
  void admit(const std::shared_ptr<Connection>& c, const std::string& since);

  AdmissionOptions options_;
  const auth::JwtVerifier& verifier_;
  UserDirectory& directory_;
  PresenceRegistry& registry_;
  ConnectionTables& tables_;
  UserStore& users_;
  PresenceFlow& presence_;
  TypingFlow& typing_;
  MailboxReplay& replay_;
};

}  // namespace herald::realtime
