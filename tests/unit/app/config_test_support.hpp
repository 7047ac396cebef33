#pragma once
// Helpers for the config tests: an injected environment, argv from a list,
// and a TOML file in a fresh temporary directory.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "app/config.hpp"

namespace herald::app::testing {

struct FakeEnv {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

inline std::expected<ParsedCommandLine, std::string> parse(std::vector<std::string> args,
                                                           const FakeEnv& env = {}) {
  args.insert(args.begin(), "herald");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), env.lookup());
}

// A TOML file removed with its directory when the object goes.
class TempToml {
 public:
  explicit TempToml(const std::string& text) {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "herald.toml").string();
    std::ofstream(path_) << text;
  }
  ~TempToml() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace herald::app::testing
