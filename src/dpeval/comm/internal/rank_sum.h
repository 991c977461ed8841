// The one local reduction both backends use (Note [Rank-order sums] in
// communicator.h): element i of the result is ((s_0[i] + s_1[i]) + s_2[i]) + ...
// in float32, sources given in rank order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dpeval/comm/communicator.h"

namespace dpeval::comm::internal {

// dst[i] = (rank-order sum of sources[r][i]) * scale, i in [0, n); scale 1
// multiplies nothing. dst may be one of the sources (each block is read before
// it is written). sources.size() >= 1.
void sum_rank_order(std::span<const float* const> sources, size_t n, float* dst, float scale = 1.0f);

// The same over 16-bit values: decoded to float32, summed in rank order,
// multiplied by scale, and rounded to `format` once.
void sum_rank_order_half(std::span<const uint16_t* const> sources, size_t n, HalfFormat format, uint16_t* dst,
                         float scale = 1.0f);

}  // namespace dpeval::comm::internal
