// Hub: 1:1 chat (PROTOCOL.md 4, "message"). Validate, store (both mailboxes,
// one group-committed transaction), then `ack` the sending connection and
// publish `chat` to every connection of the recipient and to the sender's
// other connections. Each copy carries the seq of the mailbox it lands in.
// A repeated client_msg_id is acknowledged again with the first message's
// id and delivered to no one.
#include <spdlog/spdlog.h>

#include "protocol/server_messages.hpp"
#include "realtime/hub.hpp"
#include "store/storage_runner.hpp"
#include "util/clock.hpp"
#include "util/worker_pool.hpp"

namespace herald::realtime {

void Hub::handle_chat(Connection& c, const protocol::ChatSend& m) {
  if (m.to_user_id == c.user) {
    send_error(c, protocol::ErrorCode::invalid_message, "to_user_id must not be your own id",
               m.client_msg_id);
    return;
  }
  if (!directory_.contains(m.to_user_id)) {
    send_error(c, protocol::ErrorCode::user_not_found, "to_user_id names no known user",
               m.client_msg_id);
    return;
  }
  store::ChatInsert insert{c.user, m.to_user_id, m.message, m.client_msg_id, util::unix_ms_now()};
  auto self = c.shared_from_this();
  unsigned worker = c.worker();
  std::string username = c.username;

  store::StorageJob job;
  job.work = [this, insert = std::move(insert), self, worker,
              username = std::move(username)](store::Database& db) mutable -> std::function<void()> {
    auto stored = db.insert_chat(insert);
    // Runs after the commit, on the storage thread: it only hands the result
    // to the sender's worker, where the frames are built and delivered (the
    // storage thread is the serial part of the chat path; a recipient on the
    // same worker is then reached without another cross-thread post).
    return [this, stored, self, worker, insert = std::move(insert), username = std::move(username)]() mutable {
      workers_.post(worker, [this, stored, self = std::move(self), insert = std::move(insert),
                             username = std::move(username)] {
        deliver_stored_chat(self, insert, username, stored);
      });
    };
  };
  job.fail = [this, self, worker, ref = m.client_msg_id](std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("chat store failed user={}: {}", raw(self->user), e.what());
    }
    workers_.post(worker, [this, self, ref] {
      if (self->open()) {
        send_error(*self, protocol::ErrorCode::message_processing_error,
                   "the message could not be stored", ref);
      }
    });
  };
  storage_.write(std::move(job));
}

void Hub::deliver_stored_chat(const std::shared_ptr<Connection>& sender, const store::ChatInsert& insert,
                              const std::string& username, const store::ChatInsertResult& stored) {
  directory_.advance_seq(insert.from, stored.sender_seq);
  directory_.advance_seq(insert.to, stored.recipient_seq);
  std::string now = util::iso8601_now();
  if (sender->open()) {
    sender->send(net::make_frame(protocol::ack(insert.client_msg_id, stored.id, stored.sender_seq, now)),
                 "ack");
  }
  if (stored.duplicate) return;
  protocol::ChatEvent event{stored.recipient_seq, stored.id, insert.from, username,
                            insert.to, insert.text,
                            util::iso8601_from_unix_ms(stored.created_at_ms)};
  publish(cluster::Target::to_user(insert.to, "chat"), net::make_frame(protocol::chat(event, now)));
  event.seq = stored.sender_seq;
  publish(cluster::Target::to_user(insert.from, "chat", sender->id()),
          net::make_frame(protocol::chat(event, now)));
}

}  // namespace herald::realtime
