#include "dpeval/parallel/evaluate.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <vector>

#include "dpeval/core/thread_pool.h"
#include "dpeval/nn/loss.h"

namespace dpeval::parallel {
namespace {

// Runs the model over the dataset in order and hands each batch's logits and labels on.
void for_each_batch(nn::Model& model, const data::Dataset& dataset, int batch, size_t begin, size_t end,
                    bool batch_invariant,
                    const std::function<void(size_t, const Tensor&, std::span<const int32_t>)>& fn) {
  const size_t n = end;
  const size_t b = static_cast<size_t>(batch);
  std::vector<uint32_t> indices(b);
  std::vector<int32_t> labels(b);
  Tensor x;
  nn::ForwardOptions options;
  options.training = false;
  options.batch_invariant = batch_invariant;
  std::optional<ThreadPool> pool;  // the batch-invariant GEMMs' threads (BLAS has its own)
  if (batch_invariant) options.pool = &pool.emplace();
  for (size_t first = begin; first < n; first += b) {
    const size_t count = std::min(b, n - first);
    std::iota(indices.begin(), indices.begin() + static_cast<std::ptrdiff_t>(count),
              static_cast<uint32_t>(first));
    x.resize(dataset.sample_shape().with_outer(static_cast<int64_t>(count)));
    dataset.gather(std::span(indices.data(), count), x.data(), labels.data());
    const Tensor& logits = model.forward(x, options);
    fn(first, logits, std::span<const int32_t>(labels.data(), count));
  }
}

}  // namespace

EvalSums evaluate_rows(nn::Model& model, const data::Dataset& dataset, int batch, size_t begin, size_t end) {
  EvalSums r;
  for_each_batch(model, dataset, batch, begin, end, /*batch_invariant=*/false,
                 [&](size_t, const Tensor& logits, std::span<const int32_t> labels) {
                   const size_t rows = labels.size();
                   const size_t k = logits.size() / std::max<size_t>(1, rows);
                   r.loss_sum += static_cast<double>(nn::softmax_cross_entropy(logits, labels, nullptr)) *
                                 static_cast<double>(rows);
                   for (size_t i = 0; i < rows; ++i) {
                     const float* row = logits.data() + i * k;
                     size_t best = 0;
                     for (size_t c = 1; c < k; ++c)
                       if (row[c] > row[best]) best = c;
                     r.correct += static_cast<int32_t>(best) == labels[i];
                   }
                   r.rows += rows;
                 });
  return r;
}

EvalResult eval_result(const EvalSums& sums) {
  EvalResult r;
  r.rows = sums.rows;
  if (r.rows == 0) {
    r.loss = r.accuracy = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  r.loss = sums.loss_sum / static_cast<double>(r.rows);
  r.accuracy = static_cast<double>(sums.correct) / static_cast<double>(r.rows);
  return r;
}

EvalResult evaluate(nn::Model& model, const data::Dataset& dataset, int batch) {
  return eval_result(evaluate_rows(model, dataset, batch, 0, dataset.size()));
}

void predict_probabilities(nn::Model& model, const data::Dataset& dataset, int batch,
                           const std::function<void(size_t first_row, const Tensor& probs)>& on_batch) {
  Tensor probs;
  // See Note [Batch-invariant GEMM] (kernels/gemm_invariant.cc): a row's
  // probabilities are the same in any batch, as `dpeval serve` answers them.
  for_each_batch(model, dataset, batch, 0, dataset.size(), /*batch_invariant=*/true,
                 [&](size_t first, const Tensor& logits, std::span<const int32_t>) {
                   nn::softmax(logits, probs);
                   on_batch(first, probs);
                 });
}

}  // namespace dpeval::parallel
