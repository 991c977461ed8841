// Linear layer through kernels::gemm. See linear.h for the layout.
#include "dpeval/nn/linear.h"

#include <fmt/format.h>

#include <cmath>

#include "dpeval/core/error.h"
#include "dpeval/kernels/kernels.h"

namespace dpeval::nn {

using kernels::Trans;

Linear::Linear(const Shape& input_shape, int64_t out) : Layer(input_shape, Shape{out}), in_(0), out_(out) {
  if (input_shape.rank() != 1) {
    throw ConfigError(
        fmt::format("linear needs a flat [features] input, got {}; add a flatten layer before it",
                    input_shape.to_string()));
  }
  if (out < 1) throw ConfigError(fmt::format("linear out = {}, expected a positive integer", out));
  in_ = input_shape[0];
}

std::vector<ParamSlot> Linear::param_slots() const {
  const float bound = 1.0f / std::sqrt(static_cast<float>(in_));
  return {{"weight", Shape{out_, in_}, ParamInit::kUniform, bound},
          {"bias", Shape{out_}, ParamInit::kUniform, bound}};
}

void Linear::forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) {
  const int64_t batch = x.dim(0);
  ensure_shape(y, batch, output_shape());
  if (context.batch_invariant) {
    kernels::gemm_batch_invariant(Trans::kNo, Trans::kYes, batch, out_, in_, x.data(), in_, param(0).data(),
                                  in_, y.data(), out_, context.pool);
  } else {
    kernels::gemm(Trans::kNo, Trans::kYes, batch, out_, in_, 1.0f, x.data(), in_, param(0).data(), in_, 0.0f,
                  y.data(), out_);
  }
  if (relu_fused()) {
    kernels::bias_relu_rows(batch, out_, param(1).data(), y.data());
  } else {
    kernels::bias_add_rows(batch, out_, param(1).data(), y.data());
  }
}

void Linear::backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate) {
  const int64_t batch = x.dim(0);
  if (relu_fused()) kernels::relu_backward(y.span(), dy.span(), dy.span());
  // dW[OUT, IN] (+)= dy^T[OUT, B] x[B, IN]
  kernels::gemm(Trans::kYes, Trans::kNo, out_, in_, batch, 1.0f, dy.data(), out_, x.data(), in_,
                accumulate ? 1.0f : 0.0f, grad(0).data(), in_);
  kernels::sum_rows(batch, out_, dy.data(), grad(1).data(), accumulate);
}

void Linear::backward_input(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const int64_t batch = x.dim(0);
  ensure_shape(dx, batch, input_shape());
  // dx[B, IN] = dy[B, OUT] W[OUT, IN]
  kernels::gemm(Trans::kNo, Trans::kNo, batch, in_, out_, 1.0f, dy.data(), out_, param(0).data(), in_, 0.0f,
                dx.data(), in_);
}

}  // namespace dpeval::nn
