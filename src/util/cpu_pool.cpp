// See cpu_pool.hpp.
#include "util/cpu_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

#include "util/worker_pool.hpp"

namespace herald::util {
namespace {

std::array<std::size_t, 2> limits_for(std::size_t max_queued) {
  return {max_queued, std::max<std::size_t>(1, max_queued / 2)};
}

}  // namespace

CpuPool::CpuPool(unsigned threads, std::size_t max_queued) : queue_(limits_for(max_queued)) {
  if (threads < 1 || max_queued < 1) {
    throw std::invalid_argument("CpuPool: threads and max_queued must be >= 1");
  }
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
}

CpuPool::~CpuPool() {
  join();
}

bool CpuPool::try_post(Priority priority, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !queue_.try_push(priority, std::move(job))) return false;
  }
  wake_.notify_one();
  return true;
}

void CpuPool::join() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::size_t CpuPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void CpuPool::run(unsigned index) {
  name_this_thread("cpu-" + std::to_string(index));
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      auto next = queue_.try_pop();
      if (!next) return;  // stopping and nothing left
      job = std::move(*next);
    }
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("cpu pool job failed: {}", e.what());
    } catch (...) {
      spdlog::error("cpu pool job failed");
    }
  }
}

}  // namespace herald::util
