#include "app/web_root.hpp"

#include <filesystem>

namespace herald::app {

std::optional<std::string> resolve_web_root(const std::string& setting) {
  if (setting == "none") return std::nullopt;
  if (!setting.empty()) return setting;
  std::error_code ec;
  if (std::filesystem::is_directory("web/dist", ec)) return std::string("web/dist");
#ifdef HERALD_SOURCE_WEB_ROOT
  if (std::filesystem::is_directory(HERALD_SOURCE_WEB_ROOT, ec)) return std::string(HERALD_SOURCE_WEB_ROOT);
#endif
  return std::nullopt;
}

}  // namespace herald::app
