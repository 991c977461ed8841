// Losses on a batch of model outputs, with PyTorch semantics (mean reduction).
//   logits, probs [B, K] (K classes); labels [B] in [0, K); pred, target [B, ...]
// Each returns the mean loss as float (accumulated in double) and, when asked,
// its gradient d(mean loss)/d(input), ready for Model::backward.
// Thread safety: reentrant. An empty batch returns NaN (PyTorch's mean of nothing).
#pragma once

#include <cstdint>
#include <span>

#include "dpeval/core/tensor.h"

namespace dpeval::nn {

// Softmax cross-entropy, numerically stable (log-sum-exp with the row max).
// With label smoothing e (torch.nn.functional.cross_entropy's label_smoothing)
// the target is (1 - e) * onehot(label) + e / K, so per row
//   loss = logsumexp(z) - (1 - e) * z[label] - e / K * sum_c z[c].
// dlogits (when non-null) is resized to [B, K] and set to (softmax(z) - target) / B.
// Throws InputError for a label outside [0, K), ConfigError for e outside [0, 1].
// Precondition: logits is [B, K] and labels.size() == B.
float softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> labels, Tensor* dlogits,
                            float label_smoothing = 0.0f);

// probs (resized to [B, K]) = softmax of each row of logits [B, K].
void softmax(const Tensor& logits, Tensor& probs);

// Mean squared error over all elements: mean((pred - target)^2).
// dpred (when non-null) is resized to pred's shape and set to 2 (pred - target) / numel.
// Precondition: pred and target have the same shape.
float mse_loss(const Tensor& pred, const Tensor& target, Tensor* dpred);

}  // namespace dpeval::nn
