#pragma once
// Set-up for Herald's presence audience `followers`: each listener follows
// the publisher through the REST API (POST /api/v1/users/{id}/follow), one
// keep-alive connection, one request after another. Only Herald has the
// endpoint; the peers' `followers` mode is a presence:<id> subscription,
// which Herald allows only to followers (PROTOCOL.md 4). Not measured.
#include <cstdint>
#include <string>
#include <vector>

namespace herald::bench {

class JwtMinter;
struct Target;

// Returns how many follows were answered 204 (stops at the first failure
// to connect; a non-204 answer is counted as a failure and skipped).
std::uint64_t follow_over_http(const Target& target, const JwtMinter& minter,
                               const std::vector<std::uint64_t>& followers, std::uint64_t followee,
                               double timeout_s);

// One POST with a JSON body and an X-API-Key header on a fresh connection;
// returns the status (0 when the server could not be reached).
int post_json_over_http(const Target& target, const std::string& path, const std::string& api_key,
                        const std::string& body, double timeout_s);

}  // namespace herald::bench
