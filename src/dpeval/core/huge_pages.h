// Large buffers on transparent huge pages.
//
// Note [Huge pages for big columns]
// A freshly allocated buffer of 100 MB is 25,000 4 KiB pages, each faulted in
// (and zeroed) on first touch; on a virtual machine a fault costs a few
// microseconds, so filling the buffer cost more in the kernel than the parse
// that fills it. With transparent huge pages in `madvise` mode (Debian's
// default) a region marked MADV_HUGEPAGE before its first touch faults in 2 MiB
// at a time: 50 faults instead of 25,000. The advice is a hint: where the kernel
// has no huge pages to give, or THP is off, nothing changes but the speed.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace dpeval {

// Asks the kernel to back the 2 MiB-aligned interior of [data, data + bytes)
// with huge pages on first touch. Regions under 4 MiB are left alone (no whole
// huge page fits reliably). Never fails: a refused hint is ignored.
void advise_huge_pages(void* data, size_t bytes);

// v.resize(n) (zero-filled, or left uninitialised with an
// UninitializedAllocator below), with the new storage advised onto huge pages
// before it is touched (Note [Huge pages for big columns]). Use for buffers
// of millions of elements that are filled once.
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

namespace dpeval {

// An allocator whose value-initialisation leaves trivial types uninitialised:
// a std::vector<T, UninitializedAllocator<T>> resized to n allocates and does
// not write, so the threads that fill it touch its pages first, in parallel.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

}  // namespace dpeval
