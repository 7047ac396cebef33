#pragma once
// Mailbox replay (PROTOCOL.md 4.3): what a connection missed, sent before
// anything live.
//
// Admission attaches the connection first (from then on every live event
// for its user reaches it) and holds its output; then the mailbox is read
// on a storage reader. Every event whose delivery was published before the
// attach was committed before the read began, so it is in the read; every
// later one is held by the connection. release() sends `connected` (with
// `resync` when the retention window cut the replay short), the replayed
// events, then what was held, skipping seqs already sent: no gap, no
// duplicate, in seq order.
#include <chrono>
#include <memory>
#include <vector>

#include "protocol/server_messages.hpp"
#include "realtime/connection.hpp"
#include "store/database.hpp"
#include "util/ids.hpp"

namespace herald::realtime {

class Connection;
class MailboxReader;
class UserDirectory;
class WorkerPosts;

// The frames of stored mailbox events, as a replay sends them.
std::vector<Connection::Outgoing> mailbox_frames(const std::vector<store::MailboxEvent>& events,
                                                 const UserDirectory& directory);

// Cluster mode: a connection whose mailbox seqs skip ahead (another node's
// earlier seq still on its way through Redis) holds the later ones; if the
// missing seqs have not come after `wait`, they are read from the shared
// storage and sent first (docs/CLUSTER.md, "Order of delivery across
// nodes"). So a connection still gets every seq once, in order.
class MailboxGaps final : public MailboxGapFiller {
 public:
  MailboxGaps(MailboxReader& reader, const UserDirectory& directory, WorkerPosts& posts,
              std::chrono::milliseconds wait = std::chrono::milliseconds(100))
      : reader_(reader), directory_(directory), posts_(posts), wait_(wait) {}

  // On c's worker, when c first holds an event ahead of a gap.
  void fill_later(const std::shared_ptr<Connection>& c) override;

 private:
  MailboxReader& reader_;
  const UserDirectory& directory_;
  WorkerPosts& posts_;
  std::chrono::milliseconds wait_;
};

class MailboxReplay {
 public:
  MailboxReplay(MailboxReader& reader, const UserDirectory& directory, WorkerPosts& posts)
      : reader_(reader), directory_(directory), posts_(posts) {}

  // On c's worker, right after the attach: holds c's output, reads the
  // events after `after`, then sends `welcome` and them.
  void start(const std::shared_ptr<Connection>& c, Seq after, protocol::ConnectedInfo welcome);

 private:
  // On c's worker, with the read's outcome.
  void finish(Connection& c, protocol::ConnectedInfo welcome, const store::MailboxPage& page);

  MailboxReader& reader_;
  const UserDirectory& directory_;
  WorkerPosts& posts_;
};

}  // namespace herald::realtime
