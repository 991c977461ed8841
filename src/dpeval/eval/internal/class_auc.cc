// One-vs-rest ROC AUC by an MSD radix sort of packed keys; see
// Note [One-vs-rest keys] in class_auc.h.
#include "dpeval/core/huge_pages.h"
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
  // Keys sorted by d, continuing the keys fed so far.
  void add_sorted(const uint64_t* a, size_t n) {
    uint64_t run = run_;
    int64_t tp = tp_, fp = fp_, run_tp = run_tp_, run_fp = run_fp_;
    double twice_area = twice_area_;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t d = a[i] >> 1;
      if (d != run) {
        twice_area += static_cast<double>(run_fp) * static_cast<double>(tp + tp + run_tp);
        tp += run_tp;
        fp += run_fp;
        run_tp = run_fp = 0;
        run = d;
      }
      const auto positive = static_cast<int64_t>(a[i] & 1);
      run_tp += positive;
      run_fp += 1 - positive;
    }
    run_ = run;
    tp_ = tp;
    fp_ = fp;
    run_tp_ = run_tp;
    run_fp_ = run_fp;
    twice_area_ = twice_area;
  }
  // A whole run of one d with these counts.
  void add_run(uint64_t d, int64_t positives, int64_t negatives) {
    if (d != run_) close_run(d);
    run_tp_ += positives;
    run_fp_ += negatives;
  }
  double twice_area() {
    close_run(kNoRun);
    return twice_area_;
  }

 private:
  // The trapezoid of the open run (none at the start: its counts are 0), as
  // walk_totals: dFP * (TP_prev + TP).
  void close_run(uint64_t next) {
    twice_area_ += static_cast<double>(run_fp_) * static_cast<double>(tp_ + tp_ + run_tp_);
    tp_ += run_tp_;
    fp_ += run_fp_;
    run_tp_ = run_fp_ = 0;
    run_ = next;
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

struct KeyBounds {
  uint64_t lo = kNoRun;  // least d
  uint64_t hi = 0;       // greatest d
  int64_t positives = 0;
};

void sort_and_walk(uint64_t* a, uint64_t* b, size_t n, AucWalk& walk);

// The digit one radix level sorts n keys by. Bits at and above the width of
// lo ^ hi are the same in every d; the digit is the highest `bits` of the
// rest, so lo and hi land in different buckets and every bucket has fewer
// varying bits than this level. Precondition: bounds.lo != bounds.hi.
struct Digit {
  int shift = 0;
  uint64_t mask = 0;
  size_t buckets = 0;
  size_t of(uint64_t key) const { return static_cast<size_t>(((key >> 1) >> shift) & mask); }
};

Digit digit_for(const KeyBounds& bounds, size_t n) {
  const int width = static_cast<int>(std::bit_width(bounds.lo ^ bounds.hi));
  const int bits = std::clamp(static_cast<int>(std::bit_width(n)) - 3, 4, kDigitBitsMax);
  return {std::max(0, width - bits), (uint64_t{1} << bits) - 1, size_t{1} << bits};
}

// Sorts a[0, n) by d, whose bounds are `bounds` (b: n keys of scratch), and
// feeds it to the walk in order. Precondition: n > kInsertionMax.
void split_and_walk(uint64_t* a, uint64_t* b, size_t n, const KeyBounds& bounds, AucWalk& walk) {
  if (bounds.lo == bounds.hi) {
    walk.add_run(bounds.lo, bounds.positives, static_cast<int64_t>(n) - bounds.positives);
    return;
  }
  const Digit digit = digit_for(bounds, n);
  const size_t buckets = digit.buckets;
  std::array<uint32_t, (size_t{1} << kDigitBitsMax) + 1> end;
  std::fill_n(end.begin(), buckets + 1, 0);
  for (size_t i = 0; i < n; ++i) ++end[digit.of(a[i]) + 1];
  for (size_t d = 1; d <= buckets; ++d) end[d] += end[d - 1];  // end[d]: start of bucket d
  for (size_t i = 0; i < n; ++i) b[end[digit.of(a[i])]++] = a[i];
  size_t start = 0;  // end[d] is now bucket d's end
  for (size_t d = 0; d < buckets; ++d) {
    if (end[d] > start) sort_and_walk(b + start, a + start, end[d] - start, walk);
    start = end[d];
  }
}

// The top level of one class: the digit as in split_and_walk, but
// the keys are permuted in place (American flag sort: each key is swapped
// straight into its bucket), so the scratch needs only the largest bucket's
// size, not n; then each bucket is sorted and walked as split_and_walk's.
void split_in_place_and_walk(uint64_t* a, size_t n, const KeyBounds& bounds, ClassAucScratch& scratch,
                             AucWalk& walk) {
  if (bounds.lo == bounds.hi) {
    walk.add_run(bounds.lo, bounds.positives, static_cast<int64_t>(n) - bounds.positives);
    return;
  }
  const Digit digit_plan = digit_for(bounds, n);
  const size_t buckets = digit_plan.buckets;
  auto digit = [&](uint64_t key) { return digit_plan.of(key); };
  std::array<uint32_t, (size_t{1} << kDigitBitsMax) + 1> end;
  std::array<uint32_t, size_t{1} << kDigitBitsMax> next;
  std::fill_n(end.begin(), buckets + 1, 0);
  for (size_t i = 0; i < n; ++i) ++end[digit(a[i]) + 1];
  size_t largest = 0;
  for (size_t d = 0; d < buckets; ++d) {
    largest = std::max<size_t>(largest, end[d + 1]);
    next[d] = end[d];  // the start of bucket d
    end[d + 1] += end[d];
  }
  for (size_t d = 0; d < buckets; ++d) {
    while (next[d] < end[d + 1]) {
      uint64_t key = a[next[d]];
      for (size_t kd = digit(key); kd != d; kd = digit(key)) std::swap(key, a[next[kd]++]);
      a[next[d]++] = key;
    }
  }
  uint64_t* b = scratch.spare(largest).data();
  for (size_t d = 0; d < buckets; ++d) {
    if (end[d + 1] > end[d]) sort_and_walk(a + end[d], b, end[d + 1] - end[d], walk);
  }
}

void sort_and_walk(uint64_t* a, uint64_t* b, size_t n, AucWalk& walk) {
  if (n <= kInsertionMax) {
    insertion_sort_by_d(a, n);
    walk.add_sorted(a, n);
    return;
  }
  KeyBounds bounds;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t d = a[i] >> 1;
    bounds.lo = std::min(bounds.lo, d);
    bounds.hi = std::max(bounds.hi, d);
    bounds.positives += static_cast<int64_t>(a[i] & 1);
  }
  split_and_walk(a, b, n, bounds, walk);
}

}  // namespace

