// The weighted engine of K-class columns (see Note [Weighted metrics] and Note
// [Multiclass conventions]): count metrics from a weighted K x K confusion
// matrix, log loss and top-2 accuracy from weighted sums in row order,
// roc_auc_ovr_macro from one walk per class over the rows sorted by that
// class's probability.
//
// Task indices (task_metric_names(Task::multiclass)): 0 accuracy,
// 1 balanced_accuracy, 2 f1_macro, 3 f1_weighted, 4 precision_macro,
// 5 recall_macro, 6 mcc, 7 cohen_kappa, 8 log_loss, 9 roc_auc_ovr_macro,
// 10 top2_accuracy.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/eval/confusion.h"
#include "dpeval/eval/internal/argmax.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/multiclass_row.h"
#include "dpeval/eval/internal/rank_walk.h"
#include "dpeval/eval/internal/score_sort.h"
#include "dpeval/eval/internal/sort_rows.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/internal/weighted_task.h"
#include "dpeval/eval/metrics.h"

namespace dpeval::eval::internal {
namespace {

constexpr size_t kMetrics = 11;
constexpr size_t kLogLoss = 8, kRocAuc = 9, kTop2 = 10;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct MulticlassSums {
  std::vector<int64_t> cells;  // K x K, row = true class
  double log_loss = 0;
  int64_t top2_hits = 0;
  double auc_sum = 0;   // sum over classes of the class-vs-rest AUC
  bool auc_ok = false;  // every class present: auc_sum is defined
};

// As compute_multiclass's set_count_metrics and its log loss / top-2 / AUC.
void multiclass_values(const MulticlassSums& s, size_t k, const MetricSelection& sel, std::span<double> out,
                       Warnings& scratch) {
  std::fill(out.begin(), out.end(), kNaN);
  ConfusionMatrix m(k);
  for (size_t t = 0; t < k; ++t) {
    for (size_t p = 0; p < k; ++p) m.add(t, p, s.cells[t * k + p]);
  }
  const int64_t n = m.total();
  if (n == 0) return;
  scratch.clear();
  if (sel.wanted[0]) out[0] = *confusion_accuracy(m);
  if (sel.wanted[1]) out[1] = confusion_balanced_accuracy(m, scratch).value_or(kNaN);
  if (sel.any({2, 3, 4, 5})) {
    const std::vector<ClassScores> per_class = class_scores_all(m, scratch);
    double precision = 0, recall = 0, f1 = 0, f1_weighted = 0;
    for (const ClassScores& c : per_class) {
      precision += *c.precision;
      recall += *c.recall;
      f1 += *c.f1;
      f1_weighted += *c.f1 * static_cast<double>(c.support);
    }
    const auto kd = static_cast<double>(k);
    out[2] = f1 / kd;
    out[3] = f1_weighted / static_cast<double>(n);
    out[4] = precision / kd;
    out[5] = recall / kd;
  }
  if (sel.wanted[6]) out[6] = confusion_mcc(m, scratch).value_or(kNaN);
  if (sel.wanted[7]) out[7] = confusion_cohen_kappa(m, scratch).value_or(kNaN);
  if (sel.wanted[kLogLoss]) out[kLogLoss] = s.log_loss / static_cast<double>(n);
  if (sel.wanted[kRocAuc] && s.auc_ok) out[kRocAuc] = s.auc_sum / static_cast<double>(k);
  if (sel.wanted[kTop2]) out[kTop2] = static_cast<double>(s.top2_hits) / static_cast<double>(n);
}

class WeightedMulticlass final : public WeightedTask {
 public:
  WeightedMulticlass(const TaskColumns& c, const MetricSelection& selection)
      : sel_(selection), k_(c.num_classes) {
    constexpr std::string_view kWhere = "WeightedMetrics (multiclass)";
    if (k_ < 2) throw InputError(fmt::format("{}: num_classes = {}: expected >= 2", kWhere, k_));
    if (c.probs.size() / k_ != c.labels.size() || c.probs.size() % k_ != 0) {
      throw InputError(fmt::format("{}: probs has {} values: expected labels' {} rows x {} classes", kWhere,
                                   c.probs.size(), c.labels.size(), k_));
    }
    check_probabilities(kWhere, "probs", c.probs);
    const std::vector<int32_t> labels = class_labels(kWhere, c.labels, k_);
    n_ = labels.size();
    row_true_.resize(n_);
    row_predicted_.resize(n_);
    for (size_t i = 0; i < n_; ++i) {
      row_true_[i] = static_cast<uint32_t>(labels[i]);
      row_predicted_[i] = static_cast<uint32_t>(argmax(c.probs.subspan(i * k_, k_)));
    }
    want_log_loss_ = sel_.wanted[kLogLoss];
    want_top2_ = sel_.wanted[kTop2];
    want_auc_ = sel_.wanted[kRocAuc];
    if (want_log_loss_) {
      log_loss_.resize(n_);
      for (size_t i = 0; i < n_; ++i) log_loss_[i] = log_loss_row(c.probs.subspan(i * k_, k_), row_true_[i]);
    }
    if (want_top2_) {
      top2_.resize(n_);
      for (size_t i = 0; i < n_; ++i) top2_[i] = in_top2(c.probs.subspan(i * k_, k_), row_true_[i]) ? 1 : 0;
    }
    if (want_auc_) {
      orders_.resize(k_);
      flags_.resize(k_);
      std::vector<uint64_t> keys(n_);
      for (size_t cls = 0; cls < k_; ++cls) {
        for (size_t i = 0; i < n_; ++i) keys[i] = key_descending(c.probs[i * k_ + cls]);
        orders_[cls] = rows_sorted_by_key(keys);
        flags_[cls] = run_ends(keys, orders_[cls]);
        for (size_t i = 0; i < n_; ++i) {
          flags_[cls][i] = static_cast<uint8_t>((flags_[cls][i] ? kRankRunEnd : 0) |
                                                (row_true_[orders_[cls][i]] == cls ? kRankPositive : 0));
        }
      }
    }
  }

