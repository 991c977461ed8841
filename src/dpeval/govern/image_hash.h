// The audit's perceptual image hash, for near-duplicate images between train
// and test (leakage.near_duplicates).
//
// Note [Image hash]
// dHash-364, a difference hash on a 14 x 14 grid of block sums, exact in
// integers so that any implementation (tests/govern/fmnist_leakage.py) gets the
// same bits: the H x W uint8 image is cut into a Gh x Gw grid (Gh = min(14, H),
// Gw = min(14, W)); block (i, j) covers rows [i*H/Gh, (i+1)*H/Gh) and columns
// [j*W/Gw, (j+1)*W/Gw) (integer division) and S(i, j) is its pixel sum.
// Bits, in this order: for i < Gh, j < Gw - 1: S(i, j+1) > S(i, j) (horizontal
// gradients, row by row), then for i < Gh - 1, j < Gw: S(i+1, j) > S(i, j)
// (vertical). Bit b sits in word b / 64 at bit b % 64. For 28 x 28 images a
// block is 2 x 2 pixels and there are 182 + 182 = 364 bits. Two images are
// near-duplicates when the Hamming distance of their hashes is at most
// kNearDuplicateBits (and they are not byte-identical).
// Why dHash and not an average hash: on Fashion-MNIST an average hash on the
// same grid (block above the image mean) puts 78 % of the test images within 8
// bits of a train image (similar silhouettes); dHash-364 puts 14 there, and
// none at distance 0.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <span>

namespace dpeval::govern {

using ImageHash = std::array<uint64_t, 6>;

inline constexpr int kNearDuplicateBits = 8;  // of 364

// Precondition: pixels.size() == h * w, h >= 1, w >= 1.
ImageHash image_dhash(std::span<const uint8_t> pixels, int64_t h, int64_t w);

inline int hamming(const ImageHash& a, const ImageHash& b) {
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += std::popcount(a[i] ^ b[i]);
  return d;
}

}  // namespace dpeval::govern
