// Conv2d by chunked im2col + kernels::gemm. See conv2d.h and Note [Conv lowering].
#include "dpeval/nn/conv2d.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dpeval/core/error.h"

namespace dpeval::nn {

using kernels::Trans;

namespace {

kernels::Conv2dGeometry conv_geometry(const Shape& in, int64_t kernel, int64_t stride, int64_t padding) {
  if (in.rank() != 3) {
    throw ConfigError(fmt::format("conv2d needs a [channels, height, width] input, got {}", in.to_string()));
  }
  if (kernel < 1 || stride < 1 || padding < 0) {
    throw ConfigError(
        fmt::format("conv2d kernel = {}, stride = {}, padding = {}: expected kernel >= 1, "
                    "stride >= 1, padding >= 0",
                    kernel, stride, padding));
  }
  if (kernel > in[1] + 2 * padding || kernel > in[2] + 2 * padding) {
    throw ConfigError(fmt::format("conv2d kernel {} is larger than the padded input {} (padding {})", kernel,
                                  in.to_string(), padding));
  }
  kernels::Conv2dGeometry g;
  g.channels = in[0];
  g.height = in[1];
  g.width = in[2];
  g.kernel_h = g.kernel_w = kernel;
  g.stride_h = g.stride_w = stride;
  g.pad_h = g.pad_w = padding;
  return g;
}

Shape conv_output(const Shape& in, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding) {
  const kernels::Conv2dGeometry g = conv_geometry(in, kernel, stride, padding);
  if (out_channels < 1)
    throw ConfigError(fmt::format("conv2d out_channels = {}, expected >= 1", out_channels));
  return Shape{out_channels, g.out_h(), g.out_w()};
}

// [n, OC, P] (NCHW) <-> [OC, n*P] (chunk order, images side by side).
void nchw_to_chunk(const float* nchw, int64_t n, int64_t oc, int64_t P, float* chunk) {
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t c = 0; c < oc; ++c)
      std::memcpy(chunk + c * n * P + j * P, nchw + (j * oc + c) * P, sizeof(float) * P);
  }
}
void chunk_to_nchw(const float* chunk, int64_t n, int64_t oc, int64_t P, float* nchw) {
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t c = 0; c < oc; ++c)
      std::memcpy(nchw + (j * oc + c) * P, chunk + c * n * P + j * P, sizeof(float) * P);
  }
}

}  // namespace

Conv2d::Conv2d(const Shape& input_shape, int64_t out_channels, int64_t kernel, int64_t stride,
               int64_t padding)
    : Layer(input_shape, conv_output(input_shape, out_channels, kernel, stride, padding)),
      geometry_(conv_geometry(input_shape, kernel, stride, padding)),
      out_channels_(out_channels),
      plane_(geometry_.out_h() * geometry_.out_w()),
      chunk_((kMinGemmColumns + plane_ - 1) / plane_),
      winograd_(kernels::winograd_5x5_applies(geometry_)) {}

std::vector<ParamSlot> Conv2d::param_slots() const {
  const float bound = 1.0f / std::sqrt(static_cast<float>(geometry_.col_rows()));
  return {{"weight", Shape{out_channels_, geometry_.channels, geometry_.kernel_h, geometry_.kernel_w},
           ParamInit::kUniform, bound},
          {"bias", Shape{out_channels_}, ParamInit::kUniform, bound}};
}

void Conv2d::lower(const Tensor& x, int64_t first, int64_t n) {
  const int64_t image = input_shape().numel();
  const size_t need = static_cast<size_t>(geometry_.col_rows() * n * plane_);
  if (cols_.size() < need) cols_.resize(need);
  for (int64_t j = 0; j < n; ++j) {
    kernels::im2col(geometry_, x.data() + (first + j) * image, cols_.data() + j * plane_, n * plane_);
  }
}

int64_t Conv2d::winograd_chunk() const {
  // For the CNN's second conv that is 3 images: v and m together are 2 MB,
  // about one core's L2. Chunks of 2 to 8 images timed the same within this
  // machine's noise (nn_bench BM_TrainStep/cnn, 2026-11-30).
  return std::max<int64_t>(1,
                           kMinGemmColumns / kernels::winograd_5x5_tiles(geometry_.height, geometry_.width));
}

