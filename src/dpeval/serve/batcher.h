// Micro-batching inference: requests from many connections share forward
// passes of one model (docs/MLOPS.md). predict() queues a request's rows and
// returns when every row has its probabilities.
//
// Note [Micro-batching]
// submit() queues a request's rows and returns at once; a batch takes up to
// max_batch queued rows (whole requests or parts of them, in arrival order),
// runs the model in eval mode, hands each row its answer and calls each
// finished request's `done`. Batches run on the HTTP server's threads: a
// submit posts one run to the loop (options.post), which runs after the
// requests already readable have been parsed and queued, and goes when the
// queue holds max_batch rows, or as many rows as the last batch had (the
// company to expect: a c = 64 load sends its next 64 requests as the last
// 64 answers arrive) with no other predict request being parsed
// (announce_arrival), or when the oldest row has waited max_delay. Rows that
// wait for company that does not come are the batcher's own thread's: it
// sleeps until the oldest one's deadline and runs them then. One batch runs
// at a time; the one that ends runs the next when it is ready.
// So a lone client's request is parsed, batched and answered on one thread
// with no hand-off (on this virtual machine waking a sleeping thread cost
// 0.1 to 0.2 ms: the MLP's p50 at c = 1 went from 0.11 to 0.26-0.41 ms when
// a batcher thread ran every batch), and at c = 64 a batch costs no thread
// switch at all while the loop's other thread parses the next requests.
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
#include <vector>

#include "dpeval/core/thread_pool.h"
#include "dpeval/nn/nn.h"

namespace dpeval::serve {

struct BatcherOptions {
  size_t max_batch = 64;                      // rows per forward pass, >= 1
  std::chrono::microseconds max_delay{2000};  // >= 0
  std::function<void(size_t rows)> on_batch;  // called after each forward pass (metrics); may be empty
  // Runs a task soon on a thread of the caller's (the HTTP server's loop);
  // empty: submit() runs it at once on its own thread.
  std::function<void(std::function<void()>)> post;
};

class Batcher {
 public:
  // Takes the model (eval mode, batch-invariant from here on).
  Batcher(nn::Model model, BatcherOptions options);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  size_t num_features() const { return num_features_; }
  size_t num_classes() const { return num_classes_; }

  // rows: n x F. Queues the rows and returns; `done(true)` is called once
  // raw and served (n x K) and temperature (n: the T each row was served
  // with) are filled, `done(false)` if the batch failed. `done` runs on the
  // thread that ran the batch (a posted run's, the batcher's own, or this
  // one: without options.post, or for n = 0), must not throw and must not
  // call back into the batcher. The spans must stay valid until
  // then. Takes back the +1 of announce_arrival. Thread-safe. After stop(),
  // throws Error("the server is shutting down").
  void submit(std::span<const float> rows, size_t n, std::span<float> raw, std::span<float> served,
              std::span<double> temperature, std::function<void(bool ok)> done);
  // submit() and wait: throws Error when the batch failed.
  void predict(std::span<const float> rows, size_t n, std::span<float> raw, std::span<float> served,
               std::span<double> temperature);
  // A predict request is being parsed (+1) or was given up (-1); submit()
  // itself takes back the +1 of its request. See Note [Micro-batching].
  void announce_arrival(int delta);

  void set_temperature(double t);  // > 0, finite
  double temperature() const;

  // Refuses new requests and waits until the queued ones are answered. Idempotent.
  void stop();

 private:
  struct Job {
    const float* rows = nullptr;
    size_t n = 0, next = 0, left = 0;
    float* raw = nullptr;
    float* served = nullptr;
    double* temperature = nullptr;
    bool failed = false;  // its batch threw
    std::chrono::steady_clock::time_point arrived;
    std::function<void(bool ok)> done;
  };
  struct Piece {
    Job* job;
    size_t first, count;
  };
  using Clock = std::chrono::steady_clock;
  // With mu_ held: whether the queued rows should go now (Note [Micro-batching]).
  bool ready() const;
  void try_run();  // batches while ready, on the caller's thread
  void run();      // the runner thread: batches whose company did not come in time
  // With mu_ held on entry and exit: one batch, its requests answered (mu_
  // released meanwhile).
  void run_one(std::unique_lock<std::mutex>& lock);
  void run_batch(std::unique_lock<std::mutex>& lock);

  nn::Model model_;
  BatcherOptions options_;
  size_t num_features_ = 0, num_classes_ = 0;
  ThreadPool pool_;  // the batch's GEMMs on every core (kernels::gemm_batch_invariant)
  nn::ForwardOptions forward_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Job*> queue_;  // owned: each is deleted once its `done` has run
  size_t queued_rows_ = 0;
  int arriving_ = 0;
  size_t expected_rows_ = 1;  // the last batch's rows: the company a batch waits for
  bool running_ = false;      // a batch is running (on any thread)
  bool run_posted_ = false;   // a try_run is on its way
  bool runner_idle_ = false;  // the runner waits with no deadline
  double temperature_ = 1;
  bool stop_ = false;
  // The running batch's scratch (used by the runner alone).
  std::vector<Piece> pieces_;
  Tensor x_, scaled_, raw_, served_;
  std::thread runner_;  // last: starts once everything above exists
};

}  // namespace dpeval::serve
