// Conv2d: 2-D convolution over NCHW images, PyTorch's nn.Conv2d (square
// kernel, equal stride and zero padding on both axes, no dilation or groups).
//   x [B, C, H, W], weight [OC, C, KH, KW], bias [OC], y [B, OC, OH, OW]
//   OH = (H + 2*pad - KH) / stride + 1, likewise OW;  P = OH*OW;  CKK = C*KH*KW
// Computed by lowering (im2col) and GEMM, a chunk of n images at a time:
//   forward         cols[CKK, n*P] = im2col(x chunk);  y = W[OC, CKK] cols (+ bias, ReLU)
//   weight grad     dW[OC, CKK] += dy[OC, n*P] cols^T  (cols lowered again)
//   input grad      dcols[CKK, n*P] = W^T dy;  dx = col2im(dcols)
// See Note [Conv lowering] for the chunk size. A 5x5, stride-1, padding-2
// convolution with at least kMinWinogradChannels input channels (forward) or
// output channels (input gradient) takes Winograd's F(2x2, 5x5) instead, a
// chunk of images at a time (Note [Winograd F(2x2, 5x5)] in kernels.h), and
// so does its weight gradient when both channel counts reach it.
//
// Note [Conv lowering]
// The obvious plan, lowering the whole batch into one [CKK, B*P] matrix and
// running one GEMM, makes that matrix 40 MB for the peer's second conv at
// batch 64 (CKK = 800, P = 196): every GEMM then streams it from memory and
// OpenBLAS reaches ~55 GFLOPS on this machine (AMD EPYC, one thread). Per
// image the columns are 0.6 MB, stay in L2 between im2col and GEMM, and the
// same GEMMs (M = 64, N = 196, K = 800 and the two backward shapes) reach
// ~95-100 GFLOPS: 40 ms instead of 66 ms per batch-64 step for the three of
// them (measured with OpenBLAS 0.3.21, one thread). So a chunk is the fewest
// images whose n*P reaches kMinGemmColumns (enough width for the GEMM micro
// kernel); for the peer's convs that is one image, and the GEMM writes
// straight into y (and reads dy) in NCHW order with no reorder. Smaller planes
// (P < kMinGemmColumns) batch n images side by side and reorder through a
// small buffer. Columns are rebuilt in backward rather than kept: lowering an
// image costs far less than its GEMM, and keeping them would cost B*CKK*P floats.
#pragma once

#include <cstdint>
#include <vector>

#include "dpeval/kernels/kernels.h"
#include "dpeval/nn/layer.h"

namespace dpeval::nn {

class Conv2d final : public Layer {
 public:
  // GEMM width a chunk aims for; see Note [Conv lowering].
  static constexpr int64_t kMinGemmColumns = 192;
  // Below this many channels summed over (C forward, OC for the input
  // gradient) the 36 transformed GEMMs are too thin to beat one lowered GEMM
  // (the CNN's first conv has C = 1).
  static constexpr int64_t kMinWinogradChannels = 16;

  // Throws ConfigError unless input_shape is [C, H, W] and the kernel fits the padded image.
  Conv2d(const Shape& input_shape, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding);

  std::string_view type() const override { return "conv2d"; }
  std::vector<ParamSlot> param_slots() const override;
  bool can_fuse_relu() const override { return true; }
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;

  // Images per chunk (tests force other values to cover the reorder path).
  int64_t chunk_images() const { return chunk_; }
  void set_chunk_images(int64_t n) { chunk_ = n < 1 ? 1 : n; }
  // Whether forward / the input gradient take the Winograd path (tests and
  // benches switch it off to compare with the lowered one).
  bool winograd_forward() const { return winograd_ && geometry_.channels >= kMinWinogradChannels; }
  bool winograd_input_grad() const { return winograd_ && out_channels_ >= kMinWinogradChannels; }
  bool winograd_weight_grad() const { return winograd_forward() && winograd_input_grad(); }
  void set_winograd(bool on) { winograd_ = on && kernels::winograd_5x5_applies(geometry_); }

 private:
  // cols_[CKK, n*P] = the columns of images [first, first + n) of x.
  void lower(const Tensor& x, int64_t first, int64_t n);
  // out [batch][rows][H][W] = the 5x5 same convolution of in [batch][cols][H][W]
  // with u (weights transformed for `rows` outputs from `cols` inputs), + bias;
  // its GEMMs batch-invariant when asked (Note [Batch-invariant GEMM]), their
  // blocks then on `pool` when given.
  void winograd_convolve(const float* in, int64_t batch, int64_t cols, int64_t rows, const float* u,
                         const float* bias, bool relu, float* out, bool batch_invariant = false,
                         ThreadPool* pool = nullptr);
  // wino_u_forward_ for the current weights: transformed again only when they
  // differ from the copy it was made from (Note [Transformed weights kept]).
  const float* forward_weights();
  // Images per Winograd chunk: 36 GEMMs about kMinGemmColumns tiles tall.
  int64_t winograd_chunk() const;
  // dy of images [first, first + n): ReLU mask (when fused), and grad(1) (+)= its bias gradient.
  void mask_and_bias_grad(const Tensor& y, Tensor& dy, int64_t first, int64_t n, bool add);
  // backward_params by Winograd, a chunk of images at a time.
  void winograd_backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate);

  kernels::Conv2dGeometry geometry_;
  int64_t out_channels_;
  int64_t plane_;               // P = OH*OW
  int64_t chunk_;               // n
  std::vector<float> cols_;     // [CKK, n*P]: columns, then column gradients
  std::vector<float> staging_;  // [OC, n*P] GEMM output / dy in chunk order (n > 1 only)
  bool winograd_;
  std::vector<float> wino_u_, wino_v_, wino_m_, wino_du_;  // Note [Winograd F(2x2, 5x5)] layouts
  std::vector<float> wino_u_forward_;                      // forward's transformed weights, kept
  std::vector<float> wino_u_source_;                       // the weights they were made from
};

}  // namespace dpeval::nn
