// The eval result document (docs/EVAL.md, a nlohmann::json as `dpeval eval
// --json` writes it) as one self-contained HTML page: header (title, source,
// task, n), headline metric cards, confusion-matrix heatmap, reliability
// diagram (before and after recalibration), ROC and PR curves, the slice table
// worst first, fairness, gate results and warnings.
//
// Note [Self-contained]
// The page loads nothing: no scripts, stylesheets, fonts or images, not even a
// URL in an attribute. Styles are one inline <style>; charts are inline SVG
// written here. It opens the same from a CI artifact, an e-mail or a machine
// without a network, and it cannot leak where it was opened.
//
// Note [Report anchors]
// For readers and tests: sections carry ids #metrics, #confusion,
// #calibration, #curves, #slices, #fairness, #gates, #warnings; a headline card
// carries data-metric="<key>" and a fairness number data-fairness="<key>".
// A section whose data the document lacks is left out. Every string from the
// document (column names, slice values, gate expressions, warnings) is
// escaped: a slice value "<script>" is shown as text. Numbers follow Note
// [Number format] in report/internal/text.h; null is "—" with the tooltip
// "undefined".
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace dpeval::report {

struct HtmlOptions {
  // The page's <title> and heading; empty: "Evaluation of <source>".
  std::string title;
  // Most rows of the slice table, worst first; the rest are counted in a last
  // row. 0: every slice.
  size_t slice_rows_max = 500;
};

// The page as UTF-8 text. Pure; safe to call concurrently.
// Throws InputError naming the part ("eval document: slices.columns.region[2].n:
// expected a number or null, got string") when `doc` is not an object or a
// part has the wrong type or shape (a confusion matrix that is not K x K).
std::string render_html(const nlohmann::json& doc, const HtmlOptions& options = {});

// render_html() written to `path` atomically (core/atomic_file.h): a reader sees
// the old file or the whole new one. Throws as render_html(), and IoError.
void write_html(const std::filesystem::path& path, const nlohmann::json& doc,
                const HtmlOptions& options = {});

}  // namespace dpeval::report
