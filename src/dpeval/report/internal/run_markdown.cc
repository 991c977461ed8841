// The run report's Markdown sections (see run_sections.h): the HTML page's
// facts as two-column tables, the epochs as a table, the eval summary of
// report/markdown.h under "## Model" with a per-class table. No charts.
#include <algorithm>

#include "dpeval/report/internal/run_sections.h"
#include "dpeval/report/internal/text.h"
#include "dpeval/report/markdown.h"

namespace dpeval::report::internal {
namespace {

std::string md_number(std::optional<double> value) { return value ? format_number(*value) : "—"; }

// A code span when the text can be one inside a table cell, else escaped text.
std::string md_code(const std::string& text) {
  if (text.find_first_of("`|\n\r") != std::string::npos) return escape_markdown(text);
  return "`" + text + "`";
}

std::string md_facts_table(const std::vector<Fact>& facts) {
  std::string out = "| | |\n|:--|:--|\n";
  for (const Fact& fact : facts) {
    std::string value = "*not recorded*";
    if (fact.text) value = fact.code ? md_code(*fact.text) : escape_markdown(*fact.text);
    out += "| " + escape_markdown(fact.label) + " | " + value + " |\n";
  }
  return out + "\n";
}

std::string md_epoch_table(const std::vector<EpochRow>& epochs) {
  std::string out =
      "| epoch | train loss | test loss | test accuracy | seconds | samples/s | step breakdown (ms: data / "
      "compute / "
      "exposed communication wait / optimizer) |\n|--:|--:|--:|--:|--:|--:|:--|\n";
  for (const EpochRow& e : epochs) {
    std::string breakdown = "—";
    if (e.breakdown) {
      breakdown = format_number(e.breakdown->data) + " / " + format_number(e.breakdown->compute) + " / " +
                  format_number(e.breakdown->comm_wait) + " / " + format_number(e.breakdown->optimizer);
    }
    out += "| " + format_count_value(e.epoch) + " | " + md_number(e.train_loss) + " | " +
           md_number(e.test_loss) + " | " + md_number(e.test_accuracy) + " | " + md_number(e.seconds) +
           " | " + md_number(e.samples_per_s) + " | " + breakdown + " |\n";
  }
  return out + "\n";
}

std::string md_per_class(const Json& eval) {
  std::vector<PerClass> rows = read_per_class(eval);
  if (rows.empty()) return "";
  std::string out = "| class | precision | recall | f1 | support |\n|:--|--:|--:|--:|--:|\n";
  for (const PerClass& r : rows) {
    out += "| " + escape_markdown(r.label) + " | " + md_number(r.precision) + " | " + md_number(r.recall) +
           " | " + md_number(r.f1) + " | " + (r.support ? format_count_value(*r.support) : "—") + " |\n";
  }
  return out + "\n";
}

}  // namespace

std::string md_run_section(const Json& summary) {
  std::string out = "## Run\n\n" + md_facts_table(read_run_facts(summary));
  std::string command = read_command(summary);
  if (command.empty()) return out + "Reproduce: *not recorded*\n\n";
  // A fence longer than any run of backticks in the command.
  size_t longest = 0, run = 0;
  for (char c : command) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(std::max<size_t>(3, longest + 1), '`');
  return out + "Reproduce:\n\n" + fence + "sh\n" + command + "\n" + fence + "\n\n";
}

std::string md_training_section(const Json& summary) {
  std::vector<EpochRow> epochs = read_epochs(summary);
  std::string out = "## Training\n\n";
  out += epochs.empty() ? "No epoch recorded.\n\n" : md_epoch_table(epochs);
  std::vector<CurvePoint> lr = read_lr(summary);
  if (lr.empty()) return out + "Learning rate per step: *not recorded*\n\n";
  auto [lo, hi] =
      std::minmax_element(lr.begin(), lr.end(), [](const auto& a, const auto& b) { return a.y < b.y; });
  return out + "Learning rate: " + format_number(lr.front().y) + " at step " +
         format_count_value(lr.front().x) + ", " + format_number(lr.back().y) + " at step " +
         format_count_value(lr.back().x) + " (range " + format_number(lo->y) + " – " + format_number(hi->y) +
         ", " + std::to_string(lr.size()) + " points)\n\n";
}

std::string md_parallelism_section(const Json& summary) {
  std::string out = "## Parallelism\n\n" + md_facts_table(read_parallel_facts(summary));
  std::vector<double> buckets = read_bucket_bytes(summary);
  if (!buckets.empty()) {
    out += "Bucket sizes, in launch order: ";
    for (size_t i = 0; i < buckets.size(); ++i) out += (i == 0 ? "" : ", ") + format_bytes(buckets[i]);
    out += "\n\n";
  }
  std::string note = scaling_note(summary);  // our own text: its `code` spans stay
  return note.empty() ? out : out + note + "\n\n";
}

std::string md_data_section(const Json& summary, const Json* audit, std::string_view audit_link) {
  AuditHeadline headline = read_audit_headline(summary, audit);
  std::string out = "## Data\n\n";
  if (!headline.skipped.empty()) out += "Audit skipped: " + escape_markdown(headline.skipped) + "\n\n";
  if (headline.recorded) out += md_facts_table(headline.facts);
  if (!audit_link.empty()) out += "Full audit report: " + md_code(std::string(audit_link)) + "\n\n";
  if (!headline.recorded && headline.skipped.empty()) {
    out +=
        "No data audit recorded for this run: `dpeval audit --train <data> --json-out <dir>/audit.json` "
        "checks "
        "duplicates, train/test leakage, class balance and PII.\n\n";
  }
  return out;
}

std::string md_model_section(const Json& summary, const Json* eval) {
  std::string out = "## Model\n\n";
  if (eval) {
    if (!eval->is_object()) throw_bad_part("", "an object", *eval);
    return out + render_markdown(*eval) + "\n\n" + md_per_class(*eval);
  }
  const Json* evaluation = kRunSummary.object_member(summary, "evaluation", "");
  std::string skipped = evaluation ? kRunSummary.string_member(*evaluation, "skipped", "evaluation") : "";
  return out +
         (skipped.empty() ? "No evaluation document recorded for this run."
                          : "Evaluation skipped: " + escape_markdown(skipped)) +
         "\n\n";
}

}  // namespace dpeval::report::internal
