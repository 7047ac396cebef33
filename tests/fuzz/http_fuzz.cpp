// libFuzzer target for what the server does with the bytes of one HTTP
// request (net/http_session.cpp), up to the REST router or the WebSocket
// upgrade. The session itself is a coroutine over a socket, so this drives
// the pieces it is made of, as it uses them:
// - Beast's request_parser<string_body> with the session's limits (16 KiB
//   header, max_http_body_bytes 1 MiB body), fed the way the session feeds
//   it: its read_header() loop, then http::async_read's;
// - for an upgrade: beast::websocket::is_upgrade, then net's handshake
//   checks (valid_websocket_key, websocket_accept_key), and the token /
//   since extraction from the query string or the Authorization header;
// - otherwise: the request converted as to_api() does and routed by a real
//   api::Router holding a few routes of each shape ({int} parameters, a
//   handler that throws a StorageError, one that throws anything else),
//   api::Request::query_param and api::parse_form.
// The few lines of http_session.cpp that live in its anonymous namespace
// (read_header, path_of, upgrade_info, to_api) are mirrored below with the
// same calls,
// since they cannot be called from outside; keep them in step.
//
// Input: the raw bytes a client sends. The chunking of the reads is derived
// from the bytes themselves, so seeds stay plain HTTP.
//
// Oracles, beyond "no crash, no sanitizer report, no exception":
// - what the session would do (route or upgrade the same request with the
//   same fields and body, 431, 413, or close) does not depend on how the
//   bytes are split across reads (whole, derived chunks, byte by byte,
//   line by line),
//   but for one quirk of Beast's (below, where it is checked);
// - a request that parses has a header within 16 KiB and a body within the
//   limit, however its bytes came (this found that Beast's own header_limit
//   let a header of any size through when every read ended one byte into
//   the next line; the session now counts it itself, read_header());
// - a key valid_websocket_key() accepts is base64 of 16 bytes by Beast's
//   decoder, and websocket_accept_key() equals Beast's own computation;
// - the router answers exactly one of the statuses its contract allows
//   (200 from a handler, 404 no path, 405 other method, 422 a placeholder
//   that is not an int64, 503 / 500 for the throwing handlers), never throws,
//   and hands handlers only int64 parameters; api::parse_form (query strings,
//   form bodies) never throws.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.hpp"
#include "api/router.hpp"
#include "net/ws_handshake.hpp"
#include "store/database.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using herald::api::Request;
using herald::api::Response;

// As in http_session.cpp and ServerOptions.
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "http_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

// ---- parsing, as the session's reads drive it -----------------------------

struct Parsed {
  // What the session does with the outcome: "" a complete request (routed
  // or upgraded), "header_limit" 431, "body_limit" 413, "closed" any other
  // error (closed without an answer).
  std::string outcome;
  std::string error;  // Beast's error, for the report only
  std::string method, target, body;
  unsigned version = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  bool keep_alive = false;
  bool operator==(const Parsed& o) const {
    return outcome == o.outcome && method == o.method && target == o.target && body == o.body &&
           version == o.version && fields == o.fields && keep_alive == o.keep_alive;
  }
};

// Reads that each end one byte past a CRLF: what let a header of any size
// through Beast's own header_limit.
constexpr std::size_t kLineReads = static_cast<std::size_t>(-1);

// Feeds `input` in reads of 1..step bytes (0: all at once; kLineReads: up
// to one byte past the next CRLF): the header as
// http_session.cpp's read_header() does (the parser's limit shrinks by what
// it has consumed; a header over the limit however it came is
// header_limit), then the body as http::async_read does (put, consume,
// read more, put_eof at the end of the stream).
Parsed parse(std::string_view input, std::size_t step,
             std::optional<http::request<http::string_body>>* out = nullptr) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(kMaxBodyBytes);
  std::string buffer;
  std::size_t pos = 0, round = 0;
  auto read = [&] {
    if (pos == input.size()) return false;  // the client closed its side
    std::size_t n = input.size() - pos;
    if (step == kLineReads) {
      const auto crlf = input.find("\r\n", pos);
      if (crlf != std::string_view::npos) n = std::min(n, crlf + 3 - pos);
    } else if (step > 0) {
      n = std::min(n, 1 + (round++ * 7919) % step);
    }
    buffer.append(input.substr(pos, n));
    pos += n;
    return true;
  };
  beast::error_code ec;
  std::size_t consumed = 0;
  for (;;) {  // read_header()
    if (!buffer.empty()) {
      parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes - consumed));
      const std::size_t used = parser.put(asio::buffer(buffer), ec);
      buffer.erase(0, used);
      consumed += used;
      if (parser.is_header_done()) {
        if (consumed > kMaxHeaderBytes) ec = http::error::header_limit;
        if (ec == http::error::need_more) ec = {};
        break;
      }
      if (ec != http::error::need_more) break;
      if (consumed >= kMaxHeaderBytes) {
        ec = http::error::header_limit;
        break;
      }
    }
    if (!read()) {
      ec = http::error::end_of_stream;
      break;
    }
  }
  while (!ec && !parser.is_done()) {  // http::async_read
    if (!buffer.empty()) {
      const std::size_t used = parser.put(asio::buffer(buffer), ec);
      buffer.erase(0, used);
      if (ec == http::error::need_more) {
        ec = {};
      } else if (ec) {
        break;
      } else if (used > 0) {
        continue;
      }
      if (parser.is_done()) break;
    }
    if (!read()) {
      parser.put_eof(ec);
      break;
    }
  }
  Parsed p;
  if (ec) {
    p.error = ec.message();
    p.outcome = ec == http::error::header_limit ? "header_limit"
                : ec == http::error::body_limit ? "body_limit"
                                                : "closed";
    return p;
  }
  auto& req = parser.get();
  p.method = std::string(req.method_string());
  p.target = std::string(req.target());
  p.body = req.body();
  p.version = req.version();
  p.keep_alive = req.keep_alive();
  for (const auto& f : req) p.fields.emplace_back(f.name_string(), f.value());
  if (out) out->emplace(parser.release());
  return p;
}

