// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight
// decay, as torch.optim.SGD with dampening 0. Per parameter i, at step t:
//   d = g[i] + weight_decay * p[i]
//   b = d                       at t = 1 (torch clones d into the buffer)
//   b = momentum * b + d        at t > 1
//   p[i] -= lr * (nesterov ? d + momentum * b : b)
// With momentum 0 there is no buffer (state_slots() == 0): p[i] -= lr * d.
// State: slot 0 = momentum buffer b [n] (when momentum > 0).
#pragma once

#include <span>
#include <string_view>

#include "dpeval/optim/optimizer.h"

namespace dpeval::optim {

struct SgdOptions {
  float momentum = 0.9f;      // [0, 1)
  bool nesterov = false;      // needs momentum > 0
  float weight_decay = 0.0f;  // >= 0, added to the gradient (L2)
};

class Sgd final : public Optimizer {
 public:
  // Options must be valid (DPEVAL_CHECK); make_optimizer() reports bad ones as
  // ConfigError first.
  Sgd(size_t param_count, const SgdOptions& options);

  std::string_view name() const override { return "sgd"; }
  const SgdOptions& options() const { return options_; }

 private:
  void update_range(std::span<float> params, std::span<const float> grads, size_t begin, size_t end,
                    float lr) override;

  SgdOptions options_;
};

}  // namespace dpeval::optim
