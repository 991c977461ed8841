// Huge-page advice and the uninitialised column allocator: hints that must
// never change what a buffer holds.
#include "dpeval/core/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

namespace dpeval {
namespace {

TEST(HugePages, AdviceIsAHintOnAnyRange) {
  advise_huge_pages(nullptr, 0);
  advise_huge_pages(nullptr, size_t{1} << 30);  // nothing to advise
  std::vector<double> small(10, 1.0);
  advise_huge_pages(small.data(), small.size() * sizeof(double));  // under 2 MiB: left alone
  std::vector<double> big(size_t{3} << 20, 2.0);                   // 24 MiB, already touched
  advise_huge_pages(big.data(), big.size() * sizeof(double));
  EXPECT_EQ(small, std::vector<double>(10, 1.0));
  EXPECT_EQ(big, std::vector<double>(size_t{3} << 20, 2.0));
}

TEST(HugePages, ResizeKeepsTheValuesAndZeroFillsAPlainVector) {
  std::vector<int64_t> v(1000);
  std::iota(v.begin(), v.end(), 0);
  resize_on_huge_pages(v, size_t{1} << 20);  // grows past capacity: a fresh buffer
  ASSERT_EQ(v.size(), size_t{1} << 20);
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(v[static_cast<size_t>(i)], i);
  for (size_t i = 1000; i < v.size(); ++i) ASSERT_EQ(v[i], 0) << i;
  resize_on_huge_pages(v, 10);  // shrinks in place
  EXPECT_EQ(v.size(), 10u);
  EXPECT_EQ(v[9], 9);
}

TEST(HugePages, UninitializedAllocatorKeepsWhatIsWrittenAndCopiesLikeAVector) {
  std::vector<double, UninitializedAllocator<double>> v;
  resize_on_huge_pages(v, size_t{1} << 20);
  ASSERT_EQ(v.size(), size_t{1} << 20);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  resize_on_huge_pages(v, (size_t{1} << 20) + 5);  // grows: the values move along
  for (size_t i = 0; i < (size_t{1} << 20); ++i) ASSERT_EQ(v[i], static_cast<double>(i));
  const std::vector<double, UninitializedAllocator<double>> filled(4, 1.5);  // value constructors still fill
  EXPECT_EQ(filled, (std::vector<double, UninitializedAllocator<double>>{1.5, 1.5, 1.5, 1.5}));
  std::vector<double, UninitializedAllocator<double>> copy = filled;
  copy.push_back(2.5);
  EXPECT_EQ(copy.back(), 2.5);
  EXPECT_EQ(copy.size(), 5u);
}

}  // namespace
}  // namespace dpeval
