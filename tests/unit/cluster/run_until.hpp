#pragma once
// Runs an io_context on the test's thread, one handler at a time, until a
// condition holds or a deadline passes: a test against Redis waits for what
// it expects without ever hanging.
#include <chrono>

#include <boost/asio/io_context.hpp>

namespace herald::test {

template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_one_until(deadline);
  }
  return true;
}

}  // namespace herald::test
