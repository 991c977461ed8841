// The two-sample Kolmogorov-Smirnov statistic of two samples in any order,
// found without sorting them: counts over value buckets bound where the
// largest gap between the empirical CDFs can be, and only the few buckets
// that could hold it are looked into (Note [KS without sorting]).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <future>
#include <limits>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/stats/two_sample.h"

namespace dpeval::stats {
namespace {

// Note [KS without sorting]
// D = max over data values x of |F_a(x) - F_b(x)| = max |i n - j m| / (m n),
// where i and j count the values of a (m of them) and b (n) that are <= x.
// Sorting 2M doubles costs more than everything else scipy's ks_2samp does;
// this finds the same maximum from counts:
//
// 1. Bucket every value by the top 16 bits of its order key as a float (sign,
//    exponent, 7 mantissa bits: a bucket is a 2^-7 relative slice of a
//    binade). Rounding to float is monotone, so buckets are disjoint ranges
//    of values in order, and equal doubles share a bucket.
// 2. After a whole bucket, (i, j) is the count at the bucket's largest value,
//    a real point of the maximum: the largest such |i n - j m| is a lower
//    bound L on the answer.
// 3. Inside a bucket that starts at (i0, j0) and holds ca values of a and cb
//    of b, every point lies in the box [i0, i0 + ca] x [j0, j0 + cb], where
//    |i n - j m| is at most U = max((i0 + ca) n - j0 m, (j0 + cb) m - i0 n).
//    A bucket with U <= L cannot beat L; nor can one holding values of one
//    sample only (|i n - j m| moves one way across it, so its ends bound it).
// 4. The values of the buckets left are copied out (one read of each
//    sample) and each bucket is looked into the same way with the next 8 key
//    bits, then the last 8; a sub-bucket still in question after all 32 bits
//    (doubles that round to one float) is sorted and walked exactly.
//
// Every comparison is in integers (m, n < 2^31), so the pruning is exact and
// the result is the same number as ks_and_wasserstein's, |i n - j m| / (m n)
// with one rounding. A bucket holding one value only (a discrete column) is
// not looked into: its only point is its end. What remains after step 3 is
// the data's business: for 1M normal(0, 1) against 1M normal(0.05, 1.1), 118
// buckets holding 14 % of the values; for two samples of one distribution
// the gap is small everywhere and most buckets remain, each split by the next
// level. The cost is two reads of each sample (the counts, the copy) plus
// work on what was copied, against a sort's four passes of reads and writes:
// bench/drift measures 7 ms against 37 ms sorting for the first pair, on one
// thread.

constexpr int kTopBits = 16;
constexpr int kSubBits = 8;
constexpr size_t kSortBelow = 1 << 14;  // m + n below this: sort both and walk
constexpr size_t kExactBelow = 32;      // a bucket this small is sorted and walked

// The order key of x rounded to float: non-decreasing in x, equal for equal
// doubles (-0.0 becomes +0.0 first). Values beyond float's range are clamped
// to it (a cast out of range is undefined), NaN to its top: callers find NaN
// with x != x. Branch-free (minsd, maxsd; the sign by arithmetic): data of
// both signs would mispredict a branch here half the time.
uint32_t float_key(double x) {
  constexpr double kMax = std::numeric_limits<float>::max();
  x += 0.0;
  x = x < kMax ? x : kMax;
  x = x > -kMax ? x : -kMax;
  const uint32_t u = std::bit_cast<uint32_t>(static_cast<float>(x));
  // Negative: all bits flipped; positive: the sign bit set.
  return u ^ (static_cast<uint32_t>(static_cast<int32_t>(u) >> 31) | 0x80000000u);
}

// The search's state: the sizes and the best |i n - j m| so far.
struct Search {
  int64_t m = 0, n = 0;
  int64_t best = 0;
  int64_t gap(int64_t i, int64_t j) const { return std::abs(i * n - j * m); }
  // Whether a bucket from (i0, j0) holding ca and cb values may beat best.
  bool worth_a_look(int64_t i0, int64_t j0, int64_t ca, int64_t cb) const {
    if (ca == 0 || cb == 0) return false;
    return std::max((i0 + ca) * n - j0 * m, (j0 + cb) * m - i0 * n) > best;
  }
};

// Sorts both and walks their merged distinct values from (i0, j0).
void walk_exact(std::span<double> a, std::span<double> b, int64_t i0, int64_t j0, Search& s) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    const double x = i == a.size() ? b[j] : (j == b.size() ? a[i] : std::min(a[i], b[j]));
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    s.best = std::max(s.best, s.gap(i0 + static_cast<int64_t>(i), j0 + static_cast<int64_t>(j)));
  }
}

