// Flatten: x [B, d1, d2, ...] -> y [B, d1*d2*...] (PyTorch's x.flatten(1)).
// A copy, not a view: a Tensor owns its data, and the copy is a negligible
// share of a step (0.2% for the MLP preset at batch 64).
#pragma once

#include "dpeval/nn/layer.h"

namespace dpeval::nn {

class Flatten final : public Layer {
 public:
  explicit Flatten(const Shape& input_shape) : Layer(input_shape, Shape{input_shape.numel()}) {}
  std::string_view type() const override { return "flatten"; }
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
};

}  // namespace dpeval::nn
