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
// The top level permutes the keys in place (American flag sort), so the
// buffers are the n keys and a spare the size of the largest top-level bucket
// (a few % of n on real scores, where an out-of-place top level needs n
// more: 8 MB a thread on 1M rows). They live in a ClassAucScratch that one
// thread reuses for every class it takes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace dpeval::eval::internal {

// The keys of `rows` rows and a spare buffer for the sort below its top
// level, reused across classes by one thread. Not thread-safe.
class ClassAucScratch {
 public:
  explicit ClassAucScratch(size_t rows);
  std::span<uint64_t> keys() { return {keys_.get(), rows_}; }
  // At least `size` keys (grows, never shrinks; contents not kept).
  std::span<uint64_t> spare(size_t size);

 private:
  size_t rows_;
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
