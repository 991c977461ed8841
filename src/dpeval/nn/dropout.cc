// Dropout: mask from the counter-based Rng. See Note [Dropout determinism].
#include "dpeval/nn/dropout.h"

#include <fmt/format.h>

#include <algorithm>

#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"

namespace dpeval::nn {

namespace {
constexpr uint64_t kDropoutPurpose = 0x64726f706f7574ull;  // "dropout"
}

Dropout::Dropout(const Shape& input_shape, double p)
    : Layer(input_shape, input_shape), p_(static_cast<float>(p)) {
  if (!(p >= 0.0 && p < 1.0))
    throw ConfigError(fmt::format("dropout p = {}, expected a number in [0, 1)", p));
}

void Dropout::forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) {
  ensure_shape(y, x.dim(0), output_shape());
  masked_ = context.training && p_ > 0.0f;
  if (!masked_) {
    std::copy(x.span().begin(), x.span().end(), y.span().begin());
    return;
  }
  const size_t n = x.size();
  mask_.resize(n);
  Rng rng(mix64(context.rng_key ^ kDropoutPurpose), context.layer_index);
  const float keep_scale = 1.0f / (1.0f - p_);
  for (size_t i = 0; i < n; ++i) {
    mask_[i] = rng.uniform_float() < p_ ? 0.0f : keep_scale;
    y[i] = x[i] * mask_[i];
  }
}

void Dropout::backward_input(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  ensure_shape(dx, x.dim(0), input_shape());
  if (!masked_) {
    std::copy(dy.span().begin(), dy.span().end(), dx.span().begin());
    return;
  }
  for (size_t i = 0; i < dx.size(); ++i) dx[i] = dy[i] * mask_[i];
}

}  // namespace dpeval::nn
