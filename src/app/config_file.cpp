// The TOML file layer (toml++). Values keep their TOML types: a port is an
// integer, not a string; a rate may be an integer or a float; a list may be
// an array of strings or one comma-separated string.
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "app/config_layers.hpp"
#include "app/config_table.hpp"

namespace herald::app {
namespace {

struct FileContext {
  std::string_view source;        // file name for messages
  std::set<std::string> assigned;  // settings already given (flat and table forms)
};

template <class T>
std::expected<void, std::string> assign_integer(T& target, const toml::node& node, const std::string& where) {
  const auto* integer = node.as_integer();
  if (integer == nullptr) return std::unexpected(fmt::format("{}: expected an integer", where));
  const std::int64_t value = integer->get();
  if constexpr (std::is_unsigned_v<T>) {
    if (value < 0) return std::unexpected(fmt::format("{}: must not be negative", where));
    if (static_cast<std::uint64_t>(value) > std::numeric_limits<T>::max()) {
      return std::unexpected(fmt::format("{}: {} is out of range", where, value));
    }
  } else {
    if (value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max()) {
      return std::unexpected(fmt::format("{}: {} is out of range", where, value));
    }
  }
  target = static_cast<T>(value);
  return {};
}

std::expected<void, std::string> assign_node(Settings& settings, const SettingField& field,
                                             const toml::node& node, const std::string& where) {
  return std::visit(
      [&](auto member) -> std::expected<void, std::string> {
        auto& target = settings.*member;
        using T = std::decay_t<decltype(target)>;
        if constexpr (std::is_same_v<T, std::string>) {
          const auto* text = node.as_string();
          if (text == nullptr) return std::unexpected(fmt::format("{}: expected a string", where));
          target = text->get();
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          if (const auto* text = node.as_string()) {
            return assign_text(settings, field, text->get(), where);
          }
          const auto* array = node.as_array();
          if (array == nullptr) return std::unexpected(fmt::format("{}: expected an array of strings", where));
          std::vector<std::string> items;
          for (const auto& element : *array) {
            const auto* text = element.as_string();
            if (text == nullptr) return std::unexpected(fmt::format("{}: expected an array of strings", where));
            items.push_back(text->get());
          }
          assign_list(settings, field, items);
        } else if constexpr (std::is_floating_point_v<T>) {
          if (const auto* number = node.as_floating_point()) {
            if (!std::isfinite(number->get())) return std::unexpected(fmt::format("{}: must be finite", where));
            target = number->get();
          } else if (const auto* integer = node.as_integer()) {
            target = static_cast<T>(integer->get());
          } else {
            return std::unexpected(fmt::format("{}: expected a number", where));
          }
        } else {
          return assign_integer(target, node, where);
        }
        return {};
      },
      field.member);
}

std::expected<void, std::string> apply_entry(Settings& settings, FileContext& ctx, std::string_view key,
                                             const toml::node& node, std::string_view table) {
  const std::string dotted = table.empty() ? std::string(key) : fmt::format("{}.{}", table, key);
  const SettingField* field = nullptr;
  if (!table.empty()) field = find_setting(fmt::format("{}_{}", table, key));
  if (field == nullptr) field = find_setting(key);
  if (field == nullptr) {
    return std::unexpected(fmt::format("config file {}: unknown key '{}'", ctx.source, dotted));
  }
  const std::string where = fmt::format("config file {}: key '{}'", ctx.source, dotted);
  if (!ctx.assigned.insert(std::string(field->key)).second) {
    return std::unexpected(fmt::format("{}: setting '{}' is given twice", where, field->key));
  }
  return assign_node(settings, *field, node, where);
}

std::expected<void, std::string> apply_table(Settings& settings, FileContext& ctx, const toml::table& root) {
  for (const auto& [key, node] : root) {
    if (const auto* table = node.as_table()) {
      for (const auto& [inner_key, inner] : *table) {
        if (inner.is_table()) {
          return std::unexpected(fmt::format("config file {}: unknown key '{}.{}' (tables nest one level)",
                                             ctx.source, key.str(), inner_key.str()));
        }
        if (auto ok = apply_entry(settings, ctx, inner_key.str(), inner, key.str()); !ok) return ok;
      }
      continue;
    }
    if (auto ok = apply_entry(settings, ctx, key.str(), node, ""); !ok) return ok;
  }
  return {};
}

}  // namespace

std::expected<void, std::string> apply_toml_text(Settings& settings, std::string_view text,
                                                 std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& err) {
    return std::unexpected(fmt::format("config file {}:{}:{}: {}", source_name, err.source().begin.line,
                                       err.source().begin.column, err.description()));
  }
  FileContext ctx{source_name, {}};
  return apply_table(settings, ctx, root);
}

std::expected<void, std::string> apply_toml_file(Settings& settings, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(fmt::format("config file {}: cannot be opened", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(fmt::format("config file {}: read error", path));
  return apply_toml_text(settings, text.str(), path);
}

}  // namespace herald::app
