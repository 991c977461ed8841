// See batcher.h.
#include "dpeval/serve/batcher.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/nn/loss.h"

namespace dpeval::serve {

Batcher::Batcher(nn::Model model, BatcherOptions options)
    : model_(std::move(model)), options_(std::move(options)) {
  DPEVAL_CHECK(options_.max_batch >= 1) << "max_batch " << options_.max_batch;
  num_features_ = static_cast<size_t>(model_.sample_shape().numel());
  num_classes_ = static_cast<size_t>(model_.num_classes());
  forward_.training = false;
  forward_.batch_invariant = true;  // Note [Batch-invariant answers]
  forward_.pool = &pool_;
  runner_ = std::thread([this] { run(); });
}

Batcher::~Batcher() { stop(); }

void Batcher::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  // The runner answers what is still queued, then ends.
  if (runner_.joinable()) runner_.join();
}

void Batcher::announce_arrival(int delta) {
  {
    std::lock_guard lock(mu_);
    arriving_ += delta;
  }
  if (delta < 0) work_cv_.notify_all();
}

void Batcher::set_temperature(double t) {
  DPEVAL_CHECK(t > 0 && std::isfinite(t)) << "temperature " << t;
  std::lock_guard lock(mu_);
  temperature_ = t;
}

double Batcher::temperature() const {
  std::lock_guard lock(mu_);
  return temperature_;
}

void Batcher::submit(std::span<const float> rows, size_t n, std::span<float> raw, std::span<float> served,
                     std::span<double> temperature, std::function<void(bool ok)> done) {
  DPEVAL_CHECK(rows.size() == n * num_features_ && raw.size() == n * num_classes_ &&
               served.size() == n * num_classes_ && temperature.size() == n)
      << "predict: " << rows.size() << " values for " << n << " rows";
  bool post = false;
  {
    std::lock_guard lock(mu_);
    --arriving_;
    if (stop_) throw Error("the server is shutting down");
    if (n > 0) {
      auto job = std::make_unique<Job>();
      job->rows = rows.data();
      job->n = job->left = n;
      job->raw = raw.data();
      job->served = served.data();
      job->temperature = temperature.data();
      job->arrived = Clock::now();
      job->done = std::move(done);
      queue_.push_back(job.release());
      queued_rows_ += n;
      post = !run_posted_;
      run_posted_ = true;
    }
  }
  if (n == 0) {
    done(true);
    return;
  }
  if (!post) return;  // a run already on its way sees these rows too
  if (options_.post) {
    options_.post([this] { try_run(); });
  } else {
    try_run();
  }
}

void Batcher::predict(std::span<const float> rows, size_t n, std::span<float> raw, std::span<float> served,
                      std::span<double> temperature) {
  std::mutex m;
  std::condition_variable cv;
  bool finished = false, ok = false;
  submit(rows, n, raw, served, temperature, [&](bool good) {
    // Notified under m: this frame cannot return (and take cv with it) first.
    std::lock_guard lock(m);
    ok = good;
    finished = true;
    cv.notify_one();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return finished; });
  if (!ok) throw Error("inference failed for this request's batch (see the server's log)");
}

bool Batcher::ready() const {
  if (queue_.empty()) return false;
  if (stop_ || queued_rows_ >= options_.max_batch || options_.max_delay.count() == 0) return true;
  if (queued_rows_ >= expected_rows_ && arriving_ <= 0) return true;
  return Clock::now() >= queue_.front()->arrived + options_.max_delay;
}

void Batcher::try_run() {
  std::unique_lock lock(mu_);
  run_posted_ = false;
  while (!running_ && ready()) run_one(lock);
  // Rows still waiting for company: the runner keeps their deadline.
  if (!running_ && !queue_.empty() && runner_idle_) work_cv_.notify_one();
}

void Batcher::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stop_ && queue_.empty() && !running_) return;
    if (queue_.empty() || running_) {
      runner_idle_ = true;
      work_cv_.wait(lock);
      runner_idle_ = false;
      continue;
    }
    if (ready()) {
      run_one(lock);
      continue;
    }
    work_cv_.wait_until(lock, queue_.front()->arrived + options_.max_delay);
  }
}

void Batcher::run_one(std::unique_lock<std::mutex>& lock) {
  running_ = true;
  std::vector<Job*> finished;
  std::string failure;
  try {
    run_batch(lock);
    for (const Piece& p : pieces_) {
      p.job->left -= p.count;
      if (p.job->left == 0) finished.push_back(p.job);
    }
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an unknown exception";
  }
  if (!lock.owns_lock()) lock.lock();
  if (!failure.empty()) {
    // The batch's requests get an error, not a hang, and leave the queue:
    // one split across batches still has rows in it.
    fmt::print(stderr, "dpeval serve: a batch of {} requests failed: {}\n", pieces_.size(), failure);
    for (const Piece& p : pieces_) {
      p.job->failed = true;
      finished.push_back(p.job);
    }
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (!(*it)->failed) {
        ++it;
        continue;
      }
      queued_rows_ -= (*it)->n - (*it)->next;
      it = queue_.erase(it);
    }
  }
  pieces_.clear();
  running_ = false;
  if (runner_idle_ && (!queue_.empty() || stop_)) work_cv_.notify_one();
  lock.unlock();
  for (Job* job : finished) {
    job->done(!job->failed);
    delete job;
  }
  lock.lock();
}

void Batcher::run_batch(std::unique_lock<std::mutex>& lock) {
  pieces_.clear();
  size_t rows = 0;
  while (rows < options_.max_batch && !queue_.empty()) {
    Job* job = queue_.front();
    const size_t take = std::min(options_.max_batch - rows, job->n - job->next);
    pieces_.push_back({job, job->next, take});
    job->next += take;
    rows += take;
    if (job->next == job->n) queue_.pop_front();
  }
  queued_rows_ -= rows;
  expected_rows_ = rows;
  const double t = temperature_;
  lock.unlock();
  const size_t f = num_features_, k = num_classes_;
  x_.resize(model_.sample_shape().with_outer(static_cast<int64_t>(rows)));
  size_t at = 0;
  for (const Piece& p : pieces_) {
    std::memcpy(x_.data() + at * f, p.job->rows + p.first * f, p.count * f * sizeof(float));
    at += p.count;
  }
  const Tensor& logits = model_.forward(x_, forward_);
  nn::softmax(logits, raw_);
  const Tensor* answer = &raw_;
  if (t != 1) {
    scaled_.resize(logits.shape());
    const float inv = static_cast<float>(1 / t);
    for (size_t i = 0; i < logits.size(); ++i) scaled_.data()[i] = logits.data()[i] * inv;
    nn::softmax(scaled_, served_);
    answer = &served_;
  }
  at = 0;
  for (const Piece& p : pieces_) {
    std::memcpy(p.job->raw + p.first * k, raw_.data() + at * k, p.count * k * sizeof(float));
    std::memcpy(p.job->served + p.first * k, answer->data() + at * k, p.count * k * sizeof(float));
    std::fill_n(p.job->temperature + p.first, p.count, t);
    at += p.count;
  }
  if (options_.on_batch) options_.on_batch(rows);
  lock.lock();
}

}  // namespace dpeval::serve
