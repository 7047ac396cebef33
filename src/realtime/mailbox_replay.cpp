#include "realtime/mailbox_replay.hpp"

#include <spdlog/spdlog.h>

#include <variant>

#include "realtime/connection.hpp"
#include "realtime/ports.hpp"
#include "realtime/user_directory.hpp"
#include "util/clock.hpp"

namespace herald::realtime {

void MailboxReplay::start(const std::shared_ptr<Connection>& c, Seq after,
                          protocol::ConnectedInfo welcome) {
  c->hold();
  c->mailbox_seq = raw(after);
  unsigned worker = c->worker();
  auto done = [this, c, worker, welcome](store::MailboxPage page) {
    auto read = std::make_shared<store::MailboxPage>(std::move(page));
    posts_.post(worker, [this, c, welcome, read] { finish(*c, welcome, *read); });
  };
  auto failed = [this, c, worker, welcome](const std::string& error) {
    // The client is told to re-read what it needs (resync); live events
    // after its seq still reach it.
    spdlog::error("mailbox replay failed user={}: {}", raw(c->user), error);
    posts_.post(worker, [this, c, welcome] {
      store::MailboxPage none;
      none.resync = true;
      finish(*c, welcome, none);
    });
  };
  reader_.read_mailbox(c->user, after, std::move(done), std::move(failed));
}

std::vector<Connection::Outgoing> mailbox_frames(const std::vector<store::MailboxEvent>& events,
                                                 const UserDirectory& directory) {
  std::vector<Connection::Outgoing> out;
  out.reserve(events.size());
  std::string now = util::iso8601_now();
  for (const store::MailboxEvent& e : events) {
    if (const auto* chat = std::get_if<store::MailboxChat>(&e.body)) {
      auto sender = directory.find(chat->from);
      protocol::ChatEvent event{e.seq,
                                chat->id,
                                chat->from,
                                sender ? sender->username : "user" + std::to_string(raw(chat->from)),
                                chat->to,
                                chat->text,
                                util::iso8601_from_unix_ms(chat->created_at_ms)};
      out.push_back({net::make_frame(protocol::chat(event, now)), "chat",
                     static_cast<std::uint64_t>(raw(e.seq))});
    } else {
      const auto& n = std::get<store::MailboxNotification>(e.body);
      protocol::NotificationEvent event{e.seq,     n.id,      n.type,
                                        n.title,   n.message, n.data_json,
                                        n.link,    n.read,    util::iso8601_from_unix_ms(n.created_at_ms)};
      out.push_back({net::make_frame(protocol::notification(event, now)), "notification",
                     static_cast<std::uint64_t>(raw(e.seq))});
    }
  }
  return out;
}

void MailboxGaps::fill_later(const std::shared_ptr<Connection>& c) {
  unsigned worker = c->worker();
  posts_.post_after(worker, wait_, [this, c, worker] {
    if (!c->has_gap() || !c->open()) return;  // the missing seqs came meanwhile
    auto done = [this, c, worker](store::MailboxPage page) {
      auto frames = std::make_shared<std::vector<Connection::Outgoing>>(mailbox_frames(page.events, directory_));
      posts_.post(worker, [c, frames] { c->fill_gap(std::move(*frames)); });
    };
    auto failed = [this, c, worker](const std::string& error) {
      spdlog::warn("mailbox gap read failed user={}: {}", raw(c->user), error);
      posts_.post(worker, [c] { c->fill_gap({}); });
    };
    reader_.read_mailbox(c->user, Seq{static_cast<std::int64_t>(c->mailbox_seq)}, std::move(done),
                         std::move(failed));
  });
}

void MailboxReplay::finish(Connection& c, protocol::ConnectedInfo welcome,
                           const store::MailboxPage& page) {
  welcome.resync = page.resync;
  std::vector<Connection::Outgoing> out;
  out.reserve(page.events.size() + 1);
  out.push_back({net::make_frame(protocol::connected(welcome)), "connected"});
  auto events = mailbox_frames(page.events, directory_);
  out.insert(out.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
  spdlog::debug("mailbox replay user={} conn={} events={} resync={}", raw(c.user), to_string(c.id()),
                page.events.size(), page.resync);
  c.release(std::move(out));
}

}  // namespace herald::realtime