ClassAucScratch::ClassAucScratch(size_t rows, size_t out_of_place_rows_max)
    : rows_(rows), out_of_place_rows_max_(out_of_place_rows_max), keys_(std::make_unique_for_overwrite<uint64_t[]>(rows)) {
  advise_huge_pages(keys_.get(), rows * sizeof(uint64_t));  // Note [Huge pages for big columns]
}

std::span<uint64_t> ClassAucScratch::spare(size_t size) {
  if (size > spare_size_) {
    spare_ = std::make_unique_for_overwrite<uint64_t[]>(size);
    advise_huge_pages(spare_.get(), size * sizeof(uint64_t));
    spare_size_ = size;
  }
  return {spare_.get(), size};
}

std::optional<double> class_roc_auc(std::span<const int32_t> labels, std::span<const double> probs, size_t k,
                                    size_t c, ClassAucScratch& scratch) {
  const size_t n = labels.size();
  if (n > std::numeric_limits<uint32_t>::max()) return class_roc_auc_reference(labels, probs, k, c);
  uint64_t* keys = scratch.keys().data();
  const auto label = static_cast<int32_t>(c);
  KeyBounds bounds;  // found while the keys are built: no extra read
  for (size_t i = 0; i < n; ++i) {
    const bool positive = labels[i] == label;
    const uint64_t key = packed_key(probs[i * k + c], positive);
    keys[i] = key;
    bounds.lo = std::min(bounds.lo, key >> 1);
    bounds.hi = std::max(bounds.hi, key >> 1);
    bounds.positives += positive ? 1 : 0;
  }
  const int64_t positives = bounds.positives, negatives = static_cast<int64_t>(n) - positives;
  if (positives == 0 || negatives == 0) return std::nullopt;
  AucWalk walk;
  if (n <= kInsertionMax) {
    sort_and_walk(keys, nullptr, n, walk);
  } else if (n <= scratch.out_of_place_rows_max()) {
    split_and_walk(keys, scratch.spare(n).data(), n, bounds, walk);
  } else {
    split_in_place_and_walk(keys, n, bounds, scratch, walk);
  }
  return walk.twice_area() / (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
}

std::optional<double> class_roc_auc_reference(std::span<const int32_t> labels, std::span<const double> probs,
                                              size_t k, size_t c) {
  return with_ranking_input(
      labels.size(), [&](size_t i) { return static_cast<size_t>(labels[i]) == c; },
      [&](size_t i) { return probs[i * k + c]; }, [](const auto& rows) { return roc_auc_of(rows); });
}

}  // namespace dpeval::eval::internal
