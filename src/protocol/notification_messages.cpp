// Builders of the notification frame (the seed's exact shape plus `seq`)
// and of its inner object, which GET /notifications reuses as list items so
// the live event and the REST list can never disagree.
#include "protocol/json_writer.hpp"
#include "protocol/server_messages.hpp"

namespace herald::protocol {
namespace {

std::size_t data_estimate(const NotificationEvent& n) {
  return 140 + 20 + json_string_estimate(n.type) + json_string_estimate(n.title) +
         json_string_estimate(n.message) + n.data_json.size() +
         (n.link ? json_string_estimate(*n.link) : 4) + json_string_estimate(n.created_at);
}

void append_data(std::string& out, const NotificationEvent& n) {
  out += R"({"id":)";
  append_int(out, n.id);
  out += R"(,"type":)";
  append_json_string(out, n.type);
  out += R"(,"title":)";
  append_json_string(out, n.title);
  out += R"(,"message":)";
  append_json_string(out, n.message);
  out += R"(,"data":)";
  out += n.data_json.empty() ? std::string_view("{}") : std::string_view(n.data_json);
  out += R"(,"link":)";
  if (n.link)
    append_json_string(out, *n.link);
  else
    out += "null";
  out += R"(,"read":)";
  append_bool(out, n.read);
  out += R"(,"created_at":)";
  append_json_string(out, n.created_at);
  out += '}';
}

}  // namespace

std::string notification_data(const NotificationEvent& n) {
  std::string out;
  out.reserve(data_estimate(n));
  append_data(out, n);
  return out;
}

std::string notification(const NotificationEvent& n, std::string_view now) {
  std::string out;
  out.reserve(80 + 20 + json_string_estimate(n.type) + data_estimate(n) + json_string_estimate(now));
  out += R"({"type":"notification",)";
  if (n.seq) {
    out += R"("seq":)";
    append_int(out, raw(*n.seq));
    out += ',';
  }
  out += R"("notification_type":)";
  append_json_string(out, n.type);
  out += R"(,"data":)";
  append_data(out, n);
  out += R"(,"timestamp":)";
  append_json_string(out, now);
  out += '}';
  return out;
}

}  // namespace herald::protocol
