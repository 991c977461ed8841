// label_noise.suspects: confident-learning style (Northcutt et al. 2021) on
// out-of-fold predicted probabilities row-aligned with train. For each class j
// the threshold t_j is the mean of p_j over the rows labelled j. A row
// labelled y is a suspect when some class k != y is "confident" (p_k >= t_k)
// and, among the confident classes, the one with the largest p_k is not y.
// count = suspects; value = suspects / rows; examples: the suspects with the
// lowest p_y (self-confidence) first.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class LabelNoiseCheck final : public Check {
 public:
  std::string_view id() const override { return "label_noise.suspects"; }
  CheckResult run(const AuditContext& ctx) const override {
    if (!ctx.predictions) return skipped_result(id(), "no --predictions");
    const eval::Predictions& p = *ctx.predictions;
    const size_t n = p.n, k = p.num_classes;
    std::vector<double> sum(k, 0);
    std::vector<uint64_t> count(k, 0);
    for (size_t i = 0; i < n; ++i) {
      const size_t y = static_cast<size_t>(p.labels[i]);
      sum[y] += p.probs[i * k + y];
      ++count[y];
    }
    std::vector<double> threshold(k);
    for (size_t j = 0; j < k; ++j) threshold[j] = count[j] == 0 ? INFINITY : sum[j] / count[j];
    std::vector<std::pair<double, size_t>> suspects;  // (self-confidence, row)
    std::vector<size_t> suggested(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const size_t y = static_cast<size_t>(p.labels[i]);
      const double* row = &p.probs[i * k];
      size_t best = k;
      for (size_t j = 0; j < k; ++j) {
        if (row[j] >= threshold[j] && (best == k || row[j] > row[best])) best = j;
      }
      if (best == k || best == y) continue;
      suspects.emplace_back(row[y], i);
      suggested[i] = best;
    }
    CheckResult r = make_result(id());
    r.count = suspects.size();
    std::sort(suspects.begin(), suspects.end());
    for (size_t e = 0; e < suspects.size() && e < kMaxExamples; ++e) {
      const size_t i = suspects[e].second;
      r.examples.push_back(example_json("train", i, "",
                                        fmt::format("label {} has p = {:.4f}; class {} has p = {:.4f}",
                                                    static_cast<size_t>(p.labels[i]), suspects[e].first, suggested[i],
                                                    p.probs[i * k + suggested[i]])));
    }
    nlohmann::json thresholds = nlohmann::json::array();
    for (double t : threshold) thresholds.push_back(std::isfinite(t) ? nlohmann::json(t) : nlohmann::json());
    r.value = share(r.count, n);
    r.details = {{"class_thresholds", thresholds}, {"predictions", p.source}};
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} rows ({}) whose given label looks wrong to the out-of-fold predictions", r.count,
                            percent(*r.value));
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_label_noise_check() { return std::make_unique<LabelNoiseCheck>(); }

}  // namespace dpeval::govern::internal
