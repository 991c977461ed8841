// Evaluation of a classifier on a labelled dataset: mean cross-entropy and
// top-1 accuracy (argmax, ties to the lowest index), and the per-class
// probabilities that `dpeval predict` writes.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "dpeval/data/dataset.h"
#include "dpeval/nn/model.h"

namespace dpeval::parallel {

struct EvalResult {
  double loss = 0;      // mean cross-entropy over the dataset
  double accuracy = 0;  // share of rows whose argmax equals the label
  uint64_t rows = 0;
};

// Unnormalised totals over some rows: what ranks add up for a sharded evaluation.
struct EvalSums {
  double loss_sum = 0;  // sum of per-row cross-entropy
  uint64_t correct = 0;
  uint64_t rows = 0;
};

// Rows [begin, end) of `dataset`, in batches of `batch`, in eval mode.
EvalSums evaluate_rows(nn::Model& model, const data::Dataset& dataset, int batch, size_t begin, size_t end);
// Means from totals; rows == 0 gives NaN loss and accuracy.
EvalResult eval_result(const EvalSums& sums);

// Forward passes in eval mode over `dataset` in batches of `batch` rows.
// An empty dataset gives rows == 0 and loss/accuracy NaN.
EvalResult evaluate(nn::Model& model, const data::Dataset& dataset, int batch);

// Calls on_batch(first_row, probs [rows, K]) for consecutive batches, in order.
// Batch-invariant (nn::ForwardOptions::batch_invariant): a row's probabilities
// do not depend on `batch`, and equal what `dpeval serve` answers for it.
void predict_probabilities(nn::Model& model, const data::Dataset& dataset, int batch,
                           const std::function<void(size_t first_row, const Tensor& probs)>& on_batch);

}  // namespace dpeval::parallel
