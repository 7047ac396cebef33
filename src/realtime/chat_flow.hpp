#pragma once
// 1:1 chat (PROTOCOL.md 4, "message"): validate, store (both mailboxes,
// one group-committed transaction), then `ack` the sending connection and
// publish `chat` to every connection of the recipient and to the sender's
// other connections, each copy with the seq of the mailbox it lands in
// (from the storage writer, in commit order: chat_flow.cpp says why). A
// repeated client_msg_id is acknowledged again with the first message's id
// and delivered to no one.
#include "cluster/broker.hpp"
#include "protocol/client_messages.hpp"
#include "store/database.hpp"

namespace herald::realtime {

class ChatStore;
class Connection;
class UserDirectory;
class WorkerPosts;

class ChatFlow {
 public:
  ChatFlow(UserDirectory& directory, ChatStore& store, WorkerPosts& posts, cluster::Broker& broker)
      : directory_(directory), store_(store), posts_(posts), broker_(broker) {}

  void send(Connection& c, const protocol::ChatSend& m);

 private:
  // On the storage writer's thread, after the commit: the `chat` events.
  void publish(const store::ChatInsert& chat, const std::string& sender_name,
               ConnectionId sender_connection, const store::ChatInsertResult& result);
  // On the sender's worker: the `ack`.
  static void acknowledge(Connection& sender, const std::optional<std::string>& client_msg_id,
                          const store::ChatInsertResult& result);

  UserDirectory& directory_;
  ChatStore& store_;
  WorkerPosts& posts_;
  cluster::Broker& broker_;
};

}  // namespace herald::realtime
