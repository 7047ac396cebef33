#pragma once
// Awaiting work on the CPU pool from a REST coroutine (password hashes).
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "util/cpu_pool.hpp"

namespace herald::api {

// Runs fn on the pool at `priority` and resumes the awaiting coroutine on
// its own executor with fn's result, or with nullopt (fn never runs) when the
// pool's queue is full for that priority: the caller answers 503. Written
// with async_initiate rather than a coroutine. Callers name their lambdas
// before co_await: g++ 12 destroys some temporaries of a co_await
// full-expression twice (seen here as a double free of a captured string).
template <class F>
auto on_cpu(util::CpuPool& pool, util::Priority priority, F fn) {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<F>;
  using Result = std::optional<R>;
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, Result)>(
      [&pool, priority](auto handler, F work) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto resume = [shared](std::exception_ptr error, Result result) {
          auto ex = asio::get_associated_executor(*shared);
          asio::post(ex, [shared, error, result = std::move(result)]() mutable {
            std::move (*shared)(error, std::move(result));
          });
        };
        bool queued = pool.try_post(priority, [resume, work = std::move(work)]() mutable {
          std::exception_ptr error;
          Result result;
          try {
            result.emplace(work());
          } catch (...) {
            error = std::current_exception();
          }
          resume(error, std::move(result));
        });
        if (!queued) resume(nullptr, std::nullopt);
      },
      asio::use_awaitable, std::move(fn));
}

}  // namespace herald::api
