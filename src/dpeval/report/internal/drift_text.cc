// The drift page's sentences that the HTML and the Markdown writer share, as
// plain text (see drift_sections.h); each writer escapes them.
#include <string>
#include <vector>

#include "dpeval/report/internal/drift_sections.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

std::string count_text(std::optional<double> count) { return count ? format_count_value(*count) : "—"; }

std::string number_text(std::optional<double> value) { return value ? format_number(*value) : "—"; }

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

}  // namespace

std::string drift_source_text(const DriftSource& source) {
  std::vector<std::string> details;
  if (!source.kind.empty()) details.push_back(source.kind);
  if (!source.sha256.empty()) details.push_back("sha256 " + sha256_prefix(source.sha256));
  if (source.rows)
    details.push_back(format_count_value(*source.rows) + (*source.rows == 1 ? " row" : " rows"));
  std::string name = source.source.empty() ? "(unnamed)" : source.source;
  return details.empty() ? name : name + " (" + joined(details) + ")";
}

std::string drift_title(const DriftDocument& doc) {
  if (doc.current.source.empty() && doc.reference.source.empty()) return "Drift report";
  return "Drift of " + (doc.current.source.empty() ? "(current)" : doc.current.source) + " against " +
         (doc.reference.source.empty() ? "(reference)" : doc.reference.source);
}

std::string drift_count_text(const DriftDocument& doc) {
  std::string out = format_count_value(doc.n_drifted) + " of " + format_count_value(doc.n_columns) +
                    (doc.n_columns == 1 ? " column" : " columns") + " drifted (share drifted " +
                    number_text(doc.share_drifted);
  if (doc.drift_share) out += " vs drift share " + format_number(*doc.drift_share);
  return out + ")";
}

std::string drift_correction_text(const MultipleTesting& testing) {
  std::string method = testing.method.empty() ? "multiple-testing correction" : testing.method;
  if (method == "benjamini-hochberg") method = "Benjamini-Hochberg";
  std::string out = method;
  if (testing.alpha) out += " at α " + format_number(*testing.alpha);
  if (testing.columns_tested) {
    out += " over " + format_count_value(*testing.columns_tested) +
           (*testing.columns_tested == 1 ? " p-value test" : " p-value tests");
  }
  size_t stays = testing.drifted_after_correction.size();
  return out + ": " + std::to_string(stays) + (stays == 1 ? " column stays" : " columns stay") +
         " drifted after correction";
}

std::string model_drift_details(const ModelDrift& model) {
  std::vector<std::string> details;
  if (!model.model.empty()) details.push_back(model.model);
  if (model.epochs) details.push_back(count_text(model.epochs) + (*model.epochs == 1 ? " epoch" : " epochs"));
  if (model.n_train || model.n_test)
    details.push_back(count_text(model.n_train) + " train / " + count_text(model.n_test) + " test rows");
  if (model.n_reference || model.n_current)
    details.push_back("from " + count_text(model.n_reference) + " reference and " +
                      count_text(model.n_current) + " current rows");
  if (model.seed) details.push_back("seed " + count_text(model.seed));
  if (model.bootstrap_resamples)
    details.push_back(count_text(model.bootstrap_resamples) + " bootstrap resamples");
  std::string method = model.method.empty() ? "domain classifier" : model.method;
  return details.empty() ? method : method + " (" + joined(details) + ")";
}

std::string drift_p_text(const DriftColumn& column) {
  if (column.test == DriftTest::kDistance && !column.p_value) return "distance";
  return column.p_value ? format_p_value(*column.p_value) : "—";
}

std::string drift_correction_verdict(const DriftColumn& column) {
  if (!column.drift_after_correction) return "—";
  return *column.drift_after_correction ? "stays drifted" : "not drifted after correction";
}

}  // namespace dpeval::report::internal
