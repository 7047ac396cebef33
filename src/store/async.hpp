#pragma once
// Awaitable access to the StorageRunner for coroutine code (REST handlers):
//   auto user = co_await store::read(runner, [id](Database& db) { return db.get_user(id); });
// The lambda runs on a storage thread; the coroutine resumes on its own
// executor with the result, or with the exception the lambda threw.
// Results must be default-constructible (the error path needs a value).
#include <exception>
#include <type_traits>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/storage_runner.hpp"

namespace herald::store {

namespace detail {
template <class F>
using ResultOf = std::invoke_result_t<F, Database&>;

template <class F>
auto run_async(StorageRunner& runner, bool is_write, F fn)
    -> boost::asio::awaitable<ResultOf<F>> {
  using R = ResultOf<F>;
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                     void(std::exception_ptr, R)>(
      [&runner, is_write, fn = std::move(fn)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        StorageJob job;
        job.work = [fn = std::move(fn), shared](Database& db) -> std::function<void()> {
          auto result = std::make_shared<R>(fn(db));
          return [shared, result] {
            auto ex = boost::asio::get_associated_executor(*shared);
            boost::asio::post(ex, [shared, result]() mutable {
              std::move (*shared)(std::exception_ptr{}, std::move(*result));
            });
          };
        };
        job.fail = [shared](std::exception_ptr error) {
          auto ex = boost::asio::get_associated_executor(*shared);
          boost::asio::post(ex, [shared, error]() mutable { std::move (*shared)(error, R{}); });
        };
        if (is_write) {
          runner.write(std::move(job));
        } else {
          runner.read(std::move(job));
        }
      },
      boost::asio::use_awaitable);
}
}  // namespace detail

template <class F>
auto read(StorageRunner& runner, F fn) {
  return detail::run_async(runner, false, std::move(fn));
}

template <class F>
auto write(StorageRunner& runner, F fn) {
  return detail::run_async(runner, true, std::move(fn));
}

}  // namespace herald::store