// ---- the upgrade ----------------------------------------------------------

std::string_view path_of(std::string_view target) {  // http_session.cpp
  return target.substr(0, std::min(target.find('?'), target.size()));
}

struct UpgradeTokens {
  std::string token, since;
};

UpgradeTokens upgrade_tokens(const http::request<http::string_body>& req) {  // upgrade_info()
  UpgradeTokens info;
  auto url = boost::urls::parse_origin_form(req.target());
  if (url) {
    for (auto p : url->params()) {
      if (p.key == "token") info.token = std::string(p.value);
      if (p.key == "since") info.since = std::string(p.value);
    }
  }
  if (info.token.empty()) {
    std::string_view auth = req[http::field::authorization];
    if (auth.size() > 7 && (auth.starts_with("Bearer ") || auth.starts_with("bearer "))) {
      info.token = std::string(auth.substr(7));
    }
  }
  return info;
}

void check_key(std::string_view key) {
  const bool valid = herald::net::valid_websocket_key(key);
  // Beast's decoder: how many bytes it writes, how many characters it reads
  // (it stops at the first '=' or at a character outside the alphabet).
  // Padded base64 of 16 bytes: 22 characters that decode, then "==".
  unsigned char raw[64];
  std::pair<std::size_t, std::size_t> decoded{0, 0};
  if (key.size() <= 48) decoded = beast::detail::base64::decode(raw, key.data(), key.size());
  const bool sixteen_bytes = key.size() == 24 && key.substr(22) == "==" && decoded.first == 16 &&
                             decoded.second == 22;
  check(valid == sixteen_bytes, "valid_websocket_key disagrees with base64 of 16 bytes");
  if (!valid) return;
  beast::websocket::detail::sec_ws_accept_type expected;
  beast::websocket::detail::make_sec_ws_accept(expected, key);
  check(herald::net::websocket_accept_key(key) == std::string_view(expected.data(), expected.size()),
        "websocket_accept_key differs from Beast's");
}

void upgrade(const http::request<http::string_body>& req) {
  (void)path_of(req.target());
  (void)(req[http::field::sec_websocket_version] == herald::net::kWebSocketVersion);
  check_key(req[http::field::sec_websocket_key]);
  const UpgradeTokens info = upgrade_tokens(req);
  if (!info.token.empty()) check(info.token.size() <= req.target().size() + req[http::field::authorization].size(),
                                 "a token longer than what carried it");
}

// ---- the REST side --------------------------------------------------------

Request to_api(http::request<http::string_body>& req) {  // http_session.cpp
  Request r;
  r.method = std::string(req.method_string());
  std::string_view target = req.target();
  auto q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  auto decoded = boost::urls::parse_origin_form(target);
  r.path = decoded ? std::string(decoded->path()) : std::string(raw_path);
  r.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  r.body = std::move(req.body());
  r.content_type = std::string(req[http::field::content_type]);
  r.authorization = std::string(req[http::field::authorization]);
  r.api_key = std::string(req["X-API-Key"]);
  r.remote_address = "127.0.0.1";
  return r;
}

