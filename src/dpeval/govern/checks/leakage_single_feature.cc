// leakage.single_feature: a train column that predicts the label almost
// perfectly on its own. On the train sample (audit_scan.h), each column but the
// label is cut into bins: its distinct values when there are at most 64, else
// 32 equal-frequency bins of its numbers (text columns with more than 64
// distinct values are skipped, as are ID-like columns); missing is one more
// bin. The column's accuracy is that of predicting each bin's majority label:
// sum over bins of the majority count / sample rows. With two classes a numeric
// column's AUC (max(AUC, 1 - AUC), ties counted half) is computed too. A column
// is flagged when its accuracy or AUC is at least
// thresholds.single_feature_accuracy while the majority-class baseline is
// below it. count = flagged columns; value = the best accuracy. With fewer
// than kMinRows sampled rows any column separates a few rows by chance, so
// the check does not run (it says why).
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

constexpr size_t kDistinctBins = 64;
constexpr size_t kQuantileBins = 32;
constexpr size_t kRowsPerBin = 20;  // at least this many sampled rows per bin on average
constexpr size_t kMinRows = 100;

double binned_accuracy(const std::vector<uint64_t>& bins, const std::vector<uint32_t>& labels, size_t classes) {
  std::unordered_map<uint64_t, std::vector<uint64_t>> counts;
  for (size_t i = 0; i < bins.size(); ++i) {
    auto& c = counts[bins[i]];
    if (c.empty()) c.assign(classes, 0);
    ++c[labels[i]];
  }
  uint64_t correct = 0;
  for (const auto& [bin, c] : counts) correct += *std::max_element(c.begin(), c.end());
  return share(correct, bins.size());
}

// AUC of `values` for labels == 1 (NaN rows excluded); max(auc, 1 - auc).
std::optional<double> binary_auc(const std::vector<double>& values, const std::vector<uint32_t>& labels) {
  std::vector<std::pair<double, uint32_t>> v;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isnan(values[i])) v.emplace_back(values[i], labels[i]);
  }
  std::sort(v.begin(), v.end());
  double pos = 0, neg = 0, rank_sum = 0;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j < v.size() && v[j].first == v[i].first) ++j;
    const double mid_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;
    for (size_t k = i; k < j; ++k) {
      if (v[k].second == 1) {
        rank_sum += mid_rank;
        ++pos;
      } else {
        ++neg;
      }
    }
    i = j;
  }
  if (pos == 0 || neg == 0) return std::nullopt;
  const double auc = (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
  return std::max(auc, 1 - auc);
}

class SingleFeatureCheck final : public Check {
 public:
  std::string_view id() const override { return "leakage.single_feature"; }
  CheckResult run(const AuditContext& ctx) const override {
    const TableScan& t = ctx.train;
    if (t.label_column < 0) return skipped_result(id(), "no label column", {"baseline_accuracy", "sample_rows"});
    const Sample& s = t.sample;
    const size_t rows = s.rows.size(), cols = t.columns.size(), classes = t.label_values.size();
    if (rows == 0 || classes < 2) return skipped_result(id(), "fewer than two classes", {"baseline_accuracy", "sample_rows"});
    if (rows < kMinRows) {
      return skipped_result(id(), fmt::format("{} train rows; at least {} are needed to judge one column alone", rows, kMinRows),
                            {"baseline_accuracy", "sample_rows"});
    }
    std::vector<uint64_t> class_counts(classes, 0);
    for (uint32_t l : s.labels) ++class_counts[l];
    const double baseline = share(*std::max_element(class_counts.begin(), class_counts.end()), rows);
    const double threshold = ctx.thresholds.single_feature_accuracy;
    CheckResult r = make_result(id());
    nlohmann::json columns = nlohmann::json::array();
    double best = 0;
    for (size_t c = 0; c < cols; ++c) {
      if (static_cast<int>(c) == t.label_column) continue;
      if (std::find(t.id_columns.begin(), t.id_columns.end(), static_cast<int>(c)) != t.id_columns.end()) continue;
      std::vector<uint64_t> keys(rows);
      std::vector<double> numbers(rows);
      for (size_t i = 0; i < rows; ++i) {
        keys[i] = s.cells[i * cols + c];
        numbers[i] = s.numbers[i * cols + c];
      }
      std::vector<uint64_t> distinct(keys);
      std::sort(distinct.begin(), distinct.end());
      const size_t n_distinct = std::unique(distinct.begin(), distinct.end()) - distinct.begin();
      const std::string type = t.columns[c].inferred_type();
      const bool numeric = type == "numeric" || type == "integer";
      std::vector<uint64_t> bins;
      if (n_distinct <= kDistinctBins && n_distinct * kRowsPerBin <= rows) {
        bins = keys;
      } else if (numeric) {
        const size_t quantile_bins = std::clamp<size_t>(rows / kRowsPerBin, 2, kQuantileBins);
        std::vector<double> sorted;
        for (double v : numbers) {
          if (!std::isnan(v)) sorted.push_back(v);
        }
        std::sort(sorted.begin(), sorted.end());
        std::vector<double> edges;
        for (size_t b = 1; b < quantile_bins && !sorted.empty(); ++b) {
          edges.push_back(sorted[sorted.size() * b / quantile_bins]);
        }
        bins.resize(rows);
        for (size_t i = 0; i < rows; ++i) {
          bins[i] = std::isnan(numbers[i]) ? UINT64_MAX : std::upper_bound(edges.begin(), edges.end(), numbers[i]) - edges.begin();
        }
      } else {
        continue;  // high-cardinality text
      }
      const double accuracy = binned_accuracy(bins, s.labels, classes);
      std::optional<double> auc;
      if (classes == 2 && numeric) auc = binary_auc(numbers, s.labels);
      const double score = std::max(accuracy, auc.value_or(0));
      best = std::max(best, accuracy);
      if (score < threshold || baseline >= threshold) continue;
      ++r.count;
      columns.push_back({{"column", t.columns[c].name}, {"accuracy", accuracy}, {"auc", auc ? nlohmann::json(*auc) : nlohmann::json()}});
      if (r.examples.size() < kMaxExamples) {
        r.examples.push_back(example_json("train", 0, t.columns[c].name,
                                          fmt::format("predicts the label alone: accuracy {:.4f}{}", accuracy,
                                                      auc ? fmt::format(", AUC {:.4f}", *auc) : "")));
      }
    }
    r.value = best;
    r.figures["baseline_accuracy"] = baseline;
    r.figures["sample_rows"] = static_cast<double>(rows);
    r.details = {{"columns", columns}};
    r.severity = r.count > 0 ? Severity::kError : Severity::kInfo;
    r.message = fmt::format("{} column{} the label alone with accuracy or AUC >= {} (majority baseline {:.4f}, "
                            "{} sampled rows)",
                            r.count, r.count == 1 ? " predicts" : "s predict", threshold, baseline, rows);
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_leakage_single_feature_check() { return std::make_unique<SingleFeatureCheck>(); }

}  // namespace dpeval::govern::internal
