#pragma once
// ChatStore and UserStore on the storage runner's writer thread (group
// commit; completions after the commit).
#include "realtime/ports.hpp"

namespace herald::store {
class StorageRunner;
}

namespace herald::realtime {

class RunnerStores final : public ChatStore, public UserStore, public MailboxReader, public UserReader {
 public:
  // retention_days: how old a replayed event may be (0: no age limit).
  RunnerStores(store::StorageRunner& runner, std::int64_t retention_events = 10000,
               int retention_days = 30)
      : runner_(runner), retention_events_(retention_events), retention_days_(retention_days) {}

  void store_chat(store::ChatInsert chat, std::function<void(const store::ChatInsertResult&)> stored,
                  std::function<void(const std::string& error)> failed) override;
  void remember_user(UserId user, const std::string& username, std::int64_t now_ms) override;
  void remember_last_seen(UserId user, std::int64_t when_ms) override;
  void remember_mailbox_mark(UserId user, Seq mark) override;
  void read_mailbox(UserId user, Seq after, std::function<void(store::MailboxPage)> done,
                    std::function<void(const std::string& error)> failed) override;
  void read_user(UserId user, std::function<void(std::optional<store::UserRecord>)> done) override;

 private:
  store::StorageRunner& runner_;
  std::int64_t retention_events_;
  int retention_days_;
};

}  // namespace herald::realtime
