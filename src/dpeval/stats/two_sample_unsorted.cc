// The two-sample Kolmogorov-Smirnov statistic and the Wasserstein distance of
// two samples in any order, found without sorting them: counts (and sums)
// over value buckets bound where the CDFs can be furthest apart and settle
// the area between them wherever it cannot change sign, and only the few
// buckets left are looked into (Notes [KS without sorting] and [Wasserstein
// without sorting]).
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
// D = max over data values x of |F_a(x) - F_b(x)| = max |G| / (m n), where
// G = i n - j m and i, j count the values of a (m of them) and b (n) that
// are <= x. Sorting 2M doubles costs more than everything else scipy's
// ks_2samp does; this finds the same maximum from counts:
//
// 1. Bucket every value by the top 16 bits of its order key as a float (sign,
//    exponent, 7 mantissa bits: a bucket is a 2^-7 relative slice of a
//    binade). Rounding to float is monotone, so buckets are disjoint ranges
//    of values in order, and equal doubles share a bucket.
// 2. After a whole bucket, (i, j) is the count at the bucket's largest value,
//    a real point of the maximum: the largest such |G| is a lower bound L.
// 3. Inside a bucket that starts at (i0, j0) and holds ca values of a and cb
//    of b, every point lies in the box [i0, i0 + ca] x [j0, j0 + cb], where
//    |G| is at most U = max((i0 + ca) n - j0 m, (j0 + cb) m - i0 n). A bucket
//    with U <= L cannot beat L; nor can one holding values of one sample only
//    (G moves one way across it, so its ends bound it).
// 4. The values of the buckets left are copied out (one read of each
//    sample) and each bucket is looked into the same way with the next 8 key
//    bits, then the last 8; a sub-bucket still in question after all 32 bits
//    (doubles that round to one float) is sorted and walked exactly.
//
// Every comparison is in integers (m, n < 2^31), so the pruning is exact and
// the result is the same number as ks_and_wasserstein's, |G| / (m n) with one
// rounding. A bucket holding one value only (a discrete column) is not looked
// into: its only point is its end. What remains after step 3 is the data's
// business: for 1M normal(0, 1) against 1M normal(0.05, 1.1), 118 buckets
// holding 14 % of the values; for two samples of one distribution the gap is
// small everywhere and most buckets remain, each split by the next level. The
// cost is two reads of each sample (the counts, the copy) plus work on what
// was copied, against a sort's four passes of reads and writes.
//
// Note [Wasserstein without sorting]
// W (m n) = sum over merged distinct values x_t of |G_t| (x_{t+1} - x_t), G_t
// the gap after x_t. Give each bucket k a reference point c_k (the value of
// the lowest float key it can hold) and split the step out of a bucket at
// the next non-empty bucket's c: bucket k's share is
//   A_k = |g0| (x_first - c_k) + sum over its values of |G_t| (x'_{t+1} - x_t),
// g0 the gap it starts with, x' the next value with c of the next bucket in
// place of the first value past it. The shares add up to W (m n) exactly: at
// each boundary |G| (c - x_last) + |G| (x_next - c) = |G| (x_next - x_last),
// and G is 0 before the first value and after the last.
// Where G keeps one sign s across a bucket (g0 - cb m >= 0 or g0 + ca n <= 0,
// integers again), summation by parts with every x taken relative to c_k
// turns the share into counts and sums:
//   A_k = s (G_end (c_next - c_k) - (n Sa - m Sb)),
// Sa and Sb the sums of (x - c_k) over the bucket's values of a and b, each
// difference exact (x and c_k within a factor 2 of each other: Sterbenz;
// not so below float's smallest normal, where doubles far smaller than c_k
// round to it: those buckets are always looked into).
// Only buckets where G may cross zero are looked into, as for KS, a sub-level
// adding |g0| (c_first - c_k) for moving the reference to its first
// sub-bucket's. For data that drifted G crosses zero in few places; for two
// samples of one distribution it crosses often, and the levels below split
// the crossings out. The terms differ from scipy's sum of the same areas only
// in order and rounding (tests: 1e-12 relative to the walk over sorted
// samples). Values beyond float's range would be clamped into one bucket
// and their sums could overflow: those samples are sorted instead.

constexpr int kTopBits = 16;
constexpr int kSubBits = 8;
constexpr size_t kSortBelow = 1 << 14;  // m + n below this: sort both and walk
constexpr size_t kExactBelow = 32;      // a bucket this small is sorted and walked
constexpr double kFloatMax = std::numeric_limits<float>::max();

