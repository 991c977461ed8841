// Portable scalar KernelTable: plain loops over [rows, cols] matrices, [channels,
// plane] blocks and flat arrays. Reductions follow Note [Striped sums] so that
// results are bitwise those of the AVX2 table (Note [Bitwise equal across ISAs]).
#include <algorithm>

#include "dpeval/kernels/internal/im2col_internal.h"
#include "dpeval/kernels/internal/kernel_table.h"

namespace dpeval::kernels::internal {
namespace {

inline float relu_of(float v) { return v < 0.0f ? 0.0f : v; }

void bias_add_rows(int64_t rows, int64_t cols, const float* bias, float* x) {
  for (int64_t r = 0; r < rows; ++r, x += cols)
    for (int64_t c = 0; c < cols; ++c) x[c] += bias[c];
}

void bias_relu_rows(int64_t rows, int64_t cols, const float* bias, float* x) {
  for (int64_t r = 0; r < rows; ++r, x += cols)
    for (int64_t c = 0; c < cols; ++c) x[c] = relu_of(x[c] + bias[c]);
}

void bias_add_channels(int64_t channels, int64_t plane, const float* bias, float* x) {
  for (int64_t c = 0; c < channels; ++c, x += plane) {
    const float b = bias[c];
    for (int64_t p = 0; p < plane; ++p) x[p] += b;
  }
}

void relu_forward(int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = relu_of(x[i]);
}

void relu_backward(int64_t n, const float* y, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void sum_rows(int64_t rows, int64_t cols, const float* x, float* out, bool accumulate) {
  if (!accumulate) std::fill(out, out + cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r, x += cols)
    for (int64_t c = 0; c < cols; ++c) out[c] += x[c];
}

// See Note [Striped sums].
template <typename Acc>
Acc striped_sum(int64_t n, const float* x) {
  Acc lane[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) lane[k] += static_cast<Acc>(x[i + k]);
  Acc t[4];
  for (int k = 0; k < 4; ++k) t[k] = lane[k] + lane[k + 4];
  Acc s = (t[0] + t[2]) + (t[1] + t[3]);
  for (; i < n; ++i) s += static_cast<Acc>(x[i]);
  return s;
}

void sum_channels(int64_t batch, int64_t channels, int64_t plane, const float* x, float* out,
                  bool accumulate) {
  if (!accumulate) std::fill(out, out + channels, 0.0f);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c, x += plane) out[c] += striped_sum<float>(plane, x);
}

void axpy(int64_t n, float alpha, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void scale(int64_t n, float alpha, float* x) {
  for (int64_t i = 0; i < n; ++i) x[i] *= alpha;
}

double sum(int64_t n, const float* x) { return striped_sum<double>(n, x); }

void u8_to_float(int64_t n, const uint8_t* in, float scale, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = scale * static_cast<float>(in[i]);
}

constexpr KernelTable kScalarTable = {
    "scalar",
    bias_add_rows,
    bias_relu_rows,
    bias_add_channels,
    relu_forward,
    relu_backward,
    sum_rows,
    sum_channels,
    axpy,
    scale,
    sum,
    u8_to_float,
    im2col_portable,
    col2im_portable,
    fp16_from_float_portable,
    fp16_to_float_portable,
    bf16_from_float_portable,
    bf16_to_float_portable,
};

}  // namespace

const KernelTable& scalar_table() { return kScalarTable; }

const KernelTable& active_table() {
  static const KernelTable& table = avx2_table() != nullptr ? *avx2_table() : scalar_table();
  return table;
}

}  // namespace dpeval::kernels::internal
