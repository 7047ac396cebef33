#include "util/ids.hpp"

#include <fmt/format.h>

namespace herald {

std::string to_string(ConnectionId id) { return fmt::format("c{:016x}", raw(id)); }

}  // namespace herald
