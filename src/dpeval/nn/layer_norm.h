// LayerNorm over the last dimension, with affine weight and bias (PyTorch's
// nn.LayerNorm(D) with elementwise_affine=True).
//   x, y [B, ..., D]; weight [D] (init 1), bias [D] (init 0); R = rows = B*numel/D
//   y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var per row
// Row statistics are accumulated in double; xhat and 1/std are kept for backward.
#pragma once

#include <vector>

#include "dpeval/nn/layer.h"

namespace dpeval::nn {

class LayerNorm final : public Layer {
 public:
  // Throws ConfigError for a rank-0 input or eps <= 0.
  LayerNorm(const Shape& input_shape, double eps);

  std::string_view type() const override { return "layernorm"; }
  std::vector<ParamSlot> param_slots() const override;
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;

 private:
  int64_t dim_;
  double eps_;
  std::vector<float> xhat_;  // [R, D]
  std::vector<float> rstd_;  // [R]
};

}  // namespace dpeval::nn
