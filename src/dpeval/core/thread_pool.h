// A fixed-size thread pool for data loading and evaluation (not for training
// workers: those are the parallelism, see DESIGN.md "One BLAS thread per worker").
// parallel_for splits [0, n) into contiguous chunks, runs them on the pool and the
// calling thread, and rethrows the first exception after all chunks finish.
// Thread safety: parallel_for may be called from one thread at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dpeval {

class ThreadPool {
 public:
  // threads == 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size() + 1; }

  // Calls fn(begin, end) over a partition of [0, n) into at most size() chunks
  // of at least min_chunk items. Blocks until all are done.
  void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_chunk = 1);

 private:
  void run_worker();

  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> tasks_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace dpeval
