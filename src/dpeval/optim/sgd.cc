// SGD update loops: one fused pass per (first step?, nesterov?) case, written
// as plain float loops over raw pointers so the compiler vectorizes them.
#include "dpeval/optim/sgd.h"

#include <cmath>

#include "dpeval/core/check.h"

namespace dpeval::optim {
namespace {

// p, g, buf point at element `begin` of their buffers; n elements.
template <bool kFirstStep, bool kNesterov>
void sgd_momentum_loop(float* p, const float* g, float* buf, size_t n, float lr, float momentum,
                       float weight_decay) {
  for (size_t i = 0; i < n; ++i) {
    const float d = g[i] + weight_decay * p[i];
    const float b = kFirstStep ? d : momentum * buf[i] + d;
    buf[i] = b;
    p[i] -= lr * (kNesterov ? d + momentum * b : b);
  }
}

void sgd_plain_loop(float* p, const float* g, size_t n, float lr, float weight_decay) {
  for (size_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + weight_decay * p[i]);
}

}  // namespace

Sgd::Sgd(size_t param_count, const SgdOptions& options)
    : Optimizer(param_count, options.momentum > 0.0f ? 1 : 0), options_(options) {
  DPEVAL_CHECK(std::isfinite(options.momentum) && options.momentum >= 0.0f && options.momentum < 1.0f)
      << "momentum " << options.momentum;
  DPEVAL_CHECK(!options.nesterov || options.momentum > 0.0f) << "nesterov needs momentum > 0";
  DPEVAL_CHECK(std::isfinite(options.weight_decay) && options.weight_decay >= 0.0f)
      << "weight_decay " << options.weight_decay;
}

void Sgd::update_range(std::span<float> params, std::span<const float> grads, size_t begin, size_t end,
                       float lr) {
  float* p = params.data() + begin;
  const float* g = grads.data() + begin;
  const size_t n = end - begin;
  const float momentum = options_.momentum, weight_decay = options_.weight_decay;
  if (state_slots() == 0) {
    sgd_plain_loop(p, g, n, lr, weight_decay);
    return;
  }
  float* buf = state_slot(0).data() + begin;
  const bool first_step = step_count() == 0;  // See Note [Step count]
  if (first_step && options_.nesterov) {
    sgd_momentum_loop<true, true>(p, g, buf, n, lr, momentum, weight_decay);
  } else if (first_step) {
    sgd_momentum_loop<true, false>(p, g, buf, n, lr, momentum, weight_decay);
  } else if (options_.nesterov) {
    sgd_momentum_loop<false, true>(p, g, buf, n, lr, momentum, weight_decay);
  } else {
    sgd_momentum_loop<false, false>(p, g, buf, n, lr, momentum, weight_decay);
  }
}

}  // namespace dpeval::optim