  Task task() const override { return Task::multiclass; }
  size_t rows() const override { return n_; }
  void prepare(TaskGrouping&) const override {}

  void evaluate(std::span<const uint8_t> counts, const TaskGrouping* grouping, std::span<double> group_values,
                std::span<double> rest_values, WeightedScratch& scratch) const override {
    const size_t groups = grouping ? grouping->count : 1;
    const uint32_t* codes = grouping ? grouping->codes.data() : nullptr;
    std::vector<MulticlassSums> sums(groups);
    for (auto& s : sums) s.cells.assign(k_ * k_, 0);
    std::vector<NeumaierSum> log_loss(groups);
    NeumaierSum log_loss_total;
    for (size_t i = 0; i < n_; ++i) {
      const uint8_t w = counts[i];
      MulticlassSums& s = sums[codes ? codes[i] : 0];
      s.cells[row_true_[i] * k_ + row_predicted_[i]] += w;
      if (want_top2_) s.top2_hits += top2_[i] ? w : 0;
      if (want_log_loss_) {
        const double term = w * log_loss_[i];
        log_loss[codes ? codes[i] : 0].add(term);
        if (codes) log_loss_total.add(term);
      }
    }
    for (size_t g = 0; g < groups; ++g) sums[g].log_loss = log_loss[g].value();
    std::vector<double> rest_auc_sum(grouping ? groups : 0, 0.0);
    std::vector<bool> rest_auc_ok(grouping ? groups : 0, true);
    if (want_auc_) {
      for (auto& s : sums) s.auc_ok = true;
      std::vector<RankGroupTotals> rank;
      for (size_t cls = 0; cls < k_; ++cls) {
        const uint32_t* order = orders_[cls].data();
        scratch.sorted_counts.resize(n_);
        uint8_t* sc = scratch.sorted_counts.data();
        gather_counts(counts, orders_[cls], sc);
        if (!grouping) {
          const RankTotals t = rank_walk(
              flags_[cls], [&](size_t i) { return int64_t{sc[i]}; }, false);
          accumulate_auc(sums[0], t.positives, t.negatives, t.twice_area);
          continue;
        }
        const RankTotals total = rank_walk_groups(
            flags_[cls], [&](size_t i) { return int64_t{sc[i]}; }, [&](size_t i) { return codes[order[i]]; },
            groups, false, rank);
        for (size_t g = 0; g < groups; ++g) {
          const RankTotals& t = rank[g].group;
          accumulate_auc(sums[g], t.positives, t.negatives, t.twice_area);
          const int64_t rp = total.positives - t.positives, rn = total.negatives - t.negatives;
          if (rp == 0 || rn == 0) {
            rest_auc_ok[g] = false;
          } else {
            rest_auc_sum[g] += rank_roc_auc(rp, rn, rank[g].rest_twice_area);
          }
        }
      }
    }
    Warnings scratch_warnings;
    if (!grouping) {
      multiclass_values(sums[0], k_, sel_, group_values, scratch_warnings);
      return;
    }
    MulticlassSums total;
    total.cells.assign(k_ * k_, 0);
    for (const auto& s : sums) {
      for (size_t c = 0; c < k_ * k_; ++c) total.cells[c] += s.cells[c];
      total.top2_hits += s.top2_hits;
    }
    for (size_t g = 0; g < groups; ++g) {
      MulticlassSums rest;
      rest.cells.resize(k_ * k_);
      for (size_t c = 0; c < k_ * k_; ++c) rest.cells[c] = total.cells[c] - sums[g].cells[c];
      rest.top2_hits = total.top2_hits - sums[g].top2_hits;
      rest.log_loss = log_loss_total.value() - sums[g].log_loss;
      rest.auc_sum = rest_auc_sum[g];
      rest.auc_ok = want_auc_ && rest_auc_ok[g];
      multiclass_values(sums[g], k_, sel_, group_values.subspan(g * kMetrics, kMetrics), scratch_warnings);
      multiclass_values(rest, k_, sel_, rest_values.subspan(g * kMetrics, kMetrics), scratch_warnings);
    }
  }

 private:
  // A class absent from the (weighted) labels makes roc_auc_ovr_macro
  // undefined, as compute_multiclass.
  static void accumulate_auc(MulticlassSums& s, int64_t positives, int64_t negatives, int64_t twice_area) {
    if (positives == 0 || negatives == 0) {
      s.auc_ok = false;
      return;
    }
    s.auc_sum += rank_roc_auc(positives, negatives, twice_area);
  }

  MetricSelection sel_;
  size_t k_ = 0;
  size_t n_ = 0;
  bool want_log_loss_ = false, want_top2_ = false, want_auc_ = false;
  std::vector<uint32_t> row_true_;
  std::vector<uint32_t> row_predicted_;
  std::vector<double> log_loss_;
  std::vector<uint8_t> top2_;
  std::vector<std::vector<uint32_t>> orders_;  // per class: sorted position -> row, probability descending
  std::vector<std::vector<uint8_t>> flags_;
};

}  // namespace

std::unique_ptr<WeightedTask> make_weighted_multiclass(const TaskColumns& columns,
                                                       const MetricSelection& selection) {
  DPEVAL_CHECK(selection.wanted.size() == kMetrics);
  return std::make_unique<WeightedMulticlass>(columns, selection);
}

}  // namespace dpeval::eval::internal
