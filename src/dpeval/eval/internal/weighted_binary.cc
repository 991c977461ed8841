// The weighted engine of binary columns (see Note [Weighted metrics]): count
// metrics from a weighted 2 x 2 confusion matrix, log loss and Brier score from
// weighted sums of per-row terms (row order), roc_auc and average_precision
// from one walk over the rows sorted by score.
//
// Task indices (task_metric_names(Task::binary)): 0 accuracy,
// 1 balanced_accuracy, 2 precision, 3 recall, 4 f1, 5 mcc, 6 cohen_kappa,
// 7 roc_auc, 8 average_precision, 9 log_loss, 10 brier.
#include <algorithm>
#include <cmath>
#include <limits>

#include "dpeval/core/check.h"
#include "dpeval/eval/confusion.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/rank_walk.h"
#include "dpeval/eval/internal/score_sort.h"
#include "dpeval/eval/internal/sort_rows.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/internal/weighted_task.h"
#include "dpeval/eval/metrics.h"

namespace dpeval::eval::internal {
namespace {

constexpr size_t kMetrics = 11;
constexpr size_t kRocAuc = 7, kAveragePrecision = 8, kLogLoss = 9, kBrier = 10;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kThreshold = 0.5;  // BinaryOptions' default, as compute_binary

// As binary_metrics.cc's log_loss_row.
double log_loss_row(uint8_t label, double score) {
  const double p = std::clamp(score, kFloat64Eps, 1.0 - kFloat64Eps);
  const double q = 1.0 - p;
  const double total = q + p;
  return -std::log((label ? p : q) / total);
}

// The sums one group (or the rest) ends with.
struct BinarySums {
  int64_t cells[4] = {0, 0, 0, 0};  // label * 2 + predicted: tn, fp, fn, tp
  double log_loss = 0;
  double brier = 0;
  int64_t positives = 0, negatives = 0, twice_area = 0;
  double ap_sum = 0;
  bool has_ap = false;
};

// Everything of task order from the sums, as compute_binary's
// set_count_metrics and ranking_from_keys do.
void binary_values(const BinarySums& s, const MetricSelection& sel, std::span<double> out,
                   Warnings& scratch) {
  std::fill(out.begin(), out.end(), kNaN);
  const int64_t n = s.cells[0] + s.cells[1] + s.cells[2] + s.cells[3];
  if (n == 0) return;
  ConfusionMatrix m(2);
  m.add(0, 0, s.cells[0]);
  m.add(0, 1, s.cells[1]);
  m.add(1, 0, s.cells[2]);
  m.add(1, 1, s.cells[3]);
  scratch.clear();
  if (sel.wanted[0]) out[0] = *confusion_accuracy(m);
  if (sel.wanted[1]) out[1] = confusion_balanced_accuracy(m, scratch).value_or(kNaN);
  if (sel.any({2, 3, 4})) {
    const ClassScores c = class_scores(m, 1);
    out[2] = *c.precision;
    out[3] = *c.recall;
    out[4] = *c.f1;
  }
  if (sel.wanted[5]) out[5] = confusion_mcc(m, scratch).value_or(kNaN);
  if (sel.wanted[6]) out[6] = confusion_cohen_kappa(m, scratch).value_or(kNaN);
  if (sel.wanted[kRocAuc]) out[kRocAuc] = rank_roc_auc(s.positives, s.negatives, s.twice_area);
  if (sel.wanted[kAveragePrecision] && s.has_ap) {
    out[kAveragePrecision] = rank_average_precision(s.positives, s.negatives, s.ap_sum);
  }
  if (sel.wanted[kLogLoss]) out[kLogLoss] = s.log_loss / static_cast<double>(n);
  if (sel.wanted[kBrier]) out[kBrier] = s.brier / static_cast<double>(n);
}

class WeightedBinary final : public WeightedTask {
 public:
  WeightedBinary(const TaskColumns& c, const MetricSelection& selection) : sel_(selection) {
    constexpr std::string_view kWhere = "WeightedMetrics (binary)";
    check_same_rows(kWhere, "labels", c.labels.size(), "scores", c.scores.size());
    check_probabilities(kWhere, "scores", c.scores);
    const std::vector<uint8_t> labels = binary_labels(kWhere, c.labels);
    n_ = labels.size();
    want_ranking_ = sel_.any({kRocAuc, kAveragePrecision});
    want_ap_ = sel_.wanted[kAveragePrecision];
    want_log_loss_ = sel_.wanted[kLogLoss];
    want_brier_ = sel_.wanted[kBrier];
    row_cells_.resize(n_);
    for (size_t i = 0; i < n_; ++i)
      row_cells_[i] = static_cast<uint8_t>(labels[i] * 2 + (c.scores[i] >= kThreshold));
    if (want_log_loss_) {
      log_loss_.resize(n_);
      for (size_t i = 0; i < n_; ++i) log_loss_[i] = log_loss_row(labels[i], c.scores[i]);
    }
    if (want_brier_) {
      brier_.resize(n_);
      for (size_t i = 0; i < n_; ++i) {
        const double d = labels[i] - c.scores[i];
        brier_[i] = d * d;
      }
    }
    if (want_ranking_) {
      std::vector<uint64_t> keys(n_);
      for (size_t i = 0; i < n_; ++i) keys[i] = key_descending(c.scores[i]);
      order_ = rows_sorted_by_key(keys);
      sorted_flags_ = run_ends(keys, order_);
      for (size_t i = 0; i < n_; ++i) {
        sorted_flags_[i] = static_cast<uint8_t>((sorted_flags_[i] ? kRankRunEnd : 0) |
                                                (labels[order_[i]] ? kRankPositive : 0));
      }
    }
  }

