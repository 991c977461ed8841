// Blocked rank-order sums: a block of kBlock elements is accumulated in a
// local array source after source, so the compiler vectorizes the adds while
// each element still sees the additions in rank order.
#include "dpeval/comm/internal/rank_sum.h"

#include <algorithm>

#include "dpeval/core/check.h"
#include "dpeval/kernels/half.h"

namespace dpeval::comm::internal {
namespace {

constexpr size_t kBlock = 512;

}  // namespace

void sum_rank_order(std::span<const float* const> sources, size_t n, float* dst, float scale) {
  DPEVAL_CHECK(!sources.empty());
  float acc[kBlock];
  for (size_t begin = 0; begin < n; begin += kBlock) {
    const size_t len = std::min(kBlock, n - begin);
    const float* first = sources[0] + begin;
    for (size_t i = 0; i < len; ++i) acc[i] = first[i];
    for (size_t r = 1; r < sources.size(); ++r) {
      const float* src = sources[r] + begin;
      for (size_t i = 0; i < len; ++i) acc[i] += src[i];
    }
    if (scale != 1.0f) {
      for (size_t i = 0; i < len; ++i) acc[i] *= scale;
    }
    std::copy(acc, acc + len, dst + begin);
  }
}

void sum_rank_order_half(std::span<const uint16_t* const> sources, size_t n, HalfFormat format, uint16_t* dst,
                         float scale) {
  DPEVAL_CHECK(!sources.empty());
  const bool fp16 = format == HalfFormat::kFloat16;
  float acc[kBlock], tmp[kBlock];
  auto decode = [&](const uint16_t* src, size_t len, float* out) {
    if (fp16) {
      kernels::fp16_to_float(std::span(src, len), std::span(out, len));
    } else {
      kernels::bf16_to_float(std::span(src, len), std::span(out, len));
    }
  };
  for (size_t begin = 0; begin < n; begin += kBlock) {
    const size_t len = std::min(kBlock, n - begin);
    decode(sources[0] + begin, len, acc);
    for (size_t r = 1; r < sources.size(); ++r) {
      decode(sources[r] + begin, len, tmp);
      for (size_t i = 0; i < len; ++i) acc[i] += tmp[i];
    }
    if (scale != 1.0f) {
      for (size_t i = 0; i < len; ++i) acc[i] *= scale;
    }
    if (fp16) {
      kernels::fp16_from_float(std::span<const float>(acc, len), std::span(dst + begin, len));
    } else {
      kernels::bf16_from_float(std::span<const float>(acc, len), std::span(dst + begin, len));
    }
  }
}

}  // namespace dpeval::comm::internal
