// compute_multiclass: one pass over the n x K probabilities for the confusion
// matrix, log loss, top-2 hits and the row-sum check; the count metrics from
// the matrix; one sort per class for the one-vs-rest AUC (internal/class_auc.h).
// The row pass and the classes' AUCs are tasks shared among the threads.
// See Note [Multiclass conventions] in metrics.h.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <optional>
#include <thread>

#include "dpeval/core/error.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/eval/internal/argmax.h"
#include "dpeval/eval/internal/class_auc.h"
#include "dpeval/eval/internal/class_list.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/multiclass_row.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/metrics.h"

namespace dpeval::eval {
namespace {

constexpr std::string_view kWhere = "compute_multiclass";

// np.allclose(1, row.sum()): |1 - s| <= 1e-8 + 1e-5 |s|.
bool sums_to_one(std::span<const double> row) {
  double s = 0;
  for (double p : row) s += p;
  return std::abs(1.0 - s) <= 1e-8 + 1e-5 * std::abs(s);
}

struct RowPass {
  ConfusionMatrix confusion;
  internal::NeumaierSum log_loss;
  int64_t top2_hits = 0;
  int64_t rows_not_summing_to_one = 0;
  size_t first_row_not_summing_to_one = 0;
};

RowPass pass_rows(std::span<const int32_t> labels, std::span<const double> probs, size_t k) {
  RowPass r;
  r.confusion = ConfusionMatrix(k);
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto row = probs.subspan(i * k, k);
    const auto label = static_cast<size_t>(labels[i]);
    r.confusion.add(label, internal::argmax(row));
    r.log_loss.add(internal::log_loss_row(row, label));
    r.top2_hits += internal::in_top2(row, label) ? 1 : 0;
    if (!sums_to_one(row) && r.rows_not_summing_to_one++ == 0) r.first_row_not_summing_to_one = i;
  }
  return r;
}

void set_count_metrics(MulticlassMetrics& m) {
  m.accuracy = confusion_accuracy(m.confusion);
  m.balanced_accuracy = confusion_balanced_accuracy(m.confusion, m.warnings);
  m.per_class = class_scores_all(m.confusion, m.warnings);
  double precision = 0, recall = 0, f1 = 0, f1_weighted = 0;
  for (const ClassScores& c : m.per_class) {
    precision += *c.precision;
    recall += *c.recall;
    f1 += *c.f1;
    f1_weighted += *c.f1 * static_cast<double>(c.support);
  }
  const auto k = static_cast<double>(m.num_classes);
  m.precision_macro = precision / k;
  m.recall_macro = recall / k;
  m.f1_macro = f1 / k;
  m.f1_weighted = f1_weighted / static_cast<double>(m.n);
  m.mcc = confusion_mcc(m.confusion, m.warnings);
  m.cohen_kappa = confusion_cohen_kappa(m.confusion, m.warnings);
}

// Classes that no label names: roc_auc_ovr_macro is undefined with any.
std::vector<size_t> absent_classes(std::span<const int32_t> labels, size_t k) {
  std::vector<int64_t> count(k, 0);
  for (int32_t label : labels) ++count[static_cast<size_t>(label)];
  std::vector<size_t> absent;
  for (size_t c = 0; c < k; ++c) {
    if (count[c] == 0) absent.push_back(c);
  }
  return absent;
}

// The row pass and, when every class occurs, each class's one-vs-rest AUC,
// as independent tasks the threads take in turn (one AUC scratch per thread
// that takes a class). Each task writes only its own result, and the mean
// sums the AUCs in class order, so the results are the same for every
// thread count.
struct RowsAndAucs {
  RowPass rows;
  std::vector<std::optional<double>> auc;  // K entries when computed, else empty
};

RowsAndAucs rows_and_aucs(std::span<const int32_t> labels, std::span<const double> probs, size_t k,
                          bool want_auc, size_t threads) {
  RowsAndAucs out;
  if (want_auc) out.auc.resize(k);
  const size_t tasks = 1 + (want_auc ? k : 0);
  auto run = [&](size_t task, std::unique_ptr<internal::ClassAucScratch>& scratch) {
    if (task == 0) {
      out.rows = pass_rows(labels, probs, k);
      return;
    }
    if (!scratch) scratch = std::make_unique<internal::ClassAucScratch>(labels.size());
    out.auc[task - 1] = internal::class_roc_auc(labels, probs, k, task - 1, *scratch);
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, tasks);
  if (threads == 1) {
    std::unique_ptr<internal::ClassAucScratch> scratch;
    for (size_t task = 0; task < tasks; ++task) run(task, scratch);
    return out;
  }
  ThreadPool pool(threads);
  std::atomic<size_t> next{0};
  pool.parallel_for(threads, [&](size_t, size_t) {
    std::unique_ptr<internal::ClassAucScratch> scratch;
    for (size_t task = next++; task < tasks; task = next++) run(task, scratch);
  });
  return out;
}

// Mean over classes of class k vs the rest on column k; nullopt (warning) when
// a class is absent from the labels (sklearn raises).
void set_roc_auc_ovr(MulticlassMetrics& m, const std::vector<size_t>& absent,
                     const std::vector<std::optional<double>>& auc) {
  if (!absent.empty()) {
    m.warnings.push_back(fmt::format("roc_auc_ovr_macro is undefined: classes {} are absent from the labels",
                                     internal::format_class_list(absent)));
    return;
  }
  double sum = 0;
  for (const std::optional<double>& a : auc) sum += *a;
  m.roc_auc_ovr_macro = sum / static_cast<double>(auc.size());
}

void warn_rows_not_summing_to_one(MulticlassMetrics& m, const RowPass& rows) {
  if (rows.rows_not_summing_to_one == 0) return;
  m.warnings.push_back(fmt::format(
      "{} rows of probs do not sum to 1 (first: row {}); log_loss renormalises them, roc_auc_ovr_macro "
      "uses them as given (sklearn's roc_auc_score refuses them)",
      rows.rows_not_summing_to_one, rows.first_row_not_summing_to_one));
}

MulticlassMetrics compute(std::span<const int32_t> labels, std::span<const double> probs, size_t k,
                          size_t threads) {
  if (probs.size() / k != labels.size() || probs.size() % k != 0) {
    throw InputError(fmt::format("{}: probs has {} values: expected labels' {} rows x {} classes", kWhere,
                                 probs.size(), labels.size(), k));
  }
  internal::check_probabilities(kWhere, "probs", probs);
  MulticlassMetrics m;
  m.n = static_cast<int64_t>(labels.size());
  m.num_classes = k;
  m.confusion = ConfusionMatrix(k);
  m.per_class.resize(k);
  if (labels.empty()) {
    m.warnings.emplace_back("no rows: every metric is undefined");
    return m;
  }
  const std::vector<size_t> absent = absent_classes(labels, k);
  const RowsAndAucs computed = rows_and_aucs(labels, probs, k, absent.empty(), threads);
  const RowPass& rows = computed.rows;
  m.confusion = rows.confusion;
  const auto n = static_cast<double>(m.n);
  m.log_loss = rows.log_loss.value() / n;
  m.top2_accuracy = static_cast<double>(rows.top2_hits) / n;
  if (k <= 2) m.warnings.emplace_back("top2_accuracy is 1.0: K <= 2 classes (sklearn warns likewise)");
  warn_rows_not_summing_to_one(m, rows);
  set_count_metrics(m);
  set_roc_auc_ovr(m, absent, computed.auc);
  return m;
}

}  // namespace

MulticlassMetrics compute_multiclass(std::span<const double> labels, std::span<const double> probs,
                                     size_t num_classes, size_t threads) {
  return compute(internal::class_labels(kWhere, labels, num_classes), probs, num_classes, threads);
}

MulticlassMetrics compute_multiclass(std::span<const int64_t> labels, std::span<const double> probs,
                                     size_t num_classes, size_t threads) {
  return compute(internal::class_labels(kWhere, labels, num_classes), probs, num_classes, threads);
}

std::vector<MetricValue> metric_values(const MulticlassMetrics& m) {
  return {{"accuracy", m.accuracy},
          {"balanced_accuracy", m.balanced_accuracy},
          {"f1_macro", m.f1_macro},
          {"f1_weighted", m.f1_weighted},
          {"precision_macro", m.precision_macro},
          {"recall_macro", m.recall_macro},
          {"mcc", m.mcc},
          {"cohen_kappa", m.cohen_kappa},
          {"log_loss", m.log_loss},
          {"roc_auc_ovr_macro", m.roc_auc_ovr_macro},
          {"top2_accuracy", m.top2_accuracy}};
}

}  // namespace dpeval::eval
