// See attack.h.
#include "dpeval/robust/attack.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"
#include "dpeval/kernels/kernels.h"
#include "dpeval/nn/loss.h"

namespace dpeval::robust {
namespace {

void check_options(const AttackOptions& o) {
  if (o.eps.empty()) throw ConfigError("eps: give at least one epsilon");
  for (const double e : o.eps) {
    if (!(e > 0 && e <= 1)) throw ConfigError(fmt::format("eps {}: expected a number in (0, 1]", e));
  }
  if (o.steps < 1 || o.steps > 10000)
    throw ConfigError(fmt::format("steps {}: expected 1 to 10000", o.steps));
  if (!(o.step_size >= 0 && o.step_size <= 1)) {
    throw ConfigError(
        fmt::format("step size {}: expected a number in [0, 1] (0: 2.5 eps / steps)", o.step_size));
  }
  if (o.restarts < 1 || o.restarts > 1000) {
    throw ConfigError(fmt::format("restarts {}: expected 1 to 1000", o.restarts));
  }
  if (o.batch < 1 || o.batch > 65536)
    throw ConfigError(fmt::format("batch {}: expected 1 to 65536", o.batch));
}

// The first feature outside [0, 1], as an InputError naming its row.
void check_unit_range(const data::Dataset& d) {
  if (d.feature_type() == data::FeatureType::kU8) {
    if (d.u8_scale() > 0 && 255 * d.u8_scale() <= 1.0f + 1e-6f) return;
  }
  const size_t f = static_cast<size_t>(d.sample_numel());
  std::vector<float> row(f);
  for (uint32_t i = 0; i < d.size(); ++i) {
    d.gather({&i, 1}, row.data(), nullptr);
    for (size_t j = 0; j < f; ++j) {
      if (!(row[j] >= 0 && row[j] <= 1)) {
        throw InputError(
            fmt::format("{}: row {} feature {} is {}: adversarial attacks keep inputs in [0, 1] "
                        "(images scaled by 1/255); scale the data first",
                        d.name(), i + 1, j, row[j]));
      }
    }
  }
}

int argmax_row(const float* z, int k) {
  int best = 0;
  for (int c = 1; c < k; ++c)
    if (z[c] > z[best]) best = c;
  return best;
}

// One worker's model and scratch.
struct Worker {
  explicit Worker(nn::Model m) : model(std::move(m)) {}
  nn::Model model;
  nn::ForwardOptions forward;
  Tensor x, adv;
  std::vector<int32_t> y;

