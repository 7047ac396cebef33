#pragma once
// The demo app's static files at `/` (web/dist, built with the JS SDK).
//
// The whole web root is read into memory once at start: workers never touch
// the disk (DESIGN.md "Nothing blocks a worker"), and a request can only
// ever name a file that was found under the canonical root when loading,
// so `..`, encoded slashes and symlinks pointing outside cannot reach
// anything else. The price: a rebuilt demo is served after a restart.
//
// Caching: HTML is `no-cache` (always revalidated, so a new build shows at
// once); names carrying a content hash (`app-3FJ2K7QA.js`) are immutable
// for a year; anything else is `no-cache`.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/http.hpp"

namespace herald::api {

class StaticFiles {
 public:
  struct Asset {
    std::string body;
    std::string content_type;
    std::string cache_control;
  };

  // Loads every regular file under `root` (at most kMaxTotalBytes in all);
  // files over the cap or resolving outside the root are skipped with a
  // warning. An empty set when the root does not exist.
  static StaticFiles load(const std::filesystem::path& root);

  // True for paths the static files never answer: the API and operations
  // routes keep their own 404/405 there.
  static bool reserved(std::string_view path);

  // GET or HEAD of a decoded request path: the asset (200), 400 for a path
  // with `..`, `.` or NUL segments, 404 otherwise.
  Response serve(const Request& request) const;

  std::size_t size() const { return assets_.size(); }
  std::size_t bytes() const { return bytes_; }
  const std::string& root() const { return root_; }

  static std::string content_type_for(std::string_view name);
  static std::string cache_control_for(std::string_view name);

  static constexpr std::size_t kMaxTotalBytes = 64u << 20;
  static constexpr std::size_t kMaxFileBytes = 16u << 20;

 private:
  const Asset* find(std::string_view relative) const;

  std::unordered_map<std::string, Asset> assets_;  // key: path relative to the root, '/'-separated
  std::size_t bytes_ = 0;
  std::string root_;
};

}  // namespace herald::api
