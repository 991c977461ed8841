// Large buffers on transparent huge pages.
//
// Note [Huge pages for big columns]
// A freshly allocated buffer of 100 MB is 25,000 4 KiB pages, each faulted in
// (and zeroed) on first touch; on a virtual machine a fault costs several
// microseconds, so filling the buffer cost more in the kernel than the parse
// that fills it. With transparent huge pages in `madvise` mode (Debian's
// default) a region marked MADV_HUGEPAGE before its first touch faults in 2 MiB
// at a time: 50 faults instead of 25,000. HugePageAllocator gives buffers of
// 2 MiB or more a 2 MiB-aligned start and a whole number of huge pages, so
// the whole buffer, not just its aligned interior, can be huge pages, and
// advises them before anything touches them. The advice is a hint: where the
// kernel has no huge pages to give, or THP is off, nothing changes but the
// speed.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace dpeval {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Asks the kernel to back the 2 MiB-aligned interior of [data, data + bytes)
// with huge pages on first touch. Regions under 2 MiB are left alone. Never
// fails: a refused hint is ignored.
void advise_huge_pages(void* data, size_t bytes);

// std::allocator, except that allocations of 2 MiB or more are 2 MiB-aligned
// and advised onto huge pages (Note [Huge pages for big columns]). For
// buffers of millions of elements; small ones are plain allocations.
template <typename T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)

  T* allocate(size_t n) {
    if (n > std::allocator_traits<std::allocator<T>>::max_size(std::allocator<T>())) throw std::bad_array_new_length();
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) return std::allocator<T>().allocate(n);
    const size_t whole = whole_huge_pages(bytes);
    void* p = ::operator new(whole, std::align_val_t{kHugePageBytes});
    advise_huge_pages(p, whole);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) {
      std::allocator<T>().deallocate(p, n);
    } else {
      ::operator delete(p, std::align_val_t{kHugePageBytes});  // unsized: clang has sized delete off by default
    }
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }

 private:
  // Whole huge pages: the last one is not split with the next allocation.
  static size_t whole_huge_pages(size_t bytes) {
    return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  }
};

// A vector for buffers of millions of elements.
template <typename T>
using BigVector = std::vector<T, HugePageAllocator<T>>;

// HugePageAllocator whose value-initialisation leaves elements
// uninitialised: a vector resized to n allocates and writes nothing, so the
// threads that fill it touch its pages first, in parallel. Copies and value
// constructors (vector(n, x), assign, push_back) still write. Only for
// buffers every element of which is written before it is read.
template <typename T>
struct UninitializedAllocator : HugePageAllocator<T> {
  static_assert(std::is_trivially_default_constructible_v<T>);
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)

  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// v.resize(n), the new storage advised onto huge pages before it is touched,
// for vectors whose allocator does not do so itself.
template <typename T, typename Allocator>
void resize_on_huge_pages(std::vector<T, Allocator>& v, size_t n) {
  if (n > v.capacity()) {
    std::vector<T, Allocator> fresh;
    fresh.reserve(n);
    advise_huge_pages(fresh.data(), n * sizeof(T));
    fresh.assign(v.begin(), v.end());
    v.swap(fresh);
  }
  v.resize(n);
}

}  // namespace dpeval