  // Predicted classes of `input`.
  std::vector<int> predict(const Tensor& input, int k) {
    const Tensor& z = model.forward(input, forward);
    std::vector<int> out(static_cast<size_t>(input.dim(0)));
    for (size_t i = 0; i < out.size(); ++i) out[i] = argmax_row(z.data() + i * static_cast<size_t>(k), k);
    return out;
  }
};

float sign_of(float g) { return g > 0 ? 1.0f : (g < 0 ? -1.0f : 0.0f); }

}  // namespace

void attack_batch(nn::Model& model, const Tensor& x, std::span<const int32_t> y, const BatchAttack& a,
                  Tensor& adv) {
  nn::ForwardOptions forward;
  forward.training = false;
  forward.batch_invariant = false;  // pooling keeps its argmax for the gradient
  Tensor dlogits, dx;
  const auto gradient = [&](const Tensor& input) {
    const Tensor& z = model.forward(input, forward);
    nn::softmax_cross_entropy(z, y, &dlogits);
    model.input_gradient(dlogits, dx);
  };
  const float eps = a.eps;
  const float* xs = x.data();
  for (size_t j = 0; j < x.size(); ++j) {
    if (!(xs[j] >= 0.0f && xs[j] <= 1.0f)) {
      throw InputError(
          fmt::format("adversarial inputs must lie in [0, 1] (images scaled by 1/255); a feature "
                      "is {}: scale the data first",
                      xs[j]));
    }
  }
  adv = x;
  float* v = adv.data();
  if (a.attack == Attack::kFgsm) {
    gradient(x);
    for (size_t j = 0; j < adv.size(); ++j) v[j] = std::clamp(xs[j] + eps * sign_of(dx[j]), 0.0f, 1.0f);
    return;
  }
  const int64_t rows = x.dim(0);
  const size_t f = rows > 0 ? x.size() / static_cast<size_t>(rows) : 0;
  for (int64_t i = 0; i < rows; ++i) {
    Rng rng(a.key, static_cast<uint64_t>(a.first_row + i));
    for (size_t j = 0; j < f; ++j) {
      const size_t at = static_cast<size_t>(i) * f + j;
      v[at] = std::clamp(xs[at] + rng.uniform(-eps, eps), 0.0f, 1.0f);
    }
  }
  const float alpha = a.step_size > 0 ? a.step_size : 2.5f * eps / static_cast<float>(a.steps);
  for (int s = 0; s < a.steps; ++s) {
    gradient(adv);
    for (size_t j = 0; j < adv.size(); ++j) {
      const float moved = std::clamp(v[j] + alpha * sign_of(dx[j]), xs[j] - eps, xs[j] + eps);
      v[j] = std::clamp(moved, 0.0f, 1.0f);
    }
  }
}

RobustReport evaluate_robustness(const std::function<nn::Model()>& make_model, const data::Dataset& data,
                                 int num_classes, const AttackOptions& o) {
  check_options(o);
  check_unit_range(data);
  const int64_t n = static_cast<int64_t>(data.size());
  const int k = num_classes;
  const size_t ne = o.eps.size();
  RobustReport report;
  report.attack = o.attack == Attack::kFgsm ? "fgsm" : "pgd";
  report.rows = n;
  // Per row: clean right or not, and for each eps robust or not.
  std::vector<uint8_t> clean(static_cast<size_t>(n)), robust(static_cast<size_t>(n) * ne);
  std::vector<double> max_move(ne, 0.0);
  std::mutex max_mu;
  const int64_t batches = (n + o.batch - 1) / o.batch;
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mu;

  auto work = [&] {
    try {
      Worker w(make_model());
      w.forward.training = false;
      w.forward.batch_invariant = false;  // pooling keeps its argmax for the gradient
      std::vector<double> local_max(ne, 0.0);
      for (int64_t b; (b = next.fetch_add(1)) < batches;) {
        const int64_t first = b * o.batch, rows = std::min<int64_t>(o.batch, n - first);
        std::vector<uint32_t> idx(static_cast<size_t>(rows));
        std::iota(idx.begin(), idx.end(), static_cast<uint32_t>(first));
        w.x.resize(data.sample_shape().with_outer(rows));
        w.y.resize(static_cast<size_t>(rows));
        data.gather(idx, w.x.data(), w.y.data());
        const std::vector<int> pred = w.predict(w.x, k);
        for (int64_t i = 0; i < rows; ++i) clean[static_cast<size_t>(first + i)] = pred[i] == w.y[i];
        for (size_t e = 0; e < ne; ++e) {
          std::vector<uint8_t> fooled(static_cast<size_t>(rows), 0);
          const int restarts = o.attack == Attack::kFgsm ? 1 : o.restarts;
          for (int r = 0; r < restarts; ++r) {
            BatchAttack ba;
            ba.attack = o.attack;
            ba.eps = static_cast<float>(o.eps[e]);
            ba.steps = o.steps;
            ba.step_size = static_cast<float>(o.step_size);
            ba.key = mix64(mix64(o.seed ^ 0x9e3779b97f4a7c15ULL) + (static_cast<uint64_t>(e) << 20) +
                           static_cast<uint64_t>(r));
            ba.first_row = first;
            attack_batch(w.model, w.x, w.y, ba, w.adv);
            const float* a = w.adv.data();
            const float* x = w.x.data();
            // Note [FGSM and PGD]: every adversarial input is checked before it counts.
            for (size_t j = 0; j < w.adv.size(); ++j) {
              const double move = std::fabs(static_cast<double>(a[j]) - x[j]);
              DPEVAL_CHECK(a[j] >= 0.0f && a[j] <= 1.0f && move <= o.eps[e] * (1 + 1e-6) + 1e-7)
                  << "adversarial input outside [0, 1] or the eps ball: " << a[j] << " from " << x[j]
                  << " at eps " << o.eps[e];
              local_max[e] = std::max(local_max[e], move);
            }
            const std::vector<int> adv_pred = w.predict(w.adv, k);
            for (int64_t i = 0; i < rows; ++i)
              if (adv_pred[i] != w.y[i]) fooled[static_cast<size_t>(i)] = 1;
          }
          for (int64_t i = 0; i < rows; ++i) {
            // Robust: right on every adversarial input (Note [FGSM and PGD]).
            robust[static_cast<size_t>(first + i) * ne + e] = !fooled[static_cast<size_t>(i)];
          }
        }
      }
      std::lock_guard lock(max_mu);
      for (size_t e = 0; e < ne; ++e) max_move[e] = std::max(max_move[e], local_max[e]);
    } catch (...) {
      std::lock_guard lock(failure_mu);
      if (!failure) failure = std::current_exception();
      next = batches;
    }
  };
  const size_t threads = std::max<size_t>(1, std::min<size_t>(o.threads, static_cast<size_t>(batches)));
  // The workers are the parallelism: BLAS's own threads would contend with
  // them for the cores (measured: 12 % of a PGD run in OpenBLAS's hand-offs).
  if (threads > 1) kernels::blas_set_threads(1);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);

  const auto labels = data.labels();
  report.class_rows.assign(static_cast<size_t>(k), 0);
  std::vector<int64_t> clean_by_class(static_cast<size_t>(k), 0);
  std::vector<std::vector<int64_t>> robust_by_class(ne, std::vector<int64_t>(static_cast<size_t>(k), 0));
  report.results.resize(ne);
  for (int64_t i = 0; i < n; ++i) {
    const auto c = static_cast<size_t>(labels[static_cast<size_t>(i)]);
    ++report.class_rows[c];
    if (clean[static_cast<size_t>(i)]) {
      ++report.clean_correct;
      ++clean_by_class[c];
    }
    for (size_t e = 0; e < ne; ++e) {
      if (robust[static_cast<size_t>(i) * ne + e]) {
        ++report.results[e].robust_correct;
        ++robust_by_class[e][c];
      }
    }
  }
  const auto share = [](int64_t part, int64_t whole) {
    return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : std::nan("");
  };
  report.clean_accuracy = share(report.clean_correct, n);
  for (int c = 0; c < k; ++c)
    report.clean_per_class.push_back(
        share(clean_by_class[static_cast<size_t>(c)], report.class_rows[static_cast<size_t>(c)]));
  for (size_t e = 0; e < ne; ++e) {
    EpsResult& r = report.results[e];
    r.eps = o.eps[e];
    r.robust_accuracy = share(r.robust_correct, n);
    r.max_perturbation = max_move[e];
    for (int c = 0; c < k; ++c)
      r.per_class.push_back(
          share(robust_by_class[e][static_cast<size_t>(c)], report.class_rows[static_cast<size_t>(c)]));
  }
  return report;
}

}  // namespace dpeval::robust
