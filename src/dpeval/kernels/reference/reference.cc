// Naive loops for every kernel of kernels.h: the oracle. See reference.h.
// Dimensions: GEMM M, N, K; conv C, H, W, KH, KW, OH, OW; [rows, cols] matrices.
#include "dpeval/kernels/reference/reference.h"

#include <cmath>
#include <numbers>

namespace dpeval::kernels::reference {

void gemm(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  auto a = [&](int64_t i, int64_t k) { return ta == Trans::kNo ? A[i * lda + k] : A[k * lda + i]; };
  auto b = [&](int64_t k, int64_t j) { return tb == Trans::kNo ? B[k * ldb + j] : B[j * ldb + k]; };
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0.0;
      for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(a(i, k)) * static_cast<double>(b(k, j));
      double c = static_cast<double>(alpha) * acc;
      if (beta != 0.0f) c += static_cast<double>(beta) * static_cast<double>(C[i * ldc + j]);
      C[i * ldc + j] = static_cast<float>(c);
    }
  }
}

void im2col(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc) {
  const int64_t oh = g.out_h(), ow = g.out_w();
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const int64_t row = (c * g.kernel_h + ki) * g.kernel_w + kj;
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t iy = oy * g.stride_h - g.pad_h + ki;
            const int64_t ix = ox * g.stride_w - g.pad_w + kj;
            const bool inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width;
            columns[row * ldc + oy * ow + ox] = inside ? image[(c * g.height + iy) * g.width + ix] : 0.0f;
          }
      }
}

void col2im(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image) {
  const int64_t oh = g.out_h(), ow = g.out_w();
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const int64_t row = (c * g.kernel_h + ki) * g.kernel_w + kj;
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t iy = oy * g.stride_h - g.pad_h + ki;
            const int64_t ix = ox * g.stride_w - g.pad_w + kj;
            if (iy >= 0 && iy < g.height && ix >= 0 && ix < g.width)
              image[(c * g.height + iy) * g.width + ix] += columns[row * ldc + oy * ow + ox];
          }
      }
}

void bias_add_rows(int64_t rows, int64_t cols, const float* bias, float* x) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) x[r * cols + c] = x[r * cols + c] + bias[c];
}

void bias_relu_rows(int64_t rows, int64_t cols, const float* bias, float* x) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const float v = x[r * cols + c] + bias[c];
      x[r * cols + c] = v < 0.0f ? 0.0f : v;
    }
}

void bias_add_channels(int64_t channels, int64_t plane, const float* bias, float* x) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t p = 0; p < plane; ++p) x[c * plane + p] = x[c * plane + p] + bias[c];
}

void relu_forward(std::span<const float> x, std::span<float> y) {
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void relu_backward(std::span<const float> y, std::span<const float> dy, std::span<float> dx) {
  for (size_t i = 0; i < y.size(); ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void gelu_forward(std::span<const float> x, std::span<float> y) {
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    y[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::numbers::sqrt2)));
  }
}

void gelu_backward(std::span<const float> x, std::span<const float> dy, std::span<float> dx) {
  const double inv_sqrt_2pi = std::numbers::inv_sqrtpi / std::numbers::sqrt2;
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    const double cdf = 0.5 * (1.0 + std::erf(v / std::numbers::sqrt2));
    const double pdf = inv_sqrt_2pi * std::exp(-0.5 * v * v);
    dx[i] = static_cast<float>(static_cast<double>(dy[i]) * (cdf + v * pdf));
  }
}

void sum_rows(int64_t rows, int64_t cols, const float* x, float* out, bool accumulate) {
  for (int64_t c = 0; c < cols; ++c) {
    double s = accumulate ? out[c] : 0.0;
    for (int64_t r = 0; r < rows; ++r) s += x[r * cols + c];
    out[c] = static_cast<float>(s);
  }
}

void sum_channels(int64_t batch, int64_t channels, int64_t plane, const float* x, float* out,
                  bool accumulate) {
  for (int64_t c = 0; c < channels; ++c) {
    double s = accumulate ? out[c] : 0.0;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t p = 0; p < plane; ++p) s += x[(b * channels + c) * plane + p];
    out[c] = static_cast<float>(s);
  }
}

void axpy(float alpha, std::span<const float> x, std::span<float> y) {
  for (size_t i = 0; i < x.size(); ++i) {
    const float product = alpha * x[i];
    y[i] = y[i] + product;
  }
}

void scale(float alpha, std::span<float> x) {
  for (float& v : x) v = v * alpha;
}

double sum(std::span<const float> x) {
  double s = 0.0;
  for (float v : x) s += v;
  return s;
}

void u8_to_float(std::span<const uint8_t> in, float scale, std::span<float> out) {
  for (size_t i = 0; i < in.size(); ++i) out[i] = scale * static_cast<float>(in[i]);
}

}  // namespace dpeval::kernels::reference
