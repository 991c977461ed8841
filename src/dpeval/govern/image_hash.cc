// aHash-196; see Note [Image hash] in image_hash.h.
#include "dpeval/govern/image_hash.h"

#include <algorithm>
#include <vector>

namespace dpeval::govern {

ImageHash image_ahash(std::span<const uint8_t> pixels, int64_t h, int64_t w) {
  const int64_t gh = std::min<int64_t>(14, h), gw = std::min<int64_t>(14, w);
  uint64_t total = 0;
  for (uint8_t p : pixels) total += p;
  const uint64_t area = static_cast<uint64_t>(h * w);
  ImageHash hash{0, 0, 0, 0};
  for (int64_t i = 0; i < gh; ++i) {
    const int64_t r0 = i * h / gh, r1 = (i + 1) * h / gh;
    for (int64_t j = 0; j < gw; ++j) {
      const int64_t c0 = j * w / gw, c1 = (j + 1) * w / gw;
      uint64_t sum = 0;
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) sum += pixels[r * w + c];
      }
      const uint64_t block = static_cast<uint64_t>((r1 - r0) * (c1 - c0));
      if (sum * area > total * block) {
        const int64_t bit = i * gw + j;
        hash[bit / 64] |= uint64_t{1} << (bit % 64);
      }
    }
  }
  return hash;
}

}  // namespace dpeval::govern
