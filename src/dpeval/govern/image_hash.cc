// dHash-364; see Note [Image hash] in image_hash.h.
#include "dpeval/govern/image_hash.h"

#include <algorithm>

namespace dpeval::govern {

ImageHash image_dhash(std::span<const uint8_t> pixels, int64_t h, int64_t w) {
  const int64_t gh = std::min<int64_t>(14, h), gw = std::min<int64_t>(14, w);
  uint64_t sums[14][14] = {};
  for (int64_t i = 0; i < gh; ++i) {
    const int64_t r0 = i * h / gh, r1 = (i + 1) * h / gh;
    for (int64_t j = 0; j < gw; ++j) {
      const int64_t c0 = j * w / gw, c1 = (j + 1) * w / gw;
      uint64_t sum = 0;
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) sum += pixels[r * w + c];
      }
      sums[i][j] = sum;
    }
  }
  ImageHash hash{};
  int64_t bit = 0;
  auto put = [&](bool on) {
    if (on) hash[bit / 64] |= uint64_t{1} << (bit % 64);
    ++bit;
  };
  for (int64_t i = 0; i < gh; ++i) {
    for (int64_t j = 0; j + 1 < gw; ++j) put(sums[i][j + 1] > sums[i][j]);
  }
  for (int64_t i = 0; i + 1 < gh; ++i) {
    for (int64_t j = 0; j < gw; ++j) put(sums[i + 1][j] > sums[i][j]);
  }
  return hash;
}

}  // namespace dpeval::govern
