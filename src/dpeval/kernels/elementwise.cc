// Elementwise and reduction kernels of kernels.h over [rows, cols] matrices,
// [channels, plane] blocks (plane = H*W) and flat spans. Each checks its
// contract, then calls the KernelTable chosen for this CPU (internal/
// kernel_table.h); GELU stays scalar (std::erf / std::exp) in every table.
#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/kernels/internal/kernel_table.h"
#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels {
namespace {

using internal::active_table;

int64_t ssize(std::span<const float> s) { return static_cast<int64_t>(s.size()); }

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

}  // namespace

void bias_add_rows(int64_t rows, int64_t cols, const float* bias, float* x) {
  DPEVAL_CHECK(rows >= 0 && cols >= 0) << "bias_add_rows: rows=" << rows << " cols=" << cols;
  active_table().bias_add_rows(rows, cols, bias, x);
}

void bias_relu_rows(int64_t rows, int64_t cols, const float* bias, float* x) {
  DPEVAL_CHECK(rows >= 0 && cols >= 0) << "bias_relu_rows: rows=" << rows << " cols=" << cols;
  active_table().bias_relu_rows(rows, cols, bias, x);
}

void bias_add_channels(int64_t channels, int64_t plane, const float* bias, float* x) {
  DPEVAL_CHECK(channels >= 0 && plane >= 0)
      << "bias_add_channels: channels=" << channels << " plane=" << plane;
  active_table().bias_add_channels(channels, plane, bias, x);
}

void relu_forward(std::span<const float> x, std::span<float> y) {
  DPEVAL_CHECK(x.size() == y.size()) << "relu_forward: " << x.size() << " vs " << y.size();
  active_table().relu_forward(ssize(x), x.data(), y.data());
}

void relu_backward(std::span<const float> y, std::span<const float> dy, std::span<float> dx) {
  DPEVAL_CHECK(y.size() == dy.size() && dy.size() == dx.size())
      << "relu_backward: " << y.size() << ", " << dy.size() << ", " << dx.size();
  active_table().relu_backward(ssize(y), y.data(), dy.data(), dx.data());
}

void gelu_forward(std::span<const float> x, std::span<float> y) {
  DPEVAL_CHECK(x.size() == y.size()) << "gelu_forward: " << x.size() << " vs " << y.size();
  for (size_t i = 0; i < x.size(); ++i) y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
}

// d/dx [x * Phi(x)] = Phi(x) + x * phi(x).
void gelu_backward(std::span<const float> x, std::span<const float> dy, std::span<float> dx) {
  DPEVAL_CHECK(x.size() == dy.size() && dy.size() == dx.size())
      << "gelu_backward: " << x.size() << ", " << dy.size() << ", " << dx.size();
  for (size_t i = 0; i < x.size(); ++i) {
    const float v = x[i];
    const float cdf = 0.5f * (1.0f + std::erf(v * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * std::exp(-0.5f * v * v);
    dx[i] = dy[i] * (cdf + v * pdf);
  }
}

void sum_rows(int64_t rows, int64_t cols, const float* x, float* out, bool accumulate) {
  DPEVAL_CHECK(rows >= 0 && cols >= 0) << "sum_rows: rows=" << rows << " cols=" << cols;
  active_table().sum_rows(rows, cols, x, out, accumulate);
}

void sum_channels(int64_t batch, int64_t channels, int64_t plane, const float* x, float* out,
                  bool accumulate) {
  DPEVAL_CHECK(batch >= 0 && channels >= 0 && plane >= 0)
      << "sum_channels: batch=" << batch << " channels=" << channels << " plane=" << plane;
  active_table().sum_channels(batch, channels, plane, x, out, accumulate);
}

void axpy(float alpha, std::span<const float> x, std::span<float> y) {
  DPEVAL_CHECK(x.size() == y.size()) << "axpy: " << x.size() << " vs " << y.size();
  active_table().axpy(ssize(x), alpha, x.data(), y.data());
}

void scale(float alpha, std::span<float> x) { active_table().scale(ssize(x), alpha, x.data()); }

double sum(std::span<const float> x) { return active_table().sum(ssize(x), x.data()); }

void u8_to_float(std::span<const uint8_t> in, float scale, std::span<float> out) {
  DPEVAL_CHECK(in.size() == out.size()) << "u8_to_float: " << in.size() << " vs " << out.size();
  active_table().u8_to_float(static_cast<int64_t>(in.size()), in.data(), scale, out.data());
}

}  // namespace dpeval::kernels
