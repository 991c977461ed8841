// The sections of the drift page (report/drift_report.h), as HTML and as
// Markdown, from the checked reads of drift_data.h. Each HTML section is
// "<section id=...><h2>...</h2>...</section>", or "" when the document lacks
// its data; each Markdown part ends in a blank line, or is "". Every string
// from the document is escaped here; numbers follow Note [Number format] in
// text.h (p-values as format_p_value()).
#pragma once

#include <string>

#include "dpeval/report/internal/drift_data.h"

namespace dpeval::report::internal {

// ---- HTML (drift_html.cc): #verdict, #model-drift, #label-prediction, #columns.
// (#gates is html_gates_section() of html_sections.h, the eval page's.)

std::string html_drift_verdict_section(const DriftDocument& doc);
std::string html_model_drift_section(const DriftDocument& doc);
std::string html_label_prediction_section(const DriftDocument& doc);
// An overview table of the columns, then one <article class="column"
// data-column="<name>" data-drift="true|false"> per column, in the order of
// doc.columns (Note [Drift order]).
std::string html_drift_columns_section(const DriftDocument& doc);

// ---- Charts (drift_chart.cc).

// <figure> with the column's reference and current distributions drawn over
// each other in an <svg class="dist-chart">: two semi-transparent histograms
// (Note [Drift histogram]) or grouped bars per category; "" without a
// distribution.
std::string html_drift_chart(const DriftColumn& column);
// <svg class="interval-bar auc-bar">: the AUC as a point on a track from 0.5
// (or lower, to hold the numbers) to 1, its interval as a bar, the threshold
// as a dashed mark; "" without an AUC.
std::string svg_auc_bar(const ModelDrift& model);

// ---- Markdown (drift_markdown.cc): the same content minus the charts.

std::string md_drift_header(const DriftDocument& doc);
std::string md_drift_verdict(const DriftDocument& doc);
std::string md_drift_gates(const DriftDocument& doc);
std::string md_model_drift(const DriftDocument& doc);
std::string md_label_prediction(const DriftDocument& doc);
std::string md_drift_columns(const DriftDocument& doc);

// ---- Text both writers share (plain, unescaped).

// "ref.csv (csv, sha256 0123456789ab, 1,000 rows)".
std::string drift_source_text(const DriftSource& source);
// "Drift of cur.csv against ref.csv".
std::string drift_title(const DriftDocument& doc);
// "1 of 3 columns drifted (share drifted 0.3333 vs drift share 0.5000)".
std::string drift_count_text(const DriftDocument& doc);
// "Benjamini-Hochberg at α 0.0500 over 2 p-value tests: 1 column stays drifted after correction".
std::string drift_correction_text(const MultipleTesting& testing);
// "domain-classifier (mlp 784-64-1, 3 epochs, 10,000 train / 10,000 test rows, from 10,000 reference
// and 10,000 current rows, seed 0, 1,000 bootstrap resamples)".
std::string model_drift_details(const ModelDrift& model);
// The p-value cell's text: format_p_value(), "distance" for a distance method, "—" when undefined.
std::string drift_p_text(const DriftColumn& column);
// The Markdown's "after correction" cell: "stays drifted", "not drifted after correction", "—" (not
// part of the correction).
std::string drift_correction_verdict(const DriftColumn& column);

}  // namespace dpeval::report::internal