  Task task() const override { return Task::binary; }
  size_t rows() const override { return n_; }

  void prepare(TaskGrouping& g) const override {
    if (!want_ranking_) return;
    g.sorted_codes.resize(n_);
    for (size_t i = 0; i < n_; ++i) g.sorted_codes[i] = g.codes[order_[i]];
  }

  void evaluate(std::span<const uint8_t> counts, const TaskGrouping* grouping, std::span<double> group_values,
                std::span<double> rest_values, WeightedScratch& scratch) const override {
    if (grouping == nullptr) {
      evaluate_all(counts, group_values);
    } else {
      evaluate_groups(counts, *grouping, group_values, rest_values, scratch);
    }
  }

 private:
  // Gathers the counts into sorted order (scratch.sorted_counts).
  std::span<const uint8_t> sorted_counts(std::span<const uint8_t> counts, WeightedScratch& scratch) const {
    scratch.sorted_counts.resize(n_);
    gather_counts(counts, order_, scratch.sorted_counts.data());
    return scratch.sorted_counts;
  }

  void evaluate_all(std::span<const uint8_t> counts, std::span<double> out) const {
    BinarySums s;
    // Four register sums instead of a counter array: no store-to-load chains.
    int64_t total = 0, labelled = 0, predicted = 0, both = 0;
    for (size_t i = 0; i < n_; ++i) {
      const int64_t w = counts[i];
      const uint8_t cell = row_cells_[i];
      total += w;
      labelled += (cell & 2) ? w : 0;
      predicted += (cell & 1) ? w : 0;
      both += (cell == 3) ? w : 0;
    }
    s.cells[3] = both;
    s.cells[2] = labelled - both;
    s.cells[1] = predicted - both;
    s.cells[0] = total - labelled - predicted + both;
    if (want_log_loss_ || want_brier_) {
      NeumaierSum log_loss, brier;
      for (size_t i = 0; i < n_; ++i) {
        const auto w = static_cast<double>(counts[i]);
        if (want_log_loss_) log_loss.add(w * log_loss_[i]);
        if (want_brier_) brier.add(w * brier_[i]);
      }
      s.log_loss = log_loss.value();
      s.brier = brier.value();
    }
    if (want_ranking_) {
      // The gather fused into the walk, with gather_counts' prefetch: no sorted
      // copy of the counts.
      const uint32_t* order = order_.data();
      const size_t prefetch_end = n_ > kGatherPrefetchAhead ? n_ - kGatherPrefetchAhead : 0;
      const RankTotals t = rank_walk(
          sorted_flags_,
          [&](size_t i) {
            if (i < prefetch_end) __builtin_prefetch(counts.data() + order[i + kGatherPrefetchAhead]);
            return int64_t{counts[order[i]]};
          },
          want_ap_);
      s.positives = t.positives;
      s.negatives = t.negatives;
      s.twice_area = t.twice_area;
      s.ap_sum = t.ap_sum.value();
      s.has_ap = want_ap_;
    }
    Warnings scratch_warnings;
    binary_values(s, sel_, out, scratch_warnings);
  }

