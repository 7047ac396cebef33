#pragma once
// ChatStore and UserStore on the storage runner's writer thread (group
// commit; completions after the commit).
#include "realtime/ports.hpp"

namespace herald::store {
class StorageRunner;
}

namespace herald::realtime {

class RunnerStores final : public ChatStore, public UserStore {
 public:
  explicit RunnerStores(store::StorageRunner& runner) : runner_(runner) {}

  void store_chat(store::ChatInsert chat, std::function<void(const store::ChatInsertResult&)> stored,
                  std::function<void(const std::string& error)> failed) override;
  void remember_user(UserId user, const std::string& username, std::int64_t now_ms) override;
  void remember_last_seen(UserId user, std::int64_t when_ms) override;

 private:
  store::StorageRunner& runner_;
};

}  // namespace herald::realtime