// Whether both samples hold copies of one value only (a bucket of a
// discrete column, where looking deeper finds nothing new). Precondition:
// not both empty.
bool one_value(std::array<std::span<const double>, 2> side) {
  const double x = side[0].empty() ? side[1][0] : side[0][0];
  bool same = true;
  for (std::span<const double> v : side) {
    for (double y : v) same &= y == x;
  }
  return same;
}

// fn(0) and fn(1), on two threads when `concurrent`.
template <typename Fn>
void for_both(bool concurrent, Fn&& fn) {
  if (!concurrent) {
    fn(0);
    fn(1);
    return;
  }
  std::future<void> other = std::async(std::launch::async, [&fn] { fn(1); });
  fn(0);
  other.get();
}

// Where one level counts and copies its values. The top level's are kept by
// the calling thread from one call to the next (Note [Buffers kept]); a
// sub-level's are its own, a few KB.
struct Buffers {
  std::array<std::vector<uint32_t>, 2> count;
  std::array<std::vector<double>, 2> values;
};

// Note [Buffers kept]
// Fresh memory costs a page fault per 4 KB on first touch, and on the
// virtual machines we measure on a fault costs microseconds: the top level's
// 512 KB of counts and its copies (14 % of 2M values for data that drifted)
// faulted for more time than the counting took. So the calling thread keeps
// them: the counts always (512 KB), the copies while under kKeptValues.
constexpr size_t kKeptValues = size_t{1} << 20;  // doubles per sample (8 MB)

// Note [Copying without a branch]
// Which values are copied is data, a few percent to all of them in no
// order, so a branch on it mispredicts often and cost more than the rest of
// the read. Each block of kBlock values is first listed branch-free (every
// value's index is written, the list grows only past the kept ones), then
// only the listed ones are copied.
constexpr size_t kBlock = 256;

