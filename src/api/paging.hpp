#pragma once
// The list convention of PROTOCOL.md 6: `limit` (default 20, 1..100),
// `before` (an exclusive id cursor) and the answer
// {"items":[...],"next_before":<the last item's id while more remain, else null>}.
// Every list route reads its query and writes its answer here, so they
// cannot drift apart.
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "api/http.hpp"
#include "store/database.hpp"

namespace herald::api {

inline constexpr std::int64_t kDefaultPageLimit = 20;
inline constexpr std::int64_t kMaxPageLimit = 100;

// `limit` and `before` from the query (422 when out of range or not an
// integer). The request asks storage for one row more than the limit: its
// presence is how the answer knows more remain.
std::expected<store::PageRequest, Response> page_query(const Request& request);

// An optional boolean query flag ("true"/"false", "1"/"0"); 422 otherwise.
std::expected<bool, Response> flag_query(const Request& request, std::string_view name);

// Rows come newest first, at most limit + 1 of them; `items` are the JSON
// texts of the first `limit`, `ids` every row's id (the cursor).
template <class Row, class ToJson, class IdOf>
Response page_response(const std::vector<Row>& rows, std::int64_t limit, ToJson to_json, IdOf id_of) {
  const bool more = static_cast<std::int64_t>(rows.size()) > limit;
  const std::size_t n = more ? static_cast<std::size_t>(limit) : rows.size();
  std::string body = R"({"items":[)";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) body += ',';
    body += to_json(rows[i]);
  }
  body += R"(],"next_before":)";
  body += more ? std::to_string(id_of(rows[n - 1])) : std::string("null");
  body += '}';
  return json_response(200, std::move(body));
}

}  // namespace herald::api
