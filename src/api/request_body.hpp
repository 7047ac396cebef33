#pragma once
// Reading JSON request bodies for the social and notification routes: a
// JSON object or 422, and the few checks every text field shares.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "api/http.hpp"

namespace herald::api {

// A JSON object body, or the 422 to send.
std::expected<boost::json::object, Response> json_object_body(const Request& r);

// Unicode code points of UTF-8 text (the body parser has checked it is UTF-8).
std::size_t code_points(std::string_view s);

// A required string field of min..max code points, or the 422 to send.
std::expected<std::string, Response> text_field(const boost::json::object& o, std::string_view key,
                                                std::size_t min, std::size_t max);

}  // namespace herald::api
