// The audit's perceptual image hash, for near-duplicate images between train
// and test (leakage.near_duplicates).
//
// Note [Image hash]
// aHash-196, an average hash on a 14 x 14 grid, exact in integers so that any
// implementation (tests/govern/fmnist_leakage.py) gets the same bits:
// the H x W uint8 image is cut into a Gh x Gw grid (Gh = min(14, H), Gw =
// min(14, W)); block (i, j) covers rows [i*H/Gh, (i+1)*H/Gh) and columns
// [j*W/Gw, (j+1)*W/Gw) (integer division); bit i*Gw + j is 1 when the block's
// mean is above the image's mean, compared exactly as
//   block_sum * (H*W) > image_sum * block_pixels.
// Bit b sits in word b / 64 at bit b % 64. For 28 x 28 images a block is 2 x 2
// pixels. Two images are near-duplicates when the Hamming distance of their
// hashes is at most kNearDuplicateBits (and they are not byte-identical).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <span>

namespace dpeval::govern {

using ImageHash = std::array<uint64_t, 4>;

inline constexpr int kNearDuplicateBits = 8;  // of 196

// Precondition: pixels.size() == h * w, h >= 1, w >= 1.
ImageHash image_ahash(std::span<const uint8_t> pixels, int64_t h, int64_t w);

inline int hamming(const ImageHash& a, const ImageHash& b) {
  return std::popcount(a[0] ^ b[0]) + std::popcount(a[1] ^ b[1]) + std::popcount(a[2] ^ b[2]) +
         std::popcount(a[3] ^ b[3]);
}

}  // namespace dpeval::govern
