// 2-D pooling over NCHW images: MaxPool2d and AvgPool2d (PyTorch semantics,
// square kernel, no padding, floor mode).
//   x [B, C, H, W] -> y [B, C, OH, OW],  OH = (H - K) / stride + 1, likewise OW
// MaxPool2d keeps the argmax of every window (index within its H*W plane; the
// first maximum wins and NaN propagates, as in PyTorch) so backward is a scatter.
#pragma once

#include <cstdint>
#include <vector>

#include "dpeval/nn/layer.h"

namespace dpeval::nn {

class MaxPool2d final : public Layer {
 public:
  // Throws ConfigError unless input_shape is [C, H, W] and the kernel fits in H and W.
  MaxPool2d(const Shape& input_shape, int64_t kernel, int64_t stride);

  std::string_view type() const override { return "maxpool2d"; }
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;

 private:
  int64_t kernel_, stride_;
  std::vector<int32_t> argmax_;  // [B, C, OH, OW]
  bool argmax_kept_ = false;     // by the last forward (not by a batch-invariant one)
};

class AvgPool2d final : public Layer {
 public:
  // Throws ConfigError unless input_shape is [C, H, W] and the kernel fits in H and W.
  AvgPool2d(const Shape& input_shape, int64_t kernel, int64_t stride);

  std::string_view type() const override { return "avgpool2d"; }
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;

 private:
  int64_t kernel_, stride_;
};

}  // namespace dpeval::nn
