// Checked reads of the drift document ("dpeval.drift/1", written by `dpeval
// drift`; see report/drift_report.h) for the drift page and its Markdown twin.
// The document comes back as plain structs of text and numbers that both
// writers render, so the two say the same thing; the columns come back in the
// reading order of Note [Drift order].
//
// An absent or null field is never an error (a number without a value is
// shown as undefined, "—"); a field of the wrong JSON type is an InputError
// naming its path, e.g. "drift document: columns[2].distribution.edges[4]:
// expected a number, got string", like the eval document's reads in
// document.h. Functions are pure; safe to call concurrently.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/report/internal/document.h"

namespace dpeval::report::internal {

inline constexpr DocumentReader kDriftDocument{"drift document"};
inline constexpr std::string_view kDriftSchema = "dpeval.drift/1";

// reference / current: where the data came from.
struct DriftSource {
  std::string source;  // "ref.csv"
  std::string kind;    // "csv", "profile", "fashion-mnist", "npy", ...
  std::string sha256;  // hex; "" when absent
  std::optional<double> rows;
};

// Note [Drift histogram]
// A numeric column's distribution is `reference` and `current` shares over
// the same bins, bin i = [edges[i], edges[i+1]). When the bins are equally
// wide the chart's bar heights are the shares. When they are not (quantile
// bins of the reference), a share drawn as height would flatten what it
// shows, so the height is a density: the share per mean bin width, share *
// (mean width / bin width). The area of a bar is then its share, and on
// equal bins this height is the share itself; the y axis says which it is.
// Edges that do not increase (a constant column) cannot be placed on a value
// axis: the bins are then drawn side by side by index.
struct DriftHistogram {
  std::vector<double> edges;      // bins + 1 edges
  std::vector<double> reference;  // bins shares
  std::vector<double> current;    // bins shares
};

// A categorical column's distribution: one share pair per listed category,
// and optionally one for the categories beyond the listed ones.
struct DriftCategory {
  std::string value;
  double reference = 0;
  double current = 0;
};
struct DriftCategories {
  std::vector<DriftCategory> categories;
  std::optional<DriftCategory> other;  // value "(other)"
};

// metrics[key]; nullopt when null.
struct DriftMetric {
  std::string key;
  std::optional<double> value;
};

// Whether a method decides by a p-value (ks, chisquare, z: drift when p <
// threshold) or by a distance (wasserstein, psi, js, kl: drift when the
// statistic passes the threshold). A method this reader does not know counts
// as a p-value test when the entry has a p-value.
enum class DriftTest { kPValue, kDistance };

// One ColumnEntry: a feature, an image summary, the label or a prediction.
struct DriftColumn {
  size_t index = 0;  // position in its list in the document
  std::string name, kind, role, method;
  DriftTest test = DriftTest::kPValue;
  std::optional<double> statistic, p_value, p_value_adjusted, threshold;
  bool drift = false;
  std::optional<bool> drift_after_correction;  // nullopt: not part of the correction
  std::optional<double> n_reference, n_current, missing_reference, missing_current;
  // The tests' statistics and p-values, then the distances, then unknown keys by name.
  std::vector<DriftMetric> metrics;
  std::vector<std::string> notes;
  std::optional<DriftHistogram> histogram;    // distribution.type "histogram"
  std::optional<DriftCategories> categories;  // distribution.type "categories"
};

// model_drift: a domain classifier told reference from current rows.
struct ModelDrift {
  std::string method, model;
  std::optional<double> auc, confidence, threshold;
  std::optional<Interval> auc_interval;
  std::optional<bool> drift;
  std::optional<double> n_train, n_test, n_reference, n_current, seed, bootstrap_resamples, epochs;
};

// multiple_testing: the Benjamini-Hochberg correction over the p-value tests.
struct MultipleTesting {
  std::string method;
  std::optional<double> alpha, columns_tested;
  std::vector<std::string> drifted_after_correction;
};

struct DriftDocument {
  std::string version, method;
  DriftSource reference, current;
  std::optional<double> n_reference, n_current, drift_share, share_drifted;
  double n_columns = 0, n_drifted = 0;  // counted from `columns` when the document lacks them
  std::optional<bool> dataset_drift;
  std::vector<std::string> drifted_columns;
  std::optional<MultipleTesting> multiple_testing;
  std::vector<DriftColumn> columns;  // Note [Drift order]
  std::optional<DriftColumn> label;
  std::vector<DriftColumn> predictions;  // document order
  std::optional<ModelDrift> model_drift;
  std::vector<Gate> gates;
};

// The whole document. Throws InputError when `doc` is not a drift document
// (not an object, schema other than kDriftSchema, no "columns" array) or a
// part has the wrong type or shape (a histogram whose shares do not number
// one less than its edges).
DriftDocument read_drift_document(const Json& doc);

// Note [Drift order]
// Columns read most drifted first: drifted columns before the others, then
// by how far each is past its threshold, as one ratio that is > 1 past it:
//   p-value tests   threshold / p_value    (p 0.001 at 0.05 -> 50; p 0 -> inf)
//   distance tests  statistic / threshold  (psi 0.3 at 0.1 -> 3)
// larger first: for p-value tests the smaller p comes first, for distance
// tests the larger statistic/threshold ratio. A column without the numbers for
// its ratio (null p-value, null statistic, no positive threshold) goes last
// in its group; ties keep document order.

// The ratio of Note [Drift order]; nullopt when it has no value.
std::optional<double> drift_excess(const DriftColumn& column);
// Sorts `columns` into Note [Drift order] (a stable sort).
void sort_drift_columns(std::vector<DriftColumn>& columns);

// Why a number of `column` is null: the notes that name `key` ("p_value",
// "ks_pvalue_exact"; also written with spaces or hyphens), joined by "; ";
// "" when no note does.
std::string drift_null_reason(const DriftColumn& column, std::string_view key);

// The first 12 hex digits of a sha256, enough to tell files apart by eye.
std::string sha256_prefix(std::string_view sha256);

}  // namespace dpeval::report::internal
