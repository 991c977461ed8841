// LayerNorm forward and backward as plain loops (rows are short; not a hot spot).
#include "dpeval/nn/layer_norm.h"

#include <fmt/format.h>

#include <cmath>

#include "dpeval/core/error.h"

namespace dpeval::nn {

LayerNorm::LayerNorm(const Shape& input_shape, double eps)
    : Layer(input_shape, input_shape),
      dim_(input_shape.rank() > 0 ? input_shape[input_shape.rank() - 1] : 0),
      eps_(eps) {
  if (dim_ < 1)
    throw ConfigError(
        fmt::format("layernorm needs an input with a last dimension, got {}", input_shape.to_string()));
  if (!(eps > 0.0)) throw ConfigError(fmt::format("layernorm eps = {}, expected > 0", eps));
}

std::vector<ParamSlot> LayerNorm::param_slots() const {
  return {{"weight", Shape{dim_}, ParamInit::kConstant, 1.0f},
          {"bias", Shape{dim_}, ParamInit::kConstant, 0.0f}};
}

void LayerNorm::forward(const Tensor& x, Tensor& y, const LayerForwardContext&) {
  ensure_shape(y, x.dim(0), output_shape());
  const int64_t D = dim_;
  const int64_t rows = static_cast<int64_t>(x.size()) / D;
  xhat_.resize(x.size());
  rstd_.resize(static_cast<size_t>(rows));
  const float* w = param(0).data();
  const float* b = param(1).data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * D;
    double mean = 0.0;
    for (int64_t d = 0; d < D; ++d) mean += in[d];
    mean /= static_cast<double>(D);
    double var = 0.0;
    for (int64_t d = 0; d < D; ++d) var += (in[d] - mean) * (in[d] - mean);
    var /= static_cast<double>(D);
    const double rstd = 1.0 / std::sqrt(var + eps_);
    rstd_[static_cast<size_t>(r)] = static_cast<float>(rstd);
    float* xh = xhat_.data() + r * D;
    float* out = y.data() + r * D;
    for (int64_t d = 0; d < D; ++d) {
      xh[d] = static_cast<float>((in[d] - mean) * rstd);
      out[d] = xh[d] * w[d] + b[d];
    }
  }
}

void LayerNorm::backward_params(const Tensor& x, const Tensor&, Tensor& dy, bool accumulate) {
  const int64_t D = dim_;
  const int64_t rows = static_cast<int64_t>(x.size()) / D;
  float* dw = grad(0).data();
  float* db = grad(1).data();
  if (!accumulate) {
    for (int64_t d = 0; d < D; ++d) dw[d] = db[d] = 0.0f;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* g = dy.data() + r * D;
    const float* xh = xhat_.data() + r * D;
    for (int64_t d = 0; d < D; ++d) {
      dw[d] += g[d] * xh[d];
      db[d] += g[d];
    }
  }
}

void LayerNorm::backward_input(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  ensure_shape(dx, x.dim(0), input_shape());
  const int64_t D = dim_;
  const int64_t rows = static_cast<int64_t>(x.size()) / D;
  const float* w = param(0).data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* g = dy.data() + r * D;
    const float* xh = xhat_.data() + r * D;
    float* out = dx.data() + r * D;
    double mean_g = 0.0, mean_gx = 0.0;
    for (int64_t d = 0; d < D; ++d) {
      const double gw = static_cast<double>(g[d]) * w[d];
      mean_g += gw;
      mean_gx += gw * xh[d];
    }
    mean_g /= static_cast<double>(D);
    mean_gx /= static_cast<double>(D);
    const double rstd = rstd_[static_cast<size_t>(r)];
    for (int64_t d = 0; d < D; ++d) {
      const double gw = static_cast<double>(g[d]) * w[d];
      out[d] = static_cast<float>(rstd * (gw - mean_g - xh[d] * mean_gx));
    }
  }
}

}  // namespace dpeval::nn
