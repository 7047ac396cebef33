#include "realtime/chat_flow.hpp"

#include <spdlog/spdlog.h>

#include "protocol/server_messages.hpp"
#include "realtime/connection.hpp"
#include "realtime/ports.hpp"
#include "realtime/user_directory.hpp"
#include "util/clock.hpp"

namespace herald::realtime {

void ChatFlow::send(Connection& c, const protocol::ChatSend& m) {
  if (m.to_user_id == c.user) {
    c.send_error(protocol::ErrorCode::invalid_message, "to_user_id must not be your own id",
                 m.client_msg_id);
    return;
  }
  if (!directory_.contains(m.to_user_id)) {
    c.send_error(protocol::ErrorCode::user_not_found, "to_user_id names no known user",
                 m.client_msg_id);
    return;
  }
  store::ChatInsert chat{c.user, m.to_user_id, m.message, m.client_msg_id, util::unix_ms_now()};
  auto self = c.shared_from_this();
  unsigned worker = c.worker();
  // Both callbacks run on the storage writer's thread. The `chat` events are
  // published from there, in commit order, which is each user's seq order:
  // every connection then gets a user's mailbox events in seq order
  // (PROTOCOL.md 4.3; a resume by the highest seq seen misses nothing). The
  // ack is posted to the sender's worker from the same thread, so it too
  // keeps its place among that worker's mailbox events.
  auto on_stored = [this, self, worker, chat, username = c.username, conn = c.id()](
                       const store::ChatInsertResult& result) {
    publish(chat, username, conn, result);
    // Only the reference travels to the worker: copying the whole chat
    // (its text) would cost an allocation here and a cross-thread free there.
    posts_.post(worker, [self, ref = chat.client_msg_id, result] { acknowledge(*self, ref, result); });
  };
  auto on_failed = [this, self, worker, ref = m.client_msg_id](const std::string& error) {
    spdlog::error("chat store failed user={}: {}", raw(self->user), error);
    posts_.post(worker, [self, ref] {
      if (self->open()) {
        self->send_error(protocol::ErrorCode::message_processing_error,
                         "the message could not be stored", ref);
      }
    });
  };
  store_.store_chat(std::move(chat), std::move(on_stored), std::move(on_failed));
}

void ChatFlow::publish(const store::ChatInsert& chat, const std::string& sender_name,
                       ConnectionId sender_connection, const store::ChatInsertResult& result) {
  if (result.duplicate) return;  // delivered the first time
  directory_.advance_seq(chat.from, result.sender_seq);
  directory_.advance_seq(chat.to, result.recipient_seq);
  std::string now = util::iso8601_now();
  protocol::ChatEvent event{result.recipient_seq, result.id, chat.from, sender_name,
                            chat.to, chat.text, util::iso8601_from_unix_ms(result.created_at_ms)};
  auto to_recipient = cluster::Target::to_user(chat.to, "chat");
  to_recipient.mailbox_seq = raw(result.recipient_seq);
  broker_.publish(to_recipient, net::make_frame(protocol::chat(event, now)));
  event.seq = result.sender_seq;
  // The sending connection gets the ack instead.
  auto to_sender = cluster::Target::to_user(chat.from, "chat", sender_connection);
  to_sender.mailbox_seq = raw(result.sender_seq);
  broker_.publish(to_sender, net::make_frame(protocol::chat(event, now)));
}

void ChatFlow::acknowledge(Connection& sender, const std::optional<std::string>& client_msg_id,
                           const store::ChatInsertResult& result) {
  if (!sender.open()) return;
  auto frame = net::make_frame(
      protocol::ack(client_msg_id, result.id, result.sender_seq, util::iso8601_now()));
  if (result.duplicate) {
    sender.send(frame, "ack");  // the first message's seq, long since sent
  } else {
    sender.send_ack(raw(result.sender_seq), frame);
  }
}

}  // namespace herald::realtime
