// Transparent huge page advice; see huge_pages.h.
#include "dpeval/core/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace dpeval {

void advise_huge_pages(void* data, size_t bytes) {
  constexpr auto kHuge = static_cast<uintptr_t>(kHugePageBytes);
  if (data == nullptr || bytes < kHuge) return;
  const auto begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t last = (begin + bytes) & ~(kHuge - 1);
  if (last > first) {
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);  // a hint; errors ignored
  }
}

}  // namespace dpeval
