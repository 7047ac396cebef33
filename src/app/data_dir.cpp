// See data_dir.hpp.
#include "app/data_dir.hpp"

#include <cerrno>

#include <sys/stat.h>

#include <fmt/format.h>

namespace herald::app {

std::error_code create_private_directory(const std::filesystem::path& dir) {
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (part.empty() || part == "/" || part == "." || part == "..") continue;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return {errno, std::generic_category()};
    }
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return ec ? ec : std::make_error_code(std::errc::not_a_directory);
  return {};
}

std::vector<std::string> exposed_data_paths(const std::filesystem::path& dir) {
  std::vector<std::string> lines;
  auto check = [&](const std::filesystem::path& path, const char* what, const char* fix) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return;  // absent: created private later
    const unsigned mode = st.st_mode & 0777;
    if ((mode & 077) == 0) return;
    lines.push_back(
        fmt::format("{} {} is mode {:04o}: group or other users may access it (chmod {} {})", what,
                    path.string(), mode, fix, path.string()));
  };
  check(dir, "data directory", "700");
  for (const char* name : kDataFiles) check(dir / name, "data file", "600");
  return lines;
}

}  // namespace herald::app
