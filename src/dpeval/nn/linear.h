// Linear (fully connected) layer: y = x W^T + b, PyTorch's nn.Linear.
//   x [B, IN], W [OUT, IN] (row-major, torch layout), b [OUT], y [B, OUT]
// Forward is one GEMM with W transposed plus a fused bias (+ ReLU) epilogue;
// backward is two GEMMs (dW = dy^T x, dx = dy W) and a row sum for db.
#pragma once

#include "dpeval/nn/layer.h"

namespace dpeval::nn {

class Linear final : public Layer {
 public:
  // Throws ConfigError unless input_shape is [IN] (flatten first) and out >= 1.
  Linear(const Shape& input_shape, int64_t out);

  std::string_view type() const override { return "linear"; }
  std::vector<ParamSlot> param_slots() const override;
  bool can_fuse_relu() const override { return true; }
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;

 private:
  int64_t in_, out_;
};

}  // namespace dpeval::nn
