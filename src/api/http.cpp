#include "api/http.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

namespace herald::api {

std::optional<std::string> Request::query_param(std::string_view name) const {
  auto fields = parse_form(query);
  if (!fields) return std::nullopt;
  for (auto& [key, value] : *fields) {
    if (key == name) return std::move(value);
  }
  return std::nullopt;
}

// Boost.URL's encoded view keeps the escapes: the decoded view with
// space_as_plus is what a form means (a '+' in the text is a space, a plus
// arrives as %2B). parse_query checks first because the params_view
// constructor throws on bad input (and the one that takes a parsed view is
// not exported by Debian's libboost_url 1.81).
std::optional<FormFields> parse_form(std::string_view text) {
  if (!boost::urls::parse_query(text)) return std::nullopt;
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  FormFields fields;
  for (auto param : boost::urls::params_view(text, opts)) {
    fields.emplace_back(std::move(param.key), std::move(param.value));
  }
  return fields;
}

bool has_media_type(std::string_view content_type, std::string_view media_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return type.size() == media_type.size() &&
         std::equal(type.begin(), type.end(), media_type.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
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