// The order key of x rounded to float: non-decreasing in x, equal for equal
// doubles (-0.0 becomes +0.0 first). Values beyond float's range are clamped
// to it (a cast out of range is undefined), NaN to its top: callers find NaN
// with x != x. Branch-free (minsd, maxsd; the sign by arithmetic): data of
// both signs would mispredict a branch here half the time.
uint32_t float_key(double x) {
  x += 0.0;
  x = x < kFloatMax ? x : kFloatMax;
  x = x > -kFloatMax ? x : -kFloatMax;
  const uint32_t u = std::bit_cast<uint32_t>(static_cast<float>(x));
  // Negative: all bits flipped; positive: the sign bit set.
  return u ^ (static_cast<uint32_t>(static_cast<int32_t>(u) >> 31) | 0x80000000u);
}

// The float whose order key is `key`, as a double: a bucket's reference c is
// this of its lowest key.
double key_value(uint32_t key) {
  // The inverse of float_key's flip, branch-free as it is.
  const uint32_t u = key ^ (static_cast<uint32_t>(static_cast<int32_t>(~key) >> 31) | 0x80000000u);
  return static_cast<double>(std::bit_cast<float>(u));
}

// Whether a bucket's keys (its lowest one given) are those of floats below
// float's smallest normal, zero included: there doubles far smaller than the
// bucket's reference c share it, x - c loses them, and the bucket is looked
// into instead of summed (Note [Wasserstein without sorting]). Buckets of 16
// or fewer key bits never straddle the range's ends (multiples of 2^23).
bool subnormal(uint32_t lowest_key) { return lowest_key >= 0x7f800000u && lowest_key <= 0x807fffffu; }

// The search's state: the sizes, the best |G| so far and the area so far.
struct Search {
  int64_t m = 0, n = 0;
  bool wasserstein = false;
  int64_t best = 0;
  double area = 0;  // W (m n) of the buckets settled so far
  int64_t gap(int64_t i, int64_t j) const { return i * n - j * m; }
  // Whether a bucket from (i0, j0) holding ca and cb values may beat best.
  bool worth_a_look(int64_t i0, int64_t j0, int64_t ca, int64_t cb) const {
    if (ca == 0 || cb == 0) return false;
    return std::max((i0 + ca) * n - j0 * m, (j0 + cb) * m - i0 * n) > best;
  }
  // The sign G keeps across such a bucket, or 0 when it may change sign.
  int sign_across(int64_t i0, int64_t j0, int64_t ca, int64_t cb) const {
    const int64_t g0 = gap(i0, j0);
    if (g0 - cb * m >= 0) return 1;
    if (g0 + ca * n <= 0) return -1;
    return 0;
  }
};

// Where a bucket starts and what surrounds it.
struct Place {
  int64_t i0 = 0, j0 = 0;  // values of a and b below it
  double ref = 0;          // its reference c
  double next_ref = 0;     // the next non-empty bucket's (unused where G ends at 0)
};

// Sorts both and walks their merged distinct values: Place::i0, j0 on.
void walk_exact(std::span<double> a, std::span<double> b, const Place& at, Search& s) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  size_t i = 0, j = 0;
  double x = std::min(a.empty() ? b[0] : a[0], b.empty() ? a[0] : b[0]);
  int64_t g = s.gap(at.i0, at.j0);
  s.area += static_cast<double>(std::abs(g)) * (x - at.ref);
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    g = s.gap(at.i0 + static_cast<int64_t>(i), at.j0 + static_cast<int64_t>(j));
    s.best = std::max(s.best, std::abs(g));
    const double next =
        i == a.size() ? (j == b.size() ? at.next_ref : b[j]) : (j == b.size() ? a[i] : std::min(a[i], b[j]));
    s.area += static_cast<double>(std::abs(g)) * (next - x);
    x = next;
  }
}