  void evaluate_groups(std::span<const uint8_t> counts, const TaskGrouping& grouping,
                       std::span<double> group_out, std::span<double> rest_out,
                       WeightedScratch& scratch) const {
    const size_t groups = grouping.count;
    std::vector<BinarySums> sums(groups);
    BinarySums total;
    std::vector<NeumaierSum> log_loss(want_log_loss_ ? groups : 0), brier(want_brier_ ? groups : 0);
    NeumaierSum log_loss_total, brier_total;
    const uint32_t* codes = grouping.codes.data();
    for (size_t i = 0; i < n_; ++i) {
      const uint8_t w = counts[i];
      sums[codes[i]].cells[row_cells_[i]] += w;
      if (want_log_loss_) {
        const double term = w * log_loss_[i];
        log_loss[codes[i]].add(term);
        log_loss_total.add(term);
      }
      if (want_brier_) {
        const double term = w * brier_[i];
        brier[codes[i]].add(term);
        brier_total.add(term);
      }
    }
    for (size_t g = 0; g < groups; ++g) {
      for (int c = 0; c < 4; ++c) total.cells[c] += sums[g].cells[c];
      if (want_log_loss_) sums[g].log_loss = log_loss[g].value();
      if (want_brier_) sums[g].brier = brier[g].value();
    }
    total.log_loss = log_loss_total.value();
    total.brier = brier_total.value();
    std::vector<RankGroupTotals> rank;
    RankTotals rank_total;
    std::span<const uint8_t> sc;
    if (want_ranking_) {
      sc = sorted_counts(counts, scratch);
      const uint32_t* sorted_codes = grouping.sorted_codes.data();
      rank_total = rank_walk_groups(
          sorted_flags_, [&](size_t i) { return int64_t{sc[i]}; }, [&](size_t i) { return sorted_codes[i]; },
          groups, want_ap_, rank);
    }
    Warnings scratch_warnings;
    for (size_t g = 0; g < groups; ++g) {
      BinarySums& s = sums[g];
      BinarySums rest;
      for (int c = 0; c < 4; ++c) rest.cells[c] = total.cells[c] - s.cells[c];
      rest.log_loss = total.log_loss - s.log_loss;
      rest.brier = total.brier - s.brier;
      if (want_ranking_) {
        s.positives = rank[g].group.positives;
        s.negatives = rank[g].group.negatives;
        s.twice_area = rank[g].group.twice_area;
        s.ap_sum = rank[g].group.ap_sum.value();
        s.has_ap = want_ap_;
        rest.positives = rank_total.positives - s.positives;
        rest.negatives = rank_total.negatives - s.negatives;
        rest.twice_area = rank[g].rest_twice_area;
        if (want_ap_) {
          // Not decomposable: one more walk, the group's rows counted 0.
          const uint32_t* sorted_codes = grouping.sorted_codes.data();
          const auto gi = static_cast<uint32_t>(g);
          const RankTotals r = rank_walk(
              sorted_flags_, [&](size_t i) { return sorted_codes[i] == gi ? int64_t{0} : int64_t{sc[i]}; },
              true);
          rest.ap_sum = r.ap_sum.value();
          rest.has_ap = true;
        }
      }
      binary_values(s, sel_, group_out.subspan(g * kMetrics, kMetrics), scratch_warnings);
      binary_values(rest, sel_, rest_out.subspan(g * kMetrics, kMetrics), scratch_warnings);
    }
  }

  MetricSelection sel_;
  size_t n_ = 0;
  bool want_ranking_ = false, want_ap_ = false, want_log_loss_ = false, want_brier_ = false;
  std::vector<uint8_t> row_cells_;  // label * 2 + predicted
  std::vector<double> log_loss_;    // row order
  std::vector<double> brier_;       // row order
  std::vector<uint32_t> order_;     // sorted position -> row, scores descending
  std::vector<uint8_t> sorted_flags_;
};

}  // namespace

std::unique_ptr<WeightedTask> make_weighted_binary(const TaskColumns& columns,
                                                   const MetricSelection& selection) {
  DPEVAL_CHECK(selection.wanted.size() == kMetrics);
  return std::make_unique<WeightedBinary>(columns, selection);
}

}  // namespace dpeval::eval::internal