// One bucket's values of a and b (side[0], side[1]), which agree on the key
// bits above shift + bits and start at (i0, j0), looked into by the next
// `bits` key bits: steps 2 to 4 of Note [KS without sorting]. The top level
// is the whole samples with bits 16; below it, 8 bits
// at a time, then exactly.
void look_into(std::array<std::span<const double>, 2> side, int64_t i0, int64_t j0, int bits, int shift,
               bool concurrent, Buffers& buf, Search& s) {
  if (shift < 0 || side[0].size() + side[1].size() < kExactBelow) {
    std::vector<double> a(side[0].begin(), side[0].end()), b(side[1].begin(), side[1].end());
    walk_exact(a, b, i0, j0, s);
    return;
  }
  if (shift + bits < 32 && one_value(side)) return;  // its only point is its end, counted above
  const size_t buckets = size_t{1} << bits;
  auto bucket = [shift, buckets](double x) { return (float_key(x) >> shift) & (buckets - 1); };
  std::array<std::vector<uint32_t>, 2>& count = buf.count;
  std::array<bool, 2> nan = {false, false};
  for_both(concurrent, [&](int t) {
    count[t].assign(buckets, 0);
    bool seen = false;
    for (double x : side[t]) {
      ++count[t][bucket(x)];
      seen |= x != x;  // NaN
    }
    nan[t] = seen;
  });
  DPEVAL_CHECK(!nan[0] && !nan[1]) << "ks_statistic_unsorted: NaN in a sample";
  // Every bucket's end first, so best is as high as counts can make it.
  int64_t i = i0, j = j0;
  for (size_t k = 0; k < buckets; ++k) {
    i += count[0][k];
    j += count[1][k];
    s.best = std::max(s.best, s.gap(i, j));
  }
  // Then the buckets still worth a look, and where each one's values go in
  // the copies. count[0] becomes the map from bucket to part (kNone: none).
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<std::pair<int64_t, int64_t>> part_start;
  std::array<std::vector<size_t>, 2> begin;
  std::array<size_t, 2> copied = {0, 0};
  i = i0;
  j = j0;
  for (size_t k = 0; k < buckets; ++k) {
    const uint32_t ca = count[0][k], cb = count[1][k];
    count[0][k] = kNone;
    if (s.worth_a_look(i, j, ca, cb)) {
      count[0][k] = static_cast<uint32_t>(part_start.size());
      part_start.emplace_back(i, j);
      begin[0].push_back(copied[0]);
      begin[1].push_back(copied[1]);
      copied[0] += ca;
      copied[1] += cb;
    }
    i += ca;
    j += cb;
  }
  if (part_start.empty()) return;
  const std::vector<uint32_t>& part = count[0];
  for_both(concurrent, [&](int t) {
    buf.values[t].resize(copied[t]);
    double* values = buf.values[t].data();
    std::vector<size_t> next = begin[t];
    // See Note [Copying without a branch].
    const std::span<const double> in = side[t];
    std::array<uint32_t, kBlock> at, to;
    for (size_t block = 0; block < in.size(); block += kBlock) {
      const size_t size = std::min(kBlock, in.size() - block);
      size_t kept = 0;
      for (size_t e = 0; e < size; ++e) {
        const uint32_t q = part[bucket(in[block + e])];
        at[kept] = static_cast<uint32_t>(e);
        to[kept] = q;
        kept += q != kNone;
      }
      for (size_t e = 0; e < kept; ++e) values[next[to[e]]++] = in[block + at[e]];
    }
    begin[t].push_back(copied[t]);
  });
  Buffers sub;
  for (size_t q = 0; q < part_start.size(); ++q) {
    std::array<std::span<const double>, 2> in;
    for (int t = 0; t < 2; ++t)
      in[t] = std::span<const double>(buf.values[t]).subspan(begin[t][q], begin[t][q + 1] - begin[t][q]);
    look_into(in, part_start[q].first, part_start[q].second, kSubBits, shift - kSubBits, false, sub, s);
  }
}

}  // namespace

double ks_statistic_unsorted(std::span<const double> a, std::span<const double> b, bool concurrent) {
  if (a.empty() || b.empty()) return 0;
  constexpr size_t kMaxSize = size_t{1} << 31;
  DPEVAL_CHECK(a.size() < kMaxSize && b.size() < kMaxSize)
      << "ks_statistic_unsorted: samples of " << a.size() << " and " << b.size() << " values";
  Search s{static_cast<int64_t>(a.size()), static_cast<int64_t>(b.size())};
  if (a.size() + b.size() < kSortBelow) {
    DPEVAL_CHECK(std::none_of(a.begin(), a.end(), [](double x) { return std::isnan(x); }) &&
                 std::none_of(b.begin(), b.end(), [](double x) { return std::isnan(x); }))
        << "ks_statistic_unsorted: NaN in a sample";
    Buffers unused;
    look_into({a, b}, 0, 0, kTopBits, -1, false, unused, s);
  } else {
    thread_local Buffers kept;  // see Note [Buffers kept]
    look_into({a, b}, 0, 0, kTopBits, 32 - kTopBits, concurrent, kept, s);
    for (std::vector<double>& v : kept.values) {
      if (v.capacity() > kKeptValues) std::vector<double>().swap(v);
    }
  }
  return static_cast<double>(s.best) / (static_cast<double>(a.size()) * static_cast<double>(b.size()));
}

}  // namespace dpeval::stats
