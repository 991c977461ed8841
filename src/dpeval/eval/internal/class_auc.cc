// One-vs-rest ROC AUC by an MSD radix sort of packed keys; see
// Note [One-vs-rest keys] in class_auc.h.
#include "dpeval/eval/internal/class_auc.h"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>

#include "dpeval/eval/internal/ranking.h"

namespace dpeval::eval::internal {
namespace {

constexpr uint64_t kOneBits = 0x3FF0000000000000;                  // std::bit_cast<uint64_t>(1.0)
constexpr uint64_t kNoRun = std::numeric_limits<uint64_t>::max();  // no d is this large
constexpr size_t kInsertionMax = 32;
constexpr int kDigitBitsMax = 11;

// Precondition: 0 <= p <= 1 (-0.0 folds into +0.0).
uint64_t packed_key(double p, bool positive) {
  const uint64_t d = kOneBits - std::bit_cast<uint64_t>(p + 0.0);
  return (d << 1) | (positive ? 1 : 0);
}

// walk_totals' AUC sum, fed runs of equal d in ascending d (descending score).
class AucWalk {
 public:
  void add(uint64_t key) {
    const uint64_t d = key >> 1;
    if (d != run_) {
      close_run();
      run_ = d;
    }
    const int64_t positive = static_cast<int64_t>(key & 1);
    run_tp_ += positive;
    run_fp_ += 1 - positive;
  }
  // A whole run of one d with these counts.
  void add_run(uint64_t d, int64_t positives, int64_t negatives) {
    if (d != run_) {
      close_run();
      run_ = d;
    }
    run_tp_ += positives;
    run_fp_ += negatives;
  }
  double twice_area() {
    close_run();
    return twice_area_;
  }

 private:
  void close_run() {
    if (run_ == kNoRun) return;
    const int64_t tp = tp_ + run_tp_, fp = fp_ + run_fp_;
    twice_area_ += static_cast<double>(fp - fp_) * static_cast<double>(tp + tp_);
    tp_ = tp;
    fp_ = fp;
    run_tp_ = run_fp_ = 0;
    run_ = kNoRun;
  }

  uint64_t run_ = kNoRun;
  int64_t tp_ = 0, fp_ = 0, run_tp_ = 0, run_fp_ = 0;
  double twice_area_ = 0;
};

void insertion_sort_by_d(uint64_t* a, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    const uint64_t key = a[i];
    size_t j = i;
    for (; j > 0 && (a[j - 1] >> 1) > (key >> 1); --j) a[j] = a[j - 1];
    a[j] = key;
  }
}

// Sorts a[0, n) by d (b: n keys of scratch) and feeds it to the walk in order.
void sort_and_walk(uint64_t* a, uint64_t* b, size_t n, AucWalk& walk) {
  if (n <= kInsertionMax) {
    insertion_sort_by_d(a, n);
    for (size_t i = 0; i < n; ++i) walk.add(a[i]);
    return;
  }
  uint64_t lo = kNoRun, hi = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t d = a[i] >> 1;
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    positives += static_cast<int64_t>(a[i] & 1);
  }
  if (lo == hi) {
    walk.add_run(lo, positives, static_cast<int64_t>(n) - positives);
    return;
  }
  // Bits at and above `width` are the same in every d here; the digit is the
  // highest `bits` of the rest, so lo and hi land in different buckets and
  // every bucket has fewer varying bits than this one.
  const int width = static_cast<int>(std::bit_width(lo ^ hi));
  const int bits = std::clamp(static_cast<int>(std::bit_width(n)) - 3, 4, kDigitBitsMax);
  const int shift = std::max(0, width - bits);
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  const size_t buckets = size_t{1} << bits;
  std::array<uint32_t, (size_t{1} << kDigitBitsMax) + 1> end;
  std::fill_n(end.begin(), buckets + 1, 0);
  for (size_t i = 0; i < n; ++i) ++end[(((a[i] >> 1) >> shift) & mask) + 1];
  for (size_t d = 1; d <= buckets; ++d) end[d] += end[d - 1];  // end[d]: start of bucket d
  for (size_t i = 0; i < n; ++i) b[end[((a[i] >> 1) >> shift) & mask]++] = a[i];
  size_t start = 0;  // end[d] is now bucket d's end
  for (size_t d = 0; d < buckets; ++d) {
    if (end[d] > start) sort_and_walk(b + start, a + start, end[d] - start, walk);
    start = end[d];
  }
}

}  // namespace

ClassAucScratch::ClassAucScratch(size_t rows)
    : rows_(rows),
      keys_(std::make_unique_for_overwrite<uint64_t[]>(rows)),
      spare_(std::make_unique_for_overwrite<uint64_t[]>(rows)) {}

std::optional<double> class_roc_auc(std::span<const int32_t> labels, std::span<const double> probs, size_t k,
                                    size_t c, ClassAucScratch& scratch) {
  const size_t n = labels.size();
  if (n > std::numeric_limits<uint32_t>::max()) return class_roc_auc_reference(labels, probs, k, c);
  uint64_t* keys = scratch.keys().data();
  const auto label = static_cast<int32_t>(c);
  int64_t positives = 0;
  for (size_t i = 0; i < n; ++i) {
    const bool positive = labels[i] == label;
    keys[i] = packed_key(probs[i * k + c], positive);
    positives += positive ? 1 : 0;
  }
  const int64_t negatives = static_cast<int64_t>(n) - positives;
  if (positives == 0 || negatives == 0) return std::nullopt;
  AucWalk walk;
  sort_and_walk(keys, scratch.spare().data(), n, walk);
  return walk.twice_area() / (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
}

std::optional<double> class_roc_auc_reference(std::span<const int32_t> labels, std::span<const double> probs,
                                              size_t k, size_t c) {
  return with_ranking_input(
      labels.size(), [&](size_t i) { return static_cast<size_t>(labels[i]) == c; },
      [&](size_t i) { return probs[i * k + c]; }, [](const auto& rows) { return roc_auc_of(rows); });
}

}  // namespace dpeval::eval::internal
