// `dpeval drift`: does the current data still look like the reference? Per
// column a statistic and a verdict, chosen as Evidently 0.2-0.4 chooses them
// (Note [Default method]); across columns the share that drifted and the
// Benjamini-Hochberg view; for images a domain classifier (domain_classifier.h).
// The result is the "dpeval.drift/1" document; docs/DRIFT.md states every
// statistic's definition and edge cases, and this code follows it.
//
// Note [Default method]
// n_values = distinct non-missing values of reference and current together;
// a column is numeric when every non-missing cell on both sides is a number
// and n_values > 5 (unless declared categorical), binary when n_values <= 2,
// categorical otherwise.
//   reference rows <= 1000: numeric -> ks (drift when p < 0.05),
//                           categorical -> chisquare (p < 0.05),
//                           binary -> z (p < 0.05);
//   reference rows > 1000:  numeric -> wasserstein (normed, drift when >= 0.1),
//                           categorical and binary -> js (>= 0.1).
// --method applies to every column it is defined for (ks and wasserstein:
// numeric; chisquare: categorical and binary; z: binary; psi, js, kl: all);
// a column it is not defined for keeps the default, with a note. --threshold
// replaces every column's threshold. The KS decision uses the exact p-value
// when max(m, n) <= 10000 (scipy's 'auto'), else the asymptotic one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dpeval/eval/gates.h"
#include "dpeval/monitor/profile.h"

namespace dpeval::monitor {

inline constexpr std::string_view kDriftSchema = "dpeval.drift/1";

enum class DriftMethod : uint8_t {
  kAuto,
  kKs,
  kWasserstein,
  kPsi,
  kJs,
  kChiSquare,
  kZ,
  kKl,
  kDomainClassifier
};
inline constexpr EnumText<DriftMethod> kDriftMethodTexts[] = {
    {DriftMethod::kAuto, "auto"},
    {DriftMethod::kKs, "ks"},
    {DriftMethod::kWasserstein, "wasserstein"},
    {DriftMethod::kPsi, "psi"},
    {DriftMethod::kJs, "js"},
    {DriftMethod::kChiSquare, "chisquare"},
    {DriftMethod::kZ, "z"},
    {DriftMethod::kKl, "kl"},
    {DriftMethod::kDomainClassifier, "domain-classifier"}};
constexpr const auto& enum_texts(DriftMethod) { return kDriftMethodTexts; }

struct DriftOptions {
  DriftMethod method = DriftMethod::kAuto;
  std::optional<double> threshold;   // every column's; default per method
  double drift_share = 0.5;          // dataset drift when share_drifted >= this
  std::vector<std::string> columns;  // empty: every feature column of the reference
  bool predictions_only = false;     // no feature columns: the label and prediction columns alone
  std::vector<std::string> categorical;
  std::string label_col;
  std::string prediction_col;
  double domain_threshold = 0.55;  // the domain classifier's AUC threshold (with --threshold for it)
  uint64_t seed = 0;
  size_t threads = 0;
};

// The drift document of `current` against `reference` (both profiles:
// build_profile of the data, the reference's possibly read from a file).
// `reference_images` / `current_images` (may be null or empty) are the pixels
// of image sources, for the domain classifier. Throws InputError naming the
// file and column for a column missing from current, a column whose type
// differs between the two, a label or prediction column on one side only.
nlohmann::json drift_document(const Profile& reference, const Profile& current, const DriftOptions& options,
                              const data::Dataset* reference_images, const data::Dataset* current_images);

// The gates of `dpeval drift --fail-if` judged against a drift document:
// dataset_drift, share_drifted, n_drifted, n_columns, n_reference, n_current,
// auc (the domain classifier's), and <figure>.<column> for every column
// (label and prediction entries included), figure = drift, statistic, p_value,
// p_value_adjusted, threshold or any name in its metrics. A figure that is
// null fails its gate. Throws UsageError naming the valid names for an
// unknown one.
std::vector<eval::GateResult> evaluate_drift_gates(const nlohmann::json& doc,
                                                   std::span<const std::string> expressions);

}  // namespace dpeval::monitor