// Note [Transformed weights kept]
// The forward's Winograd weights U depend on the weights alone, yet were
// transformed again for every batch: 5 % of a CNN server's time. So forward
// keeps them with a copy of the weights they came from, and transforms again
// only when the weights differ from that copy (every step of training, never
// while serving). Comparing 200 KB costs a few microseconds, and nothing can
// change the weights behind the cache's back.
const float* Conv2d::forward_weights() {
  const std::span<const float> w = param(0);
  if (wino_u_source_.size() != w.size() ||
      std::memcmp(wino_u_source_.data(), w.data(), w.size() * sizeof(float)) != 0) {
    wino_u_forward_.resize(static_cast<size_t>(36 * out_channels_ * geometry_.channels));
    kernels::winograd_5x5_weights(w.data(), out_channels_, geometry_.channels, /*input_grad=*/false,
                                  wino_u_forward_.data());
    wino_u_source_.assign(w.begin(), w.end());
  }
  return wino_u_forward_.data();
}

void Conv2d::winograd_convolve(const float* in, int64_t batch, int64_t cols, int64_t rows, const float* u,
                               const float* bias, bool relu, float* out, bool batch_invariant,
                               ThreadPool* pool) {
  const int64_t H = geometry_.height, W = geometry_.width;
  const int64_t tiles = kernels::winograd_5x5_tiles(H, W), chunk = winograd_chunk();
  for (int64_t first = 0; first < batch; first += chunk) {
    const int64_t n = std::min(chunk, batch - first);
    const int64_t T = n * tiles;
    wino_v_.resize(static_cast<size_t>(36 * T * cols));
    wino_m_.resize(static_cast<size_t>(36 * T * rows));
    kernels::winograd_5x5_input(in + first * cols * H * W, n, cols, H, W, wino_v_.data());
    for (int64_t xi = 0; xi < 36; ++xi) {
      if (batch_invariant) {
        kernels::gemm_batch_invariant(Trans::kNo, Trans::kNo, T, rows, cols, wino_v_.data() + xi * T * cols,
                                      cols, u + xi * cols * rows, rows, wino_m_.data() + xi * T * rows, rows,
                                      pool);
      } else {
        kernels::gemm(Trans::kNo, Trans::kNo, T, rows, cols, 1.0f, wino_v_.data() + xi * T * cols, cols,
                      u + xi * cols * rows, rows, 0.0f, wino_m_.data() + xi * T * rows, rows);
      }
    }
    kernels::winograd_5x5_output(wino_m_.data(), n, rows, H, W, bias, relu, out + first * rows * H * W);
  }
}

void Conv2d::winograd_backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate) {
  const int64_t H = geometry_.height, W = geometry_.width, C = geometry_.channels, OC = out_channels_;
  const int64_t batch = x.dim(0), tiles = kernels::winograd_5x5_tiles(H, W), chunk = winograd_chunk();
  wino_du_.resize(static_cast<size_t>(36 * C * OC));
  for (int64_t first = 0; first < batch; first += chunk) {
    const int64_t n = std::min(chunk, batch - first);
    const int64_t T = n * tiles;
    mask_and_bias_grad(y, dy, first, n, accumulate || first > 0);
    wino_v_.resize(static_cast<size_t>(36 * T * C));
    wino_m_.resize(static_cast<size_t>(36 * T * OC));
    kernels::winograd_5x5_input(x.data() + first * C * H * W, n, C, H, W, wino_v_.data());
    kernels::winograd_5x5_output_grad(dy.data() + first * OC * H * W, n, OC, H, W, wino_m_.data());
    // dU[xi] (C x OC) (+)= V[xi]^T (C x T) g[xi] (T x OC)
    for (int64_t xi = 0; xi < 36; ++xi) {
      kernels::gemm(Trans::kYes, Trans::kNo, C, OC, T, 1.0f, wino_v_.data() + xi * T * C, C,
                    wino_m_.data() + xi * T * OC, OC, first > 0 ? 1.0f : 0.0f, wino_du_.data() + xi * C * OC,
                    OC);
    }
  }
  if (batch > 0) kernels::winograd_5x5_weights_grad(wino_du_.data(), OC, C, accumulate, grad(0).data());
}

