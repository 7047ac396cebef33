#include "api/request_body.hpp"

#include <boost/json/parse.hpp>

namespace herald::api {

std::expected<boost::json::object, Response> json_object_body(const Request& r) {
  boost::system::error_code ec;
  auto value = boost::json::parse(r.body, ec);
  if (ec || !value.is_object()) {
    return std::unexpected(validation_error("body", "body", "a JSON object is required"));
  }
  return std::move(value.as_object());
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::expected<std::string, Response> text_field(const boost::json::object& o, std::string_view key,
                                                std::size_t min, std::size_t max) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) {
    return std::unexpected(validation_error("body", key, std::string(key) + " must be a string"));
  }
  std::string_view text = it->value().as_string();
  // Bytes first: a megabyte of text is refused without counting it.
  const std::size_t n = text.size() > 4 * max ? max + 1 : code_points(text);
  if (n < min || n > max) {
    return std::unexpected(validation_error(
        "body", key,
        std::string(key) + " must be " + std::to_string(min) + ".." + std::to_string(max) + " characters"));
  }
  return std::string(text);
}

}  // namespace herald::api
