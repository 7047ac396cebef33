#include "api/http.hpp"

#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>

namespace herald::api {

std::optional<std::string> Request::query_param(std::string_view name) const {
  auto params = boost::urls::parse_query(query);
  if (!params) return std::nullopt;
  for (auto p : *params) {
    if (p.key == name) return std::string(p.value);
  }
  return std::nullopt;
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Response error_response(int status, std::string_view detail) {
  boost::json::object o;
  o["detail"] = detail;
  Response r = json_response(status, boost::json::serialize(o));
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

Response validation_error(std::string_view location, std::string_view field,
                          std::string_view message) {
  boost::json::object item;
  item["loc"] = boost::json::array{boost::json::string(location), boost::json::string(field)};
  item["msg"] = message;
  item["type"] = "value_error";
  boost::json::object o;
  o["detail"] = boost::json::array{item};
  return json_response(422, boost::json::serialize(o));
}

}  // namespace herald::api
