// Softmax cross-entropy, softmax and MSE. See loss.h for the formulas.
#include "dpeval/nn/loss.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval::nn {

float softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> labels, Tensor* dlogits,
                            float label_smoothing) {
  DPEVAL_CHECK(logits.shape().rank() == 2) << "logits " << logits.shape().to_string();
  const int64_t B = logits.dim(0), K = logits.dim(1);
  DPEVAL_CHECK(static_cast<int64_t>(labels.size()) == B) << labels.size() << " labels for " << B << " rows";
  if (!(label_smoothing >= 0.0f && label_smoothing <= 1.0f)) {
    throw ConfigError(fmt::format("label_smoothing = {}, expected a number in [0, 1]", label_smoothing));
  }
  for (int64_t i = 0; i < B; ++i) {
    if (labels[static_cast<size_t>(i)] < 0 || labels[static_cast<size_t>(i)] >= K) {
      throw InputError(
          fmt::format("label {} of batch row {} is outside [0, {})", labels[static_cast<size_t>(i)], i, K));
    }
  }
  if (dlogits) dlogits->resize(Shape{B, K});
  if (B == 0) return std::numeric_limits<float>::quiet_NaN();
  const double eps = label_smoothing;
  const double off = eps / static_cast<double>(K);
  const double inv_batch = 1.0 / static_cast<double>(B);
  double total = 0.0;
  for (int64_t i = 0; i < B; ++i) {
    const float* z = logits.data() + i * K;
    const int64_t y = labels[static_cast<size_t>(i)];
    float m = z[0];
    for (int64_t c = 1; c < K; ++c) m = std::max(m, z[c]);
    double sum_exp = 0.0, sum_z = 0.0;
    for (int64_t c = 0; c < K; ++c) {
      sum_exp += std::exp(static_cast<double>(z[c]) - m);
      sum_z += z[c];
    }
    const double lse = m + std::log(sum_exp);
    total += lse - (1.0 - eps) * z[y] - off * sum_z;
    if (dlogits) {
      float* d = dlogits->data() + i * K;
      for (int64_t c = 0; c < K; ++c) {
        const double p = std::exp(static_cast<double>(z[c]) - lse);
        const double target = (c == y ? 1.0 - eps : 0.0) + off;
        d[c] = static_cast<float>((p - target) * inv_batch);
      }
    }
  }
  return static_cast<float>(total * inv_batch);
}

void softmax(const Tensor& logits, Tensor& probs) {
  DPEVAL_CHECK(logits.shape().rank() == 2) << "logits " << logits.shape().to_string();
  const int64_t B = logits.dim(0), K = logits.dim(1);
  probs.resize(Shape{B, K});
  for (int64_t i = 0; i < B; ++i) {
    const float* z = logits.data() + i * K;
    float* p = probs.data() + i * K;
    float m = z[0];
    for (int64_t c = 1; c < K; ++c) m = std::max(m, z[c]);
    double sum = 0.0;
    for (int64_t c = 0; c < K; ++c) sum += std::exp(static_cast<double>(z[c]) - m);
    for (int64_t c = 0; c < K; ++c) p[c] = static_cast<float>(std::exp(static_cast<double>(z[c]) - m) / sum);
  }
}

float mse_loss(const Tensor& pred, const Tensor& target, Tensor* dpred) {
  DPEVAL_CHECK(pred.shape() == target.shape())
      << pred.shape().to_string() << " vs " << target.shape().to_string();
  const size_t n = pred.size();
  if (dpred) dpred->resize(pred.shape());
  if (n == 0) return std::numeric_limits<float>::quiet_NaN();
  double total = 0.0;
  const double scale = 2.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; ++i) {
    const double diff = static_cast<double>(pred[i]) - target[i];
    total += diff * diff;
    if (dpred) (*dpred)[i] = static_cast<float>(scale * diff);
  }
  return static_cast<float>(total / static_cast<double>(n));
}

}  // namespace dpeval::nn
