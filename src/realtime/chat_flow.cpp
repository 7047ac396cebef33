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
  // Both callbacks run on the storage thread: they only hand the outcome to
  // the sender's worker, where the frames are built and delivered (the
  // storage thread is the serial part of the chat path; a recipient on the
  // same worker is then reached without another cross-thread post).
  auto on_stored = [this, self, worker, chat](const store::ChatInsertResult& result) {
    posts_.post(worker, [this, self, chat, result] { stored(*self, chat, result); });
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

void ChatFlow::stored(Connection& sender, const store::ChatInsert& chat,
                      const store::ChatInsertResult& result) {
  directory_.advance_seq(chat.from, result.sender_seq);
  directory_.advance_seq(chat.to, result.recipient_seq);
  std::string now = util::iso8601_now();
  if (sender.open()) {
    sender.send(net::make_frame(protocol::ack(chat.client_msg_id, result.id, result.sender_seq, now)),
                "ack");
  }
  if (result.duplicate) return;
  protocol::ChatEvent event{result.recipient_seq, result.id, chat.from, sender.username,
                            chat.to, chat.text, util::iso8601_from_unix_ms(result.created_at_ms)};
  broker_.publish(cluster::Target::to_user(chat.to, "chat"), net::make_frame(protocol::chat(event, now)));
  event.seq = result.sender_seq;
  broker_.publish(cluster::Target::to_user(chat.from, "chat", sender.id()),
                  net::make_frame(protocol::chat(event, now)));
}

}  // namespace herald::realtime
