#pragma once
// `herald serve`: wires every module together (the only place that knows
// them all) and runs until SIGTERM/SIGINT.
#include "app/config.hpp"

namespace herald::app {

// Returns the process exit code.
int serve(const Settings& settings);

}  // namespace herald::app
