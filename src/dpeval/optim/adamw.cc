// The AdamW update loop: one fused pass over p, g, m, v.
#include "dpeval/optim/adamw.h"

#include <cmath>

#include "dpeval/core/check.h"

namespace dpeval::optim {
namespace {

// Loop-invariant scalars of one step, rounded to float as PyTorch does when it
// passes its Python (double) scalars to a float32 kernel.
struct AdamWStepScalars {
  float decay;                  // 1 - lr * weight_decay
  float one_minus_beta1;        // 1 - beta1
  float one_minus_beta2;        // 1 - beta2
  float step_size;              // lr / (1 - beta1^t)
  float bias_correction2_sqrt;  // sqrt(1 - beta2^t)
};

AdamWStepScalars adamw_step_scalars(const AdamWOptions& o, float lr, uint64_t t) {
  const double bias_correction1 = 1.0 - std::pow(static_cast<double>(o.beta1), static_cast<double>(t));
  const double bias_correction2 = 1.0 - std::pow(static_cast<double>(o.beta2), static_cast<double>(t));
  return AdamWStepScalars{
      .decay = static_cast<float>(1.0 - static_cast<double>(lr) * static_cast<double>(o.weight_decay)),
      .one_minus_beta1 = static_cast<float>(1.0 - static_cast<double>(o.beta1)),
      .one_minus_beta2 = static_cast<float>(1.0 - static_cast<double>(o.beta2)),
      .step_size = static_cast<float>(static_cast<double>(lr) / bias_correction1),
      .bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2)),
  };
}

// p, g, m, v point at element `begin` of their buffers; n elements.
void adamw_loop(float* p, const float* g, float* m, float* v, size_t n, const AdamWOptions& o,
                const AdamWStepScalars& s) {
  const float beta1 = o.beta1, beta2 = o.beta2, eps = o.eps;
  for (size_t i = 0; i < n; ++i) {
    const float pi = p[i] * s.decay;
    const float mi = beta1 * m[i] + s.one_minus_beta1 * g[i];
    const float vi = beta2 * v[i] + s.one_minus_beta2 * g[i] * g[i];
    const float denom = std::sqrt(vi) / s.bias_correction2_sqrt + eps;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - s.step_size * mi / denom;
  }
}

}  // namespace

AdamW::AdamW(size_t param_count, const AdamWOptions& options) : Optimizer(param_count, 2), options_(options) {
  DPEVAL_CHECK(options.beta1 >= 0.0f && options.beta1 < 1.0f) << "beta1 " << options.beta1;
  DPEVAL_CHECK(options.beta2 >= 0.0f && options.beta2 < 1.0f) << "beta2 " << options.beta2;
  DPEVAL_CHECK(std::isfinite(options.eps) && options.eps > 0.0f) << "eps " << options.eps;
  DPEVAL_CHECK(std::isfinite(options.weight_decay) && options.weight_decay >= 0.0f)
      << "weight_decay " << options.weight_decay;
}

void AdamW::update_range(std::span<float> params, std::span<const float> grads, size_t begin, size_t end,
                         float lr) {
  const AdamWStepScalars scalars = adamw_step_scalars(options_, lr, step_count() + 1);  // Note [Step count]
  adamw_loop(params.data() + begin, grads.data() + begin, state_slot(0).data() + begin,
             state_slot(1).data() + begin, end - begin, options_, scalars);
}

}  // namespace dpeval::optim
