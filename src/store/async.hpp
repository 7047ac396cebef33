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

struct NoHook {
  template <class R>
  void operator()(const R&) const {}
};

template <class F, class Hook = NoHook>
auto run_async(StorageRunner& runner, bool is_write, F fn, Hook committed = {})
    -> boost::asio::awaitable<ResultOf<F>> {
  using R = ResultOf<F>;
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                     void(std::exception_ptr, R)>(
      [&runner, is_write, fn = std::move(fn), committed = std::move(committed)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        StorageJob job;
        job.work = [fn = std::move(fn), committed = std::move(committed),
                    shared](Database& db) mutable -> std::function<void()> {
          auto result = std::make_shared<R>(fn(db));
          // `committed` by reference: the job outlives its completion, and a
          // batch run again (StorageJob::work) must find it still there.
          return [shared, result, &committed] {
            committed(*result);
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

// A write whose outcome must reach connections in commit order, such as a
// mailbox event (PROTOCOL.md 4.3: each connection gets a user's events in
// seq order). `committed(result)` runs on the writer thread right after the
// commit, before the coroutine resumes: writes publish there in the order
// they committed, and one thread's posts to a worker keep their order.
template <class F, class Committed>
auto write(StorageRunner& runner, F fn, Committed committed) {
  return detail::run_async(runner, true, std::move(fn), std::move(committed));
}

}  // namespace herald::store
