// The `dpeval drift` document ("dpeval.drift/1": per-column drift of a
// current dataset against a reference) as one self-contained HTML page and as
// Markdown for a pull-request comment. Sections, in reading order, each an
// <h2> in a <section> with its id:
//   header             reference and current sources, kinds, sha256 prefixes, row counts
//   #verdict           dataset drift yes/no, share drifted vs drift share, n
//                      drifted of n columns, the drifted columns, the
//                      Benjamini-Hochberg correction
//   #gates             gate results (when the document has gates)
//   #model-drift       the domain classifier's AUC with its interval against
//                      its threshold (when the document has model_drift)
//   #label-prediction  the label's and the predictions' entries (when present)
//   #columns           an overview table, then one <article> per column, most
//                      drifted first (Note [Drift order] in
//                      report/internal/drift_data.h): kind, method, statistic,
//                      p-value ("distance" for distance methods), BH-adjusted
//                      p-value and whether the column stays drifted after the
//                      correction, threshold, verdict, notes, a table of all
//                      its metrics, and its reference and current
//                      distributions drawn over each other (<svg
//                      class="dist-chart">: overlaid histograms or grouped bars
//                      per category, Note [Drift histogram])
// A column's <article> carries data-column="<name>" and data-drift="true|false";
// cards and fact rows carry data-field="<key>", metric rows data-metric="<key>".
//
// The page is self-contained like the eval page (Note [Self-contained] in
// report/html.h): no script, stylesheet, font or image is loaded, the charts
// are inline SVG, and every string from the document is escaped (a column
// named "<script>" is text). Numbers follow Note [Number format] in
// report/internal/text.h, p-values "< 0.0001" below 1e-4; a null number is
// "—" with the column's note naming it as the tooltip, else "undefined".
//
// The Markdown holds the same content minus the charts: the verdict line,
// gates, model-based drift, label and prediction drift, and the columns as a
// table in the same order with a table of their metrics.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace dpeval::report {

// The page as UTF-8 text. Pure; safe to call concurrently. Throws InputError
// when `doc` is not a drift document, naming what is wrong ("drift document:
// schema: expected \"dpeval.drift/1\", got \"dpeval.profile/1\" ...";
// "drift document: columns: expected an array of column entries, got null"),
// and when a part has the wrong type or shape, naming its path ("drift
// document: columns[1].p_value: expected a number or null, got string").
std::string render_drift_html(const nlohmann::json& doc);

// The Markdown, ending in a newline. Pure; throws as render_drift_html().
std::string render_drift_markdown(const nlohmann::json& doc);

// The renderers written to `path` atomically (core/atomic_file.h). Throw as
// above, and IoError.
void write_drift_html(const std::filesystem::path& path, const nlohmann::json& doc);
void write_drift_markdown(const std::filesystem::path& path, const nlohmann::json& doc);

}  // namespace dpeval::report
