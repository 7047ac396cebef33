// spdlog set-up (see logging.hpp). The default logger is replaced as a whole
// so every module's spdlog::info(...) gets the same sink, format and level.
#include "util/logging.hpp"

#include <array>
#include <memory>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace herald::util {
namespace {

struct LevelName {
  std::string_view name;
  spdlog::level::level_enum level;
};

constexpr std::array<LevelName, 7> kLevels{{
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"critical", spdlog::level::critical},
    {"off", spdlog::level::off},
}};

const LevelName* find_level(std::string_view name) {
  for (const auto& entry : kLevels) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

}  // namespace

bool is_log_level(std::string_view level) { return find_level(level) != nullptr; }

std::expected<void, std::string> init_logging(std::string_view level, std::ostream* out) {
  const LevelName* entry = find_level(level);
  if (entry == nullptr) {
    return std::unexpected("log level '" + std::string(level) +
                           "' is not one of trace, debug, info, warn, error, critical, off");
  }
  spdlog::sink_ptr sink;
  if (out != nullptr) {
    sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*out, /*force_flush=*/true);
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto logger = std::make_shared<spdlog::logger>("herald", std::move(sink));
  logger->set_pattern(kLogPattern, spdlog::pattern_time_type::utc);
  logger->set_level(entry->level);
  // Warnings and errors reach the terminal at once; info lines may batch in stdio.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

}  // namespace herald::util
