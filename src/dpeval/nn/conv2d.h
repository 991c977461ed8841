// Conv2d: 2-D convolution over NCHW images, PyTorch's nn.Conv2d (square
// kernel, equal stride and zero padding on both axes, no dilation or groups).
//   x [B, C, H, W], weight [OC, C, KH, KW], bias [OC], y [B, OC, OH, OW]
//   OH = (H + 2*pad - KH) / stride + 1, likewise OW;  P = OH*OW;  CKK = C*KH*KW
//
// See Note [Batched im2col]: images are lowered side by side into one
// [CKK, n*P] column matrix so each chunk of n images is ONE GEMM
// (forward: W[OC, CKK] cols -> [OC, n*P], then a reorder to NCHW fused with the
// bias and ReLU; weight gradient: dyT[OC, n*P] cols^T; input gradient:
// W^T dyT -> column gradients, scattered back with col2im).
//
// Note [Batched im2col]
// One GEMM per image has N = P (196 for the peer's second conv), too thin for a
// BLAS to reach its peak; lowering n images side by side gives N = n*P. The
// column matrix grows with n, so images go in chunks whose columns fit
// kColumnsBudgetBytes; when the whole training batch fits in one chunk the
// columns built by forward are kept for backward, otherwise backward rebuilds
// them chunk by chunk. The input gradient's column matrix reuses the same
// buffer, since the weight gradient (the only other reader) is done by then.
#pragma once

#include <cstdint>
#include <vector>

#include "dpeval/kernels/kernels.h"
#include "dpeval/nn/layer.h"

namespace dpeval::nn {

class Conv2d final : public Layer {
 public:
  // Column memory a chunk may use; see Note [Batched im2col].
  static constexpr int64_t kColumnsBudgetBytes = int64_t{48} << 20;

  // Throws ConfigError unless input_shape is [C, H, W] and the kernel fits the padded image.
  Conv2d(const Shape& input_shape, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding);

  std::string_view type() const override { return "conv2d"; }
  std::vector<ParamSlot> param_slots() const override;
  bool can_fuse_relu() const override { return true; }
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;

 private:
  // Images per chunk for a batch of `batch`.
  int64_t chunk_images(int64_t batch) const;
  // cols_[CKK, n*P] = the columns of images [first, first + n) of x.
  void lower_chunk(const Tensor& x, int64_t first, int64_t n);

  kernels::Conv2dGeometry geometry_;
  int64_t out_channels_;
  int64_t plane_;          // P = OH*OW
  std::vector<float> cols_;        // [CKK, n*P]: columns, then column gradients
  std::vector<float> gemm_out_;    // forward: [OC, n*P] before the NCHW reorder
  std::vector<float> dy_t_;        // [OC, B*P] chunk by chunk: dy reordered, kept for backward_input
  int64_t cols_first_ = -1;        // first image of the chunk in cols_, -1 when stale
  int64_t cols_count_ = 0;
};

}  // namespace dpeval::nn
