#pragma once
// Transport-neutral HTTP request/response for the REST handlers, so api/
// never sees Beast: net/ converts at the edge. Errors use FastAPI's shape,
// {"detail": "..."} (PROTOCOL.md "Conventions").
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace herald::api {

struct Request {
  std::string method;             // "GET", "POST", ...
  std::string path;               // decoded path, no query
  std::string query;              // raw query string, without '?'
  std::string body;
  std::string content_type;
  std::string authorization;      // the Authorization header, verbatim
  std::string api_key;            // the X-API-Key header
  std::string remote_address;
  std::vector<std::string> params;  // path parameters, in pattern order

  // Decoded query parameter, or nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
};

// The fields of an application/x-www-form-urlencoded text (a form body or a
// query string), in order: percent-escapes decoded and '+' read as a space,
// as browsers and FastAPI's form parser do. nullopt when the text is not
// well-formed (a bad percent-escape).
using FormFields = std::vector<std::pair<std::string, std::string>>;
std::optional<FormFields> parse_form(std::string_view text);

// True when a Content-Type header names `media_type` ("type/subtype", lower
// case): compared without regard to case, parameters (";charset=...") ignored.
bool has_media_type(std::string_view content_type, std::string_view media_type);

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

Response json_response(int status, std::string body);
Response no_content();
// {"detail": detail}; a 401 also carries WWW-Authenticate: Bearer.
Response error_response(int status, std::string_view detail);
// FastAPI's 422 shape for one bad field: {"detail":[{"loc":[...],"msg":...,"type":...}]}.
Response validation_error(std::string_view location, std::string_view field, std::string_view message);

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

}  // namespace herald::api
