// Checked reads of a training run for the run report (report/run_report.h):
// the run summary (`dpeval train --out DIR` writes DIR/summary.json) and the
// audit document (docs/AUDIT.md). Each part comes back as plain structs of
// text and numbers that the HTML and the Markdown writer both render, so the
// two say the same thing.
//
// Note [Not recorded]
// Runs from older versions lack the newer summary fields (schema, cpu,
// command, wall_seconds, lr, bucket_bytes, bytes_reduced_per_step, per-epoch
// samples_per_s / steps / step_breakdown_ms, baseline_samples_per_s,
// scaling_efficiency, audit). An absent or null field is never an error: a
// Fact without text is shown as "not recorded", a chart without data is left
// out. A field of the wrong JSON type is an InputError naming its path
// ("run summary: epochs[1].step_breakdown_ms.compute: expected a number or
// null, got string"), like the eval document's reads in document.h.
//
// Functions are pure; safe to call concurrently on the same documents.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dpeval/report/internal/document.h"

namespace dpeval::report::internal {

inline constexpr DocumentReader kRunSummary{"run summary"};
inline constexpr DocumentReader kAuditDocument{"audit document"};

// One row of a facts table. `text` is plain (the writers escape it); nullopt
// is "not recorded". `code`: shown in monospace (hashes, paths).
struct Fact {
  std::string key;  // data-fact="<key>" in the HTML, for readers and tests
  std::string label;
  std::optional<std::string> text;
  bool code = false;
};

// ---- Run: what was trained, on what, how and where.

// Model, params, data (+ manifest), workers and backend, global batch,
// optimizer, LR schedule, seed, config hash, BLAS, CPU, wall time, version.
std::vector<Fact> read_run_facts(const Json& summary);
// summary.command: the reproduce command (a string, or an array of arguments
// joined by spaces with shell quoting where needed); "" when absent.
std::string read_command(const Json& summary);
// summary.workers; nullopt when absent.
std::optional<double> read_workers(const Json& summary);

// ---- Training and parallelism, per epoch.

// epochs[i].step_breakdown_ms: where a step's time went, in ms.
struct StepBreakdown {
  double data = 0, compute = 0, comm_wait = 0, optimizer = 0;
};

struct EpochRow {
  double epoch = 0;  // epochs[i].epoch, else i + 1
  std::optional<double> train_loss, test_loss, test_accuracy, seconds, samples_per_s, steps;
  std::optional<StepBreakdown> breakdown;
};
std::vector<EpochRow> read_epochs(const Json& summary);

// object[key] as a StepBreakdown (absent parts 0); nullopt when absent.
// summary.step_breakdown_ms_p50 is the whole run's; epochs[i].step_breakdown_ms an epoch's.
std::optional<StepBreakdown> read_breakdown(const Json& object, std::string_view key,
                                            const std::string& path);

// summary.lr: [{"step", "lr"}, ...] as (step, lr); empty when absent.
std::vector<CurvePoint> read_lr(const Json& summary);

// The step breakdown's parts, in stacking order, with their labels:
// data, compute, "exposed communication wait" (comm_wait), optimizer.
inline constexpr const char* kBreakdownLabels[] = {"data", "compute", "exposed communication wait",
                                                   "optimizer"};

// Throughput, step times, buckets, bytes reduced, allreduce bandwidth, ZeRO,
// gradient dtype, the whole-run step breakdown (p50), scaling efficiency.
std::vector<Fact> read_parallel_facts(const Json& summary);
// summary.bucket_bytes: each bucket's size in bytes; empty when absent.
std::vector<double> read_bucket_bytes(const Json& summary);
// Scaling efficiency: "" when the summary has summary.scaling_efficiency (then
// it is a Fact), else the sentence saying how to get it; with one worker, the
// sentence saying there is no communication to scale.
std::string scaling_note(const Json& summary);

// ---- Data: the audit's headline.

struct AuditHeadline {
  std::vector<Fact> facts;  // rows, duplicates, leakage, near duplicates, class balance, PII
  std::string skipped;      // summary.audit.skipped: why no audit ran
  bool recorded = false;    // an audit document or summary.audit.headline was there
};
// From `audit` when given (docs/AUDIT.md: quality.duplicates,
// leakage.exact, leakage.near_duplicates, imbalance.classes, pii.*), else from
// summary.audit.headline (an object of scalars, shown key by key).
AuditHeadline read_audit_headline(const Json& summary, const Json* audit);

// ---- Formats shared by the writers.

// 1536 -> "1.50 KiB", 3 -> "3 B".
std::string format_bytes(double bytes);
// 12.345 -> "12.35 s"; 125 -> "125.0 s (2.1 min)".
std::string format_seconds(double seconds);

}  // namespace dpeval::report::internal
