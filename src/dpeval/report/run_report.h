// The run report: one page telling the whole story of a `dpeval train --out
// DIR` run, from DIR/summary.json (the run summary), DIR/eval.json (the eval
// document, docs/EVAL.md) and an audit document (docs/AUDIT.md). Sections, in
// reading order, each an <h2> in a <section> with its id:
//   #run          model, parameters, data (+ manifest sha256), workers and
//                 backend, global batch, optimizer, LR schedule, seed, config
//                 hash, BLAS, CPU, wall time; the reproduce command
//   #training     loss (train and test) and test accuracy per epoch, learning
//                 rate over steps, the epoch table
//   #parallelism  throughput, step p50/p90, buckets and their sizes, bytes
//                 reduced per step, allreduce bandwidth, scaling efficiency (or
//                 how to get it); samples/s and the stacked step breakdown per epoch
//   #data         the audit headline (rows, duplicates, leakage, class balance,
//                 PII), or why the audit was skipped; the link to the audit page
//   #model        the eval page's sections (metrics, confusion matrix,
//                 calibration before/after, ...), classes by name when the eval
//                 document has class_names (Note [Class names] in
//                 report/internal/document.h)
// A fact the run did not record reads "not recorded" and a chart without data
// is left out: a summary from an older version still renders (Note [Not
// recorded] in report/internal/run_data.h). Facts carry data-fact="<key>".
//
// The page is self-contained like the eval page (Note [Self-contained] in
// report/html.h): no script, stylesheet, font or image is loaded, every
// string from the documents is escaped, numbers follow Note [Number format].
//
// Note [Audit link]
// The one address on the page is the caller's link to the full audit page,
// relative to the report (e.g. "audit.html" beside it); following it is the
// reader's choice, and rendering loads nothing. A link with a scheme or a
// leading "/" is a programming error (DPEVAL_CHECK).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace dpeval::report {

struct RunReportInput {
  const nlohmann::json& summary;          // DIR/summary.json
  const nlohmann::json* eval = nullptr;   // DIR/eval.json; null: no evaluation
  const nlohmann::json* audit = nullptr;  // the audit document; null: none
  std::string audit_html_link;            // relative address of the audit page; "" for no link
};

// The page as UTF-8 text. Pure; safe to call concurrently. Throws InputError
// naming the document and the field path when a part has the wrong type
// ("run summary: epochs[1].samples_per_s: expected a number or null, got
// string"; "eval document: class_names[2]: expected a string, got number";
// "audit document: checks[0].count: ..."); never for an absent field.
std::string render_run_html(const RunReportInput& input);

// The same sections as Markdown tables and bullets (no charts), for pull
// requests; ends in a newline. Throws as render_run_html().
std::string render_run_markdown(const RunReportInput& input);

// The renderers written to `path` atomically (core/atomic_file.h). Throw as
// above, and IoError.
void write_run_html(const std::filesystem::path& path, const RunReportInput& input);
void write_run_markdown(const std::filesystem::path& path, const RunReportInput& input);

}  // namespace dpeval::report