bool is_int64(std::string_view s) {
  long long v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

struct RouteSpec {
  const char* method;
  const char* pattern;
  int status;  // what its handler answers
};

constexpr RouteSpec kRoutes[] = {
    {"GET", "/health", 200},
    {"GET", "/api/v1/online", 200},
    {"GET", "/api/v1/status/{int}", 200},
    {"POST", "/api/v1/users/{int}/follow", 200},
    {"DELETE", "/api/v1/users/{int}/follow", 200},
    {"POST", "/api/v1/posts/{int}/comments/{int}", 200},
    {"GET", "/api/v1/fail/storage", 503},
    {"GET", "/api/v1/fail/other", 500},
};

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    std::size_t j = std::min(path.find('/', i), path.size());
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// The status the router's contract gives a request (router.hpp): the first
// route whose path fits and method matches answers (422 for a placeholder
// that is not an int64); a fitting path under another method only is 405.
int expected_status(const Request& r) {
  const auto segs = segments(r.path);
  bool path_matched = false;
  for (const auto& spec : kRoutes) {
    const auto pat = segments(spec.pattern);
    if (pat.size() != segs.size()) continue;
    bool fits = true, bad_param = false;
    for (std::size_t i = 0; i < pat.size() && fits; ++i) {
      if (pat[i] == "{int}") {
        bad_param |= !is_int64(segs[i]);
      } else {
        fits = pat[i] == segs[i];
      }
    }
    if (!fits) continue;
    path_matched = true;
    if (r.method != spec.method) continue;
    return bad_param ? 422 : spec.status;
  }
  return path_matched ? 405 : 404;
}

const herald::api::Router& router() {
  static const herald::api::Router* r = [] {
    auto* made = new herald::api::Router;
    for (const auto& spec : kRoutes) {
      const int status = spec.status;
      made->add(spec.method, spec.pattern, [status](Request& req) -> asio::awaitable<Response> {
        for (const auto& p : req.params) check(is_int64(p), "a handler got a non-int64 parameter");
        (void)req.query_param("limit");
        (void)req.query_param("token");
        if (status == 503) throw herald::store::StorageError("disk on fire");
        if (status == 500) throw std::runtime_error("handler bug");
        co_return herald::api::json_response(200, "{}");
      });
    }
    return made;
  }();
  return *r;
}

void route(Request& request) {
  // Form bodies (login) and query strings: Boost.URL's params_view throws on
  // bad input, parse_form must not.
  (void)herald::api::has_media_type(request.content_type, "application/x-www-form-urlencoded");
  (void)herald::api::parse_form(request.body);
  (void)herald::api::parse_form(request.query);

  static asio::io_context io;
  std::optional<Response> response;
  bool threw = false;
  asio::co_spawn(io, router().route(request), [&](std::exception_ptr e, Response r) {
    threw = e != nullptr;
    response = std::move(r);
  });
  io.restart();
  io.run();
  check(!threw, "the router threw");
  check(response.has_value(), "the router never answered");
  check(response->status == expected_status(request), "the router answered another status");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the router logs handler failures
  // The harness itself: RFC 6455's example key and answer.
  check(herald::net::websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ==") ==
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "the RFC 6455 example");
  check_key("dGhlIHNhbXBsZSBub25jZQ==");
  (void)router();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t hash = 0;
  for (unsigned char c : input) hash = hash * 31 + c;

  // The header's length: up to the blank line, or all of the input.
  const auto blank = input.find("\r\n\r\n");
  const std::size_t header_bytes = blank == std::string_view::npos ? input.size() : blank + 4;
  const bool within_limits = header_bytes <= kMaxHeaderBytes;

  std::optional<http::request<http::string_body>> req;
  const Parsed whole = parse(input, 0, &req);
  // One difference is allowed, and no other: Beast parses the fields of a
  // first put at once, without waiting for the blank line, so an obs-fold
  // value over its fixed buffer is header_limit there, while in parts a
  // header that never completes is a partial message (closed without an
  // answer instead of 431).
  for (const std::size_t step : {1 + hash % 64, std::size_t{1}, kLineReads}) {
    const Parsed split = parse(input, step, nullptr);
    if (split.outcome.empty()) check(within_limits, "accepted a header over the limit");
    if (split == whole) continue;
    const bool allowed = (split.outcome == "header_limit" && whole.outcome == "closed") ||
                         (split.outcome == "closed" && whole.outcome == "header_limit");
    if (!allowed) {
      std::fprintf(stderr, "whole: [%s] %s %s; in reads of 1..%zu: [%s] %s %s\n",
                   whole.error.c_str(), whole.method.c_str(), whole.target.c_str(), step,
                   split.error.c_str(), split.method.c_str(), split.target.c_str());
      check(false, "splitting the reads changed the parse");
    }
  }
  if (!whole.outcome.empty()) return 0;
  check(within_limits, "accepted a header over the limit");
  check(whole.body.size() <= kMaxBodyBytes, "accepted a body over the limit");

  if (beast::websocket::is_upgrade(*req)) {
    upgrade(*req);
  } else {
    Request request = to_api(*req);
    route(request);
  }
  return 0;
}
