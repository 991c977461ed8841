// Conv2d through batched im2col + kernels::gemm. See conv2d.h.
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
    throw ConfigError(fmt::format("conv2d kernel = {}, stride = {}, padding = {}: expected kernel >= 1, "
                                  "stride >= 1, padding >= 0", kernel, stride, padding));
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
  if (out_channels < 1) throw ConfigError(fmt::format("conv2d out_channels = {}, expected >= 1", out_channels));
  return Shape{out_channels, g.out_h(), g.out_w()};
}

}  // namespace

Conv2d::Conv2d(const Shape& input_shape, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding)
    : Layer(input_shape, conv_output(input_shape, out_channels, kernel, stride, padding)),
      geometry_(conv_geometry(input_shape, kernel, stride, padding)),
      out_channels_(out_channels),
      plane_(geometry_.out_h() * geometry_.out_w()) {}

std::vector<ParamSlot> Conv2d::param_slots() const {
  const int64_t fan_in = geometry_.col_rows();
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  return {{"weight", Shape{out_channels_, geometry_.channels, geometry_.kernel_h, geometry_.kernel_w},
           ParamInit::kUniform, bound},
          {"bias", Shape{out_channels_}, ParamInit::kUniform, bound}};
}

int64_t Conv2d::chunk_images(int64_t batch) const {
  const int64_t per_image = geometry_.col_rows() * plane_ * static_cast<int64_t>(sizeof(float));
  return std::clamp<int64_t>(kColumnsBudgetBytes / std::max<int64_t>(per_image, 1), 1, std::max<int64_t>(batch, 1));
}

void Conv2d::lower_chunk(const Tensor& x, int64_t first, int64_t n) {
  const int64_t image = input_shape().numel();
  const size_t need = static_cast<size_t>(geometry_.col_rows() * n * plane_);
  if (cols_.size() < need) cols_.resize(need);
  for (int64_t j = 0; j < n; ++j) {
    kernels::im2col(geometry_, x.data() + (first + j) * image, cols_.data() + j * plane_, n * plane_);
  }
  cols_first_ = first;
  cols_count_ = n;
}

void Conv2d::forward(const Tensor& x, Tensor& y, const LayerForwardContext&) {
  const int64_t batch = x.dim(0);
  ensure_shape(y, batch, output_shape());
  const int64_t oc = out_channels_, ckk = geometry_.col_rows(), P = plane_;
  const int64_t chunk = chunk_images(batch);
  const float* w = param(0).data();
  const float* bias = param(1).data();
  cols_first_ = -1;
  for (int64_t first = 0; first < batch; first += chunk) {
    const int64_t n = std::min(chunk, batch - first);
    lower_chunk(x, first, n);
    const size_t need = static_cast<size_t>(oc * n * P);
    if (gemm_out_.size() < need) gemm_out_.resize(need);
    kernels::gemm(Trans::kNo, Trans::kNo, oc, n * P, ckk, 1.0f, w, ckk, cols_.data(), n * P, 0.0f,
                  gemm_out_.data(), n * P);
    // [OC, n*P] -> y[first + j, OC, P], + bias, ReLU when fused.
    for (int64_t j = 0; j < n; ++j) {
      float* out = y.data() + (first + j) * oc * P;
      for (int64_t c = 0; c < oc; ++c) {
        const float* src = gemm_out_.data() + c * n * P + j * P;
        float* dst = out + c * P;
        const float b = bias[c];
        if (relu_fused()) {
          for (int64_t p = 0; p < P; ++p) dst[p] = std::max(src[p] + b, 0.0f);
        } else {
          for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + b;
        }
      }
    }
  }
}

void Conv2d::backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate) {
  const int64_t batch = x.dim(0);
  const int64_t oc = out_channels_, ckk = geometry_.col_rows(), P = plane_;
  if (relu_fused()) kernels::relu_backward(y.span(), dy.span(), dy.span());
  kernels::sum_channels(batch, oc, P, dy.data(), grad(1).data(), accumulate);
  const size_t need = static_cast<size_t>(oc * batch * P);
  if (dy_t_.size() < need) dy_t_.resize(need);
  // Last chunk first: its columns are still in cols_ from forward.
  const int64_t chunk = chunk_images(batch);
  const int64_t last_first = (batch - 1) / chunk * chunk;
  for (int64_t first = last_first; first >= 0; first -= chunk) {
    const int64_t n = std::min(chunk, batch - first);
    float* dyt = dy_t_.data() + first * oc * P;  // this chunk's [OC, n*P] block
    for (int64_t j = 0; j < n; ++j) {
      const float* src = dy.data() + (first + j) * oc * P;
      for (int64_t c = 0; c < oc; ++c) std::memcpy(dyt + c * n * P + j * P, src + c * P, sizeof(float) * P);
    }
    if (cols_first_ != first || cols_count_ != n) lower_chunk(x, first, n);
    // dW[OC, CKK] (+)= dyT[OC, n*P] cols^T[n*P, CKK]
    const float beta = (accumulate || first != last_first) ? 1.0f : 0.0f;
    kernels::gemm(Trans::kNo, Trans::kYes, oc, ckk, n * P, 1.0f, dyt, n * P, cols_.data(), n * P, beta,
                  grad(0).data(), ckk);
  }
}

void Conv2d::backward_input(const Tensor& x, const Tensor&, const Tensor&, Tensor& dx) {
  const int64_t batch = x.dim(0);
  ensure_shape(dx, batch, input_shape());
  dx.fill(0.0f);
  const int64_t oc = out_channels_, ckk = geometry_.col_rows(), P = plane_;
  const int64_t image = input_shape().numel();
  const int64_t chunk = chunk_images(batch);
  cols_first_ = -1;  // cols_ now holds column gradients
  for (int64_t first = 0; first < batch; first += chunk) {
    const int64_t n = std::min(chunk, batch - first);
    const size_t need = static_cast<size_t>(ckk * n * P);
    if (cols_.size() < need) cols_.resize(need);
    // dcols[CKK, n*P] = W^T[CKK, OC] dyT[OC, n*P]
    kernels::gemm(Trans::kYes, Trans::kNo, ckk, n * P, oc, 1.0f, param(0).data(), ckk,
                  dy_t_.data() + first * oc * P, n * P, 0.0f, cols_.data(), n * P);
    for (int64_t j = 0; j < n; ++j) {
      kernels::col2im(geometry_, cols_.data() + j * P, n * P, dx.data() + (first + j) * image);
    }
  }
}

}  // namespace dpeval::nn
