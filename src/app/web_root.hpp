#pragma once
// Which directory `herald serve` serves at `/` (the demo app, web/dist).
// `make run` starts the binary from the repository root, so ./web/dist is
// found there; a binary started elsewhere falls back to web/dist of the
// source tree it was built from (HERALD_SOURCE_WEB_ROOT, set by CMake), so
// build/herald works from any directory on the machine that built it.
#include <optional>
#include <string>

namespace herald::app {

// The directory to load, or nullopt for none: `setting` when given ("none"
// turns the files off), else the first default that exists.
std::optional<std::string> resolve_web_root(const std::string& setting);

}  // namespace herald::app