void Conv2d::forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) {
  // Inference that must not depend on the batch (Note [Batch-invariant GEMM]):
  // every GEMM of the forward through the invariant kernel.
  const auto product = [&](Trans tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                           const float* b, int64_t ldb, float* c, int64_t ldc) {
    if (context.batch_invariant) {
      kernels::gemm_batch_invariant(Trans::kNo, tb, m, n, k, a, lda, b, ldb, c, ldc, context.pool);
    } else {
      kernels::gemm(Trans::kNo, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    }
  };
  const int64_t batch = x.dim(0);
  ensure_shape(y, batch, output_shape());
  const int64_t oc = out_channels_, ckk = geometry_.col_rows(), P = plane_;
  const float* w = param(0).data();
  const float* bias = param(1).data();
  if (winograd_forward()) {
    winograd_convolve(x.data(), batch, geometry_.channels, oc, forward_weights(), bias, relu_fused(),
                      y.data(), context.batch_invariant, context.pool);
    return;
  }
  for (int64_t first = 0; first < batch; first += chunk_) {
    const int64_t n = std::min(chunk_, batch - first);
    lower(x, first, n);
    float* out = y.data() + first * oc * P;
    if (n == 1) {
      product(Trans::kNo, oc, P, ckk, w, ckk, cols_.data(), P, out, P);
    } else {
      staging_.resize(static_cast<size_t>(oc * n * P));
      product(Trans::kNo, oc, n * P, ckk, w, ckk, cols_.data(), n * P, staging_.data(), n * P);
      chunk_to_nchw(staging_.data(), n, oc, P, out);
    }
    for (int64_t j = 0; j < n; ++j) kernels::bias_add_channels(oc, P, bias, out + j * oc * P);
    if (relu_fused()) {
      const std::span<float> chunk_out(out, static_cast<size_t>(n * oc * P));
      kernels::relu_forward(chunk_out, chunk_out);
    }
  }
}

void Conv2d::mask_and_bias_grad(const Tensor& y, Tensor& dy, int64_t first, int64_t n, bool add) {
  const int64_t oc = out_channels_, P = plane_;
  const std::span<float> dy_chunk =
      dy.span().subspan(static_cast<size_t>(first * oc * P), static_cast<size_t>(n * oc * P));
  if (relu_fused()) {
    kernels::relu_backward(y.span().subspan(static_cast<size_t>(first * oc * P), dy_chunk.size()), dy_chunk,
                           dy_chunk);
  }
  kernels::sum_channels(n, oc, P, dy_chunk.data(), grad(1).data(), add);
}

void Conv2d::backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate) {
  const int64_t batch = x.dim(0);
  const int64_t oc = out_channels_, ckk = geometry_.col_rows(), P = plane_;
  if (winograd_weight_grad()) {
    winograd_backward_params(x, y, dy, accumulate);
    return;
  }
  for (int64_t first = 0; first < batch; first += chunk_) {
    const int64_t n = std::min(chunk_, batch - first);
    // This chunk's dy: ReLU mask and bias gradient while it is in cache.
    const bool add = accumulate || first > 0;
    mask_and_bias_grad(y, dy, first, n, add);
    lower(x, first, n);
    const float* g = dy.data() + first * oc * P;
    if (n > 1) {
      staging_.resize(static_cast<size_t>(oc * n * P));
      nchw_to_chunk(g, n, oc, P, staging_.data());
      g = staging_.data();
    }
    // dW[OC, CKK] (+)= dy[OC, n*P] cols^T[n*P, CKK]
    kernels::gemm(Trans::kNo, Trans::kYes, oc, ckk, n * P, 1.0f, g, n * P, cols_.data(), n * P,
                  add ? 1.0f : 0.0f, grad(0).data(), ckk);
  }
}

void Conv2d::backward_input(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const int64_t batch = x.dim(0);
  ensure_shape(dx, batch, input_shape());
  const int64_t oc = out_channels_, ckk = geometry_.col_rows(), P = plane_;
  const int64_t image = input_shape().numel();
  if (winograd_input_grad()) {
    wino_u_.resize(static_cast<size_t>(36 * oc * geometry_.channels));
    kernels::winograd_5x5_weights(param(0).data(), oc, geometry_.channels, /*input_grad=*/true,
                                  wino_u_.data());
    winograd_convolve(dy.data(), batch, oc, geometry_.channels, wino_u_.data(), nullptr, /*relu=*/false,
                      dx.data());
    return;
  }
  for (int64_t first = 0; first < batch; first += chunk_) {
    const int64_t n = std::min(chunk_, batch - first);
    const float* g = dy.data() + first * oc * P;
    if (n > 1) {
      staging_.resize(static_cast<size_t>(oc * n * P));
      nchw_to_chunk(g, n, oc, P, staging_.data());
      g = staging_.data();
    }
    const size_t need = static_cast<size_t>(ckk * n * P);
    if (cols_.size() < need) cols_.resize(need);
    // dcols[CKK, n*P] = W^T[CKK, OC] dy[OC, n*P]
    kernels::gemm(Trans::kYes, Trans::kNo, ckk, n * P, oc, 1.0f, param(0).data(), ckk, g, n * P, 0.0f,
                  cols_.data(), n * P);
    float* out = dx.data() + first * image;
    std::fill(out, out + n * image, 0.0f);
    for (int64_t j = 0; j < n; ++j) kernels::col2im(geometry_, cols_.data() + j * P, n * P, out + j * image);
  }
}

}  // namespace dpeval::nn
