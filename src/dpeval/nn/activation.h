// Elementwise activations: ReLU and GELU (exact erf form, PyTorch's default
// approximate='none'). Shape-preserving: x, y [B, any...].
// A ReLU right after a Linear or Conv2d is normally fused into that layer by
// the Model (see Layer::can_fuse_relu); this class runs when it is not.
#pragma once

#include "dpeval/nn/layer.h"

namespace dpeval::nn {

class ReLU final : public Layer {
 public:
  explicit ReLU(const Shape& input_shape) : Layer(input_shape, input_shape) {}
  std::string_view type() const override { return "relu"; }
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
};

class GELU final : public Layer {
 public:
  explicit GELU(const Shape& input_shape) : Layer(input_shape, input_shape) {}
  std::string_view type() const override { return "gelu"; }
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
};

}  // namespace dpeval::nn