// Whether both samples hold copies of one value only (a bucket of a
// discrete column, where looking deeper finds nothing new); that value in
// *x. Precondition: not both empty.
bool one_value(std::array<std::span<const double>, 2> side, double* x) {
  *x = side[0].empty() ? side[1][0] : side[0][0];
  bool same = true;
  for (std::span<const double> v : side) {
    for (double y : v) same &= y == *x;
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
  std::array<std::vector<double>, 2> sum;  // of x - c per bucket (Wasserstein only)
  std::array<std::vector<double>, 2> values;
};

// Note [Buffers kept]
// Fresh memory costs a page fault per 4 KB on first touch, and on the
// virtual machines we measure on a fault costs microseconds: the top level's
// 512 KB of counts and its copies (14 % of 2M values for data that drifted)
// faulted for more time than the counting took. So the calling thread keeps
// them: the counts and sums always (1.5 MB), the copies while under
// kKeptValues.
constexpr size_t kKeptValues = size_t{1} << 20;  // doubles per sample (8 MB)

// Note [Copying without a branch]
// Which values are copied is data, a few percent to all of them in no
// order, so a branch on it mispredicts often. Each block of kBlock values is
// first listed branch-free (every value's index is written, the list grows
// only past the kept ones), then only the listed ones are copied.
constexpr size_t kBlock = 256;

// What the top level's count found besides the counts.
struct Seen {
  bool nan = false;
  bool beyond_float = false;
};

// The values of one bucket of a and b (side[0], side[1]), whose keys share
// `prefix` above bit shift + bits, at `at`: steps 2 to 4 of Note [KS without
// sorting] and Note [Wasserstein without sorting] at the next `bits` key
// bits. The top level is the whole samples with bits 16 (and may stop early,
// returning what it saw: NaN, values beyond float's range); below it, 8 bits
// at a time, then exactly.
Seen look_into(std::array<std::span<const double>, 2> side, const Place& at, uint32_t prefix, int bits,
               int shift, bool concurrent, Buffers& buf, Search& s) {
  const bool top = shift + bits == 32;
  if (shift < 0 || side[0].size() + side[1].size() < kExactBelow) {
    std::vector<double> a(side[0].begin(), side[0].end()), b(side[1].begin(), side[1].end());
    walk_exact(a, b, at, s);
    return {};
  }
  double only = 0;
  if (!top && one_value(side, &only)) {  // its only point is its end, counted above
    const int64_t g0 = s.gap(at.i0, at.j0);
    const int64_t g1 =
        s.gap(at.i0 + static_cast<int64_t>(side[0].size()), at.j0 + static_cast<int64_t>(side[1].size()));
    s.area += static_cast<double>(std::abs(g0)) * (only - at.ref) +
              static_cast<double>(std::abs(g1)) * (at.next_ref - only);
    return {};
  }
  const size_t buckets = size_t{1} << bits;
  const uint32_t low_mask = (uint32_t{1} << shift) - 1;
  auto bucket = [shift, buckets](uint32_t key) { return (key >> shift) & (buckets - 1); };
  auto part_key_of = [prefix, shift](size_t k) { return prefix | (static_cast<uint32_t>(k) << shift); };
  auto ref_of = [&](size_t k) { return key_value(part_key_of(k)); };
  std::array<std::vector<uint32_t>, 2>& count = buf.count;
  std::array<Seen, 2> seen;
  for_both(concurrent, [&](int t) {
    count[t].assign(buckets, 0);
    bool odd = false;  // NaN or beyond float's range
    if (s.wasserstein) {
      buf.sum[t].assign(buckets, 0.0);
      for (double x : side[t]) {
        const uint32_t key = float_key(x);
        ++count[t][bucket(key)];
        buf.sum[t][bucket(key)] += x - key_value(key & ~low_mask);
        odd |= !(std::fabs(x) <= kFloatMax);
      }
    } else {
      for (double x : side[t]) {
        ++count[t][bucket(float_key(x))];
        odd |= x != x;
      }
    }
    if (odd) {
      for (double x : side[t]) {
        seen[t].nan |= std::isnan(x);
        seen[t].beyond_float |= std::fabs(x) > kFloatMax;
      }
    }
  });
  if (seen[0].nan || seen[1].nan || seen[0].beyond_float || seen[1].beyond_float) {
    return {seen[0].nan || seen[1].nan, seen[0].beyond_float || seen[1].beyond_float};
  }
  // Every bucket's end first, so best is as high as counts can make it.
  int64_t i = at.i0, j = at.j0;
  std::vector<uint32_t> nonempty;
  for (size_t k = 0; k < buckets; ++k) {
    if (count[0][k] + count[1][k] == 0) continue;
    nonempty.push_back(static_cast<uint32_t>(k));
    i += count[0][k];
    j += count[1][k];
    s.best = std::max(s.best, std::abs(s.gap(i, j)));
  }
  // Then, bucket by bucket: its area where G keeps its sign, else it is
  // looked into, as it is where it may beat best. count[0] becomes the map
  // from bucket to part (kNone: none), telling the copy where values go.
  if (s.wasserstein)
    s.area += static_cast<double>(std::abs(s.gap(at.i0, at.j0))) * (ref_of(nonempty[0]) - at.ref);
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<Place> parts;
  std::vector<uint32_t> part_key;
  std::array<std::vector<size_t>, 2> begin;
  std::array<size_t, 2> copied = {0, 0};
  i = at.i0;
  j = at.j0;
  for (size_t e = 0; e < nonempty.size(); ++e) {
    const size_t k = nonempty[e];
    const uint32_t ca = count[0][k], cb = count[1][k];
    const Place here{i, j, ref_of(k), e + 1 < nonempty.size() ? ref_of(nonempty[e + 1]) : at.next_ref};
    const int sign = s.wasserstein ? s.sign_across(i, j, ca, cb) : 1;
    count[0][k] = kNone;
    if (s.worth_a_look(i, j, ca, cb) || sign == 0 || (s.wasserstein && subnormal(part_key_of(k)))) {
      count[0][k] = static_cast<uint32_t>(parts.size());
      parts.push_back(here);
      part_key.push_back(part_key_of(k));
      begin[0].push_back(copied[0]);
      begin[1].push_back(copied[1]);
      copied[0] += ca;
      copied[1] += cb;
    } else if (s.wasserstein) {
      const double g_end = static_cast<double>(s.gap(i + ca, j + cb));
      const double inner =
          static_cast<double>(s.n) * buf.sum[0][k] - static_cast<double>(s.m) * buf.sum[1][k];
      s.area += sign * (g_end * (here.next_ref - here.ref) - inner);
    }
    i += ca;
    j += cb;
  }
  if (parts.empty()) return {};
  const std::vector<uint32_t>& part = count[0];
  for_both(concurrent, [&](int t) {
    buf.values[t].resize(copied[t]);
    double* values = buf.values[t].data();
    std::vector<size_t> next = begin[t];
    // See Note [Copying without a branch].
    const std::span<const double> in = side[t];
    std::array<uint32_t, kBlock> pos, to;
    for (size_t block = 0; block < in.size(); block += kBlock) {
      const size_t size = std::min(kBlock, in.size() - block);
      size_t listed = 0;
      for (size_t e = 0; e < size; ++e) {
        const uint32_t q = part[bucket(float_key(in[block + e]))];
        pos[listed] = static_cast<uint32_t>(e);
        to[listed] = q;
        listed += q != kNone;
      }
      for (size_t e = 0; e < listed; ++e) values[next[to[e]]++] = in[block + pos[e]];
    }
    begin[t].push_back(copied[t]);
  });
  Buffers sub;
  for (size_t q = 0; q < parts.size(); ++q) {
    std::array<std::span<const double>, 2> in;
    for (int t = 0; t < 2; ++t)
      in[t] = std::span<const double>(buf.values[t]).subspan(begin[t][q], begin[t][q + 1] - begin[t][q]);
    look_into(in, parts[q], part_key[q], kSubBits, shift - kSubBits, false, sub, s);
  }
  return {};
}

// Both statistics, or KS alone (s.wasserstein false), of unsorted samples.
Search search_unsorted(std::span<const double> a, std::span<const double> b, bool wasserstein,
                       bool concurrent) {
  constexpr size_t kMaxSize = size_t{1} << 31;
  DPEVAL_CHECK(a.size() < kMaxSize && b.size() < kMaxSize)
      << "two-sample statistics: samples of " << a.size() << " and " << b.size() << " values";
  Search s{static_cast<int64_t>(a.size()), static_cast<int64_t>(b.size()), wasserstein};
  auto sort_and_walk = [&] {
    DPEVAL_CHECK(std::none_of(a.begin(), a.end(), [](double x) { return std::isnan(x); }) &&
                 std::none_of(b.begin(), b.end(), [](double x) { return std::isnan(x); }))
        << "two-sample statistics: NaN in a sample";
    DPEVAL_CHECK(!wasserstein ||
                 (std::all_of(a.begin(), a.end(), [](double x) { return std::isfinite(x); }) &&
                  std::all_of(b.begin(), b.end(), [](double x) { return std::isfinite(x); })))
        << "wasserstein: a value that is not finite";
    std::vector<double> sa(a.begin(), a.end()), sb(b.begin(), b.end());
    s.best = 0;
    s.area = 0;
    walk_exact(sa, sb, Place{}, s);  // G is 0 before the first value and after the last
  };
  if (a.size() + b.size() < kSortBelow) {
    sort_and_walk();
    return s;
  }
  thread_local Buffers kept;  // see Note [Buffers kept]
  const Seen seen = look_into({a, b}, Place{}, 0, kTopBits, 32 - kTopBits, concurrent, kept, s);
  for (std::vector<double>& v : kept.values) {
    if (v.capacity() > kKeptValues) std::vector<double>().swap(v);
  }
  if (seen.nan || seen.beyond_float) sort_and_walk();  // refuses NaN; see the Note for the rest
  return s;
}

}  // namespace

double ks_statistic_unsorted(std::span<const double> a, std::span<const double> b, bool concurrent) {
  if (a.empty() || b.empty()) return 0;
  const Search s = search_unsorted(a, b, false, concurrent);
  return static_cast<double>(s.best) / (static_cast<double>(a.size()) * static_cast<double>(b.size()));
}

KsWasserstein ks_and_wasserstein_unsorted(std::span<const double> a, std::span<const double> b,
                                          bool concurrent) {
  DPEVAL_CHECK(!a.empty() && !b.empty()) << "ks_and_wasserstein_unsorted: an empty sample";
  const Search s = search_unsorted(a, b, true, concurrent);
  const double mn = static_cast<double>(a.size()) * static_cast<double>(b.size());
  return {static_cast<double>(s.best) / mn, s.area / mn};
}

}  // namespace dpeval::stats
