// dpeval audit: data quality, train/test leakage, imbalance, label noise and
// PII findings for a dataset, as one JSON document with gates (docs/AUDIT.md).
//
// Each finding is one Check (checks/*.cc): it reads the scans of the train and
// test sets (audit_scan.h) and returns a CheckResult. Adding a check is one file
// plus one line in checks/registry.cc. Checks never throw for properties of the
// data; a check that cannot run (no test set, no predictions, no images) still
// appears, with skipped set and the reason in its message.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/eval/gates.h"
#include "dpeval/eval/predictions.h"
#include "dpeval/govern/audit_document.h"
#include "dpeval/govern/audit_scan.h"

namespace dpeval::govern {

enum class Severity { kInfo, kWarning, kError };
std::string_view severity_name(Severity severity);  // "info", "warning", "error"

struct CheckResult {
  std::string id;  // "quality.duplicates"
  Severity severity = Severity::kInfo;
  std::string message;
  uint64_t count = 0;
  std::optional<double> value;  // the check's headline number (a share, ratio, ...), null if none
  nlohmann::json examples = nlohmann::json::array();  // [{"set", "row", "column", "detail"}, ...]
  std::map<std::string, double> figures;              // more numbers for gates: "<id>.<name>"
  nlohmann::json details;                             // check-specific tables (null when none)
  bool skipped = false;
};

struct AuditThresholds {
  double near_constant_share = 0.99;      // a column whose top value has at least this share
  double rare_class_share = 0.01;         // classes below this share of the train rows
  double single_feature_accuracy = 0.99;  // single-feature accuracy or AUC at least this: a likely leak
  int near_duplicate_bits = 8;            // dHash-364 Hamming distance (Note [Image hash])
  double shift_p_value = 0.001;           // KS / chi-squared p below this: a shifted column
};

// A row's feature hash and label, sortable: rows with equal features are
// adjacent, and within them rows with equal labels.
struct RowKey {
  Hash128 hash;
  uint32_t label = 0;
  uint32_t row = 0;
  auto operator<=>(const RowKey&) const = default;
};

// The train rows as RowKeys, sorted (computed once for the checks that group
// rows), on `threads` threads (0: all cores).
// See Note [Row key sort] in audit.cc.
std::vector<RowKey> sorted_row_keys(const TableScan& scan, size_t threads = 0);

// Sorted keys fall into kRowKeyBuckets runs by the top bits of hash.lo (the
// first field compared): row_key_bucket(h) names the run a hash belongs to.
inline constexpr int kRowKeyBucketBits = 16;
inline constexpr size_t kRowKeyBuckets = size_t{1} << kRowKeyBucketBits;
inline size_t row_key_bucket(const Hash128& h) {
  return static_cast<size_t>(h.lo >> (64 - kRowKeyBucketBits));
}
// For sorted `keys`: kRowKeyBuckets + 1 offsets; the keys of bucket b are
// [starts[b], starts[b + 1]). Lets a lookup search one bucket instead of all keys.
std::vector<size_t> row_key_bucket_starts(std::span<const RowKey> keys);

// What the checks read. test and predictions may be null.
struct AuditContext {
  explicit AuditContext(const TableScan& train_scan) : train(train_scan) {}
  const TableScan& train;
  const TableScan* test = nullptr;
  const eval::Predictions* predictions = nullptr;
  std::vector<RowKey> train_keys;  // sorted_row_keys(train)
  AuditThresholds thresholds;
  bool schema_given = false;
  std::string skip_pii_reason;  // non-empty when PII was not scanned
  size_t threads = 0;           // for the checks that use a ThreadPool (0: all cores)
};

class Check {
 public:
  virtual ~Check() = default;
  virtual std::string_view id() const = 0;
  virtual CheckResult run(const AuditContext& context) const = 0;
};

// Every check, in report order.
std::vector<std::unique_ptr<Check>> make_audit_checks();

struct AuditOptions {
  std::string train;                      // a path (.csv, .tsv, .npy, .idx/.gz/-ubyte) or "fashion-mnist"
  std::string test;                       // optional
  std::string train_labels, test_labels;  // labels for .npy / IDX features
  std::string label_col = "label";
  std::string group_col;
  std::string schema;  // optional TOML schema file
  std::vector<std::string> text_cols;
  std::string predictions;  // optional out-of-fold predictions, row-aligned with train
  bool pii = true;
  size_t threads = 0;
  AuditThresholds thresholds;
};

// Loads, scans and runs every check; returns the audit document (without
// "gates"). Throws InputError/ConfigError for unreadable or malformed input,
// UsageError for inconsistent options.
nlohmann::json run_audit(const AuditOptions& options);

// The checks' results as the document's parts.
nlohmann::json check_result_json(const CheckResult& result);

// Every number a gate may name, from a document's "checks" and "rows":
// "<id>.count", "<id>.value", "<id>.<figure>", "<group>.count" (the sum over
// the group's checks: quality, leakage, imbalance, label_noise, pii, shift),
// "leakage.test_share", "rows.train", "rows.test". null for skipped checks.
std::map<std::string, std::optional<double>> audit_gate_values(const nlohmann::json& doc);

// Judges `expressions` (see eval/gates.h for the grammar) against the values
// above; UsageError for a malformed expression or an unknown name.
std::vector<eval::GateResult> evaluate_audit_gates(const nlohmann::json& doc,
                                                   std::span<const std::string> expressions);

}  // namespace dpeval::govern
