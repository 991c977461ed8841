#include "dpeval/core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <latch>

namespace dpeval {

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { run_worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_worker() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_chunk) {
  if (n == 0) return;
  min_chunk = std::max<size_t>(1, min_chunk);
  const size_t chunks = std::max<size_t>(1, std::min(size(), (n + min_chunk - 1) / min_chunk));
  if (chunks == 1) {
    fn(0, n);
    return;
  }
  std::latch done(static_cast<std::ptrdiff_t>(chunks - 1));
  std::exception_ptr error;
  std::mutex error_mutex;
  auto run_chunk = [&](size_t c) {
    const size_t begin = n * c / chunks, end = n * (c + 1) / chunks;
    try {
      fn(begin, end);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  {
    std::lock_guard lock(mutex_);
    for (size_t c = 1; c < chunks; ++c)
      tasks_.emplace_back([&, c] {
        run_chunk(c);
        done.count_down();
      });
  }
  cv_.notify_all();
  run_chunk(0);
  done.wait();
  if (error) std::rethrow_exception(error);
}

}  // namespace dpeval
