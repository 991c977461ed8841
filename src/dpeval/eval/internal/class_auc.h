// One-vs-rest ROC AUC of one class of an n x K probability matrix (row-major,
// K = num_classes, every entry in [0, 1]): class c's rows are the positives,
// column c the scores. This is the hot loop of compute_multiclass's
// roc_auc_ovr_macro; see Note [One-vs-rest keys].
//
// Note [One-vs-rest keys]
// The general ranking input (ranking.h) sorts the positives' and the
// negatives' 64-bit score keys apart, six LSD radix passes each, in fresh
// buffers per class; on 1M rows x 10 classes that sort, its allocations and
// page faults were most of the metric time. Probabilities need less:
//  - For 0 <= p <= 1 the bits of p + 0.0 grow with p and stay below 2^62, so
//    d = bits(1.0) - bits(p) orders scores descending, and the row's label
//    fits beside it: key = d << 1 | positive. One array, 8 bytes a row.
//  - An MSD radix sort on d adapts its digit to the bits that still vary in a
//    bucket (min xor max), so scores packed into a few binades split in two
//    or three passes instead of six; buckets of <= 32 keys are insertion
//    sorted; a bucket of one d is a finished run. Buckets are finished in
//    ascending order, so the threshold walk runs as they finish: the sorted
//    array is never assembled.
//  - The walk sums sklearn's trapezoids dFP * (TP + TP_prev) in double in the
//    same order as ranking.h's walk_totals (one term per distinct score, from
//    the highest down), so the AUC is bitwise the reference's.
// Up to kAucOutOfPlaceRowsMax rows (4M: 32 MiB a thread) the top level
// scatters the keys into a spare buffer of n keys, a streaming pass that is
// 15 % faster on 1M x 10 than permuting them in place. Above it the top level
// permutes the keys in place (American flag sort), so the buffers are the n
// keys and a spare the size of the largest top-level bucket (a few % of n on
// real scores): memory grows by 8 bytes a row, not 16. The buffers live in a
// ClassAucScratch that one thread reuses for every class it takes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace dpeval::eval::internal {

// Rows up to which a class's top-level split is out of place (Note [One-vs-rest keys]).
inline constexpr size_t kAucOutOfPlaceRowsMax = size_t{1} << 22;

// The keys of `rows` rows and a spare buffer for the sort below its top
// level, reused across classes by one thread. Not thread-safe.
class ClassAucScratch {
 public:
  // out_of_place_rows_max: see Note [One-vs-rest keys] (tests lower it).
  explicit ClassAucScratch(size_t rows, size_t out_of_place_rows_max = kAucOutOfPlaceRowsMax);
  size_t out_of_place_rows_max() const { return out_of_place_rows_max_; }
  std::span<uint64_t> keys() { return {keys_.get(), rows_}; }
  // At least `size` keys (grows, never shrinks; contents not kept).
  std::span<uint64_t> spare(size_t size);

 private:
  size_t rows_;
  size_t out_of_place_rows_max_;
  std::unique_ptr<uint64_t[]> keys_;
  std::unique_ptr<uint64_t[]> spare_;
  size_t spare_size_ = 0;
};

// Class c vs the rest, c < k; labels in [0, k), probs.size() == labels.size()
// * k with every entry in [0, 1] (the caller validates). nullopt unless both
// class c and another class occur. scratch must hold labels.size() rows.
std::optional<double> class_roc_auc(std::span<const int32_t> labels, std::span<const double> probs, size_t k,
                                    size_t c, ClassAucScratch& scratch);

// The same through ranking.h's general path (distinct-score table or
// class-split keys): the reference class_roc_auc is tested against.
std::optional<double> class_roc_auc_reference(std::span<const int32_t> labels, std::span<const double> probs,
                                              size_t k, size_t c);

}  // namespace dpeval::eval::internal
