// LARS, layer-wise adaptive rate scaling (You, Gitman & Ginsburg 2017, "Large
// Batch Training of Convolutional Networks"), in the form of the PyTorch
// implementations (torchlars, NVIDIA apex LARC wrapping torch.optim.SGD,
// Lightning Bolts): SGD with momentum on a gradient rescaled per parameter
// tensor by a trust ratio.
//
// Layout: the flat buffer [n] is cut into segments, one per parameter tensor;
// segment k is [segment_offsets[k], segment_offsets[k + 1]) (the last one ends
// at n), the offsets of nn::ParamInfo. For segment S at step t (1-based, see
// Note [Step count]), with ||.|| the L2 norm over S:
//   local_lr = trust_coefficient * ||p|| / (||g|| + weight_decay * ||p|| + eps)
//              if ||p|| > 0 and ||g|| > 0, else 1
// and per parameter i of S:
//   d = (g[i] + weight_decay * p[i]) * local_lr
//   b = d                       at t = 1 (as torch.optim.SGD)
//   b = momentum * b + d        at t > 1
//   p[i] -= lr * b
// With momentum 0 there is no buffer (state_slots() == 0): p[i] -= lr * d.
// State: slot 0 = momentum buffer b [n] (when momentum > 0).
// See Note [LARS choices] for what this form does and does not do.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "dpeval/optim/optimizer.h"

namespace dpeval::optim {

// Note [LARS choices]
//  - lr outside the buffer. The paper's Algorithm 1 keeps lr inside the
//    momentum (v = m*v + lr*local_lr*d; w -= v); the PyTorch implementations,
//    like torch.optim.SGD and this library's Sgd, keep it outside
//    (b = m*b + local_lr*d; w -= lr*b). The two are the same for a constant
//    lr and differ only in how past momentum is scaled when a schedule
//    changes lr. The PyTorch form is taken so that a PyTorch peer gives the
//    same numbers and the momentum buffer means what Sgd's means.
//  - Every segment is adapted, biases and norm-layer parameters included, as
//    in the paper, torchlars and apex LARC. (SimCLR/BYOL-style training
//    excludes 1-D tensors; that would need the tensors' ranks, which a flat
//    optimizer does not see.) Weight decay applies to every segment too, as in
//    Sgd. A segment whose weights or gradient are all zero (a zero-initialized
//    bias, a layer that got no gradient) takes the plain SGD step (local_lr 1).
//  - Norms are summed in double in one fixed order (8 striped lanes, see
//    lars.cc), local_lr is computed in double and rounded to float once; the
//    per-element update is float. So a segment's update depends only on that
//    segment: updating whole segments in any grouping is bitwise one update.
//  - No Nesterov variant (validate() rejects nesterov with lars).

struct LarsOptions {
  float momentum = 0.9f;             // [0, 1)
  float weight_decay = 0.0f;         // >= 0, added to the gradient before the trust ratio
  float trust_coefficient = 0.001f;  // eta > 0
  float eps = 1e-8f;                 // >= 0, in the trust ratio's denominator
};

// The trust ratio of one segment (see the file comment): local_lr for weights
// `params` and gradient `grads` of the same length, rounded to float once.
// 1 when either norm is 0 (an empty segment included).
float lars_local_lr(std::span<const float> params, std::span<const float> grads, const LarsOptions& options);

class Lars final : public Optimizer {
 public:
  // segment_offsets: as make_optimizer() takes them (empty = one segment).
  // Options and offsets must be valid (DPEVAL_CHECK); make_optimizer() reports
  // bad options as ConfigError first.
  Lars(size_t param_count, std::span<const size_t> segment_offsets, const LarsOptions& options);

  std::string_view name() const override { return "lars"; }
  const LarsOptions& options() const { return options_; }
  // Start offset of every non-empty segment, strictly increasing: {0} for one
  // segment over a non-empty buffer, {} for an empty one.
  std::span<const size_t> segment_offsets() const { return segment_offsets_; }

 private:
  // [begin, end) must be a union of whole segments: begin and end each a
  // segment offset or n (DPEVAL_CHECK, InternalError). A trust ratio needs the
  // whole tensor, so LARS cannot update a ZeRO-1 shard that splits one.
  void update_range(std::span<float> params, std::span<const float> grads, size_t begin, size_t end,
                    float lr) override;

  LarsOptions options_;
  std::vector<size_t> segment_offsets_;
};

}  // namespace dpeval::optim
