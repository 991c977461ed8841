// Micro-batching inference: requests from many connections share forward
// passes of one model (docs/MLOPS.md). predict() enqueues a request's rows and
// blocks until every row has its probabilities; one batcher thread takes up
// to max_batch queued rows (whole requests or parts of them, in arrival
// order), runs the model in eval mode and hands each row its answer.
//
// Note [Micro-batching]
// The batcher never waits for company it has no reason to expect: when rows
// are queued and no other predict request is being parsed (announce_arrival
// counts those), it runs at once, so a lone client pays no delay. When
// requests are on their way, it waits for them up to max_delay after the
// oldest queued row arrived, or until max_batch rows are queued. Under load,
// the rows that arrive while a batch runs form the next one.
//
// Note [Batch-invariant answers]
// A row's probabilities do not depend on the batch it rode in: every layer
// computes each row of its output from that row alone (GEMM rows, per-image
// convolutions, per-row softmax), in the same order of operations whatever
// the batch size, so serving equals `dpeval predict` bitwise
// (tests/serve/batcher_test.cc checks it over batch sizes 1 to 64 against a
// batch of the whole test set).
//
// Temperature: set_temperature(T) makes later batches serve softmax(z / T)
// instead of softmax(z) (raw); at T = 1 the two are the same numbers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>

#include "dpeval/nn/nn.h"

namespace dpeval::serve {

struct BatcherOptions {
  size_t max_batch = 64;                            // rows per forward pass, >= 1
  std::chrono::microseconds max_delay{2000};        // >= 0
  std::function<void(size_t rows)> on_batch;        // called after each forward pass (metrics); may be empty
};

class Batcher {
 public:
  // Takes the model (eval mode from here on). Starts the batcher thread.
  Batcher(nn::Model model, BatcherOptions options);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  size_t num_features() const { return num_features_; }
  size_t num_classes() const { return num_classes_; }

  // rows: n x F. Fills raw and served (n x K) and temperature (n: the T each
  // row was served with). Blocks until done. Thread-safe. After stop(),
  // throws Error("the server is shutting down").
  void predict(std::span<const float> rows, size_t n, std::span<float> raw, std::span<float> served,
               std::span<double> temperature);
  // A predict request is being parsed (+1) or was given up (-1); predict()
  // itself takes back the +1 of its request. See Note [Micro-batching].
  void announce_arrival(int delta);

  void set_temperature(double t);  // > 0, finite
  double temperature() const;

  // Finishes the queued rows, then ends the thread. Idempotent.
  void stop();

 private:
  struct Job {
    const float* rows = nullptr;
    size_t n = 0, next = 0, left = 0;
    float* raw = nullptr;
    float* served = nullptr;
    double* temperature = nullptr;
    bool done = false;
    std::chrono::steady_clock::time_point arrived;
  };
  void run();

  nn::Model model_;
  BatcherOptions options_;
  size_t num_features_ = 0, num_classes_ = 0;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Job*> queue_;
  size_t queued_rows_ = 0;
  int arriving_ = 0;
  double temperature_ = 1;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace dpeval::serve
