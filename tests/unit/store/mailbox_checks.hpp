#pragma once
// What the storage tests say of a mailbox, in one place: a retention that
// keeps everything, the seqs of a replay, and the seqs 1..n it should hold.
#include <cstdint>
#include <vector>

#include "store/database.hpp"

namespace herald::test {

inline store::MailboxRetention everything() {
  store::MailboxRetention r;
  r.max_events = 1'000'000;
  return r;
}

inline std::vector<std::int64_t> seqs_of(const store::MailboxPage& page) {
  std::vector<std::int64_t> seqs;
  for (const auto& e : page.events) seqs.push_back(raw(e.seq));
  return seqs;
}

inline std::vector<std::int64_t> one_to(std::int64_t n) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

}  // namespace herald::test
