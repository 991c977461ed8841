// AdamW (Loshchilov & Hutter), as torch.optim.AdamW with amsgrad off.
// Per parameter i, at step t (1-based, see Note [Step count]):
//   p[i] *= 1 - lr * weight_decay                       (decoupled weight decay)
//   m[i] = beta1 * m[i] + (1 - beta1) * g[i]
//   v[i] = beta2 * v[i] + (1 - beta2) * g[i]^2
//   p[i] -= lr / (1 - beta1^t) * m[i] / (sqrt(v[i]) / sqrt(1 - beta2^t) + eps)
// The per-step scalars are computed in double and rounded to float once, the
// per-element math is float in PyTorch's operation order.
// State: slot 0 = m [n], slot 1 = v [n].
#pragma once

#include <span>
#include <string_view>

#include "dpeval/optim/optimizer.h"

namespace dpeval::optim {

struct AdamWOptions {
  float beta1 = 0.9f;          // [0, 1)
  float beta2 = 0.999f;        // [0, 1)
  float eps = 1e-8f;           // > 0
  float weight_decay = 0.01f;  // >= 0, decoupled
};

class AdamW final : public Optimizer {
 public:
  // Options must be valid (DPEVAL_CHECK); make_optimizer() reports bad ones as
  // ConfigError first.
  AdamW(size_t param_count, const AdamWOptions& options);

  std::string_view name() const override { return "adamw"; }
  const AdamWOptions& options() const { return options_; }

 private:
  void update_range(std::span<float> params, std::span<const float> grads, size_t begin, size_t end,
                    float lr) override;

  AdamWOptions options_;
};

}  // namespace dpeval::optim
