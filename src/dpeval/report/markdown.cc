// The Markdown summary for pull-request comments (see markdown.h): one table
// per part, each only when the document has it.
#include "dpeval/report/markdown.h"

#include <algorithm>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/report/internal/document.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report {
namespace {

using internal::escape_markdown;
using internal::Json;

constexpr size_t kWorstSlices = 5;

std::string md_number(std::optional<double> value) { return value ? internal::format_number(*value) : "—"; }

std::string md_count(std::optional<double> count) {
  return count ? internal::format_count_value(*count) : "—";
}

std::string md_interval(const std::optional<internal::Interval>& interval) {
  return interval ? internal::format_number(interval->lo) + " – " + internal::format_number(interval->hi)
                  : "";
}

std::string md_header(const Json& doc) {
  std::string source = internal::string_member(doc, "source", "");
  std::string out = "### dpeval eval" + (source.empty() ? "" : ": " + escape_markdown(source)) + "\n\n";
  std::vector<std::string> parts;
  std::string task = internal::string_member(doc, "task", "");
  if (!task.empty()) parts.push_back(escape_markdown(task));
  if (auto n = internal::number_member(doc, "n", "")) parts.push_back("n = " + md_count(n));
  if (auto k = internal::number_member(doc, "num_classes", "")) parts.push_back(md_count(k) + " classes");
  for (size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : " · ") + parts[i];
  return parts.empty() ? out : out + "\n\n";
}

std::string md_metrics(const Json& doc) {
  std::vector<internal::Metric> metrics = internal::read_metrics(doc);
  if (metrics.empty()) return "";
  bool any_interval =
      std::any_of(metrics.begin(), metrics.end(), [](const auto& m) { return m.interval.has_value(); });
  std::string out =
      any_interval ? "| metric | value | interval |\n|:--|--:|:--|\n" : "| metric | value |\n|:--|--:|\n";
  for (const internal::Metric& m : metrics) {
    out += "| " + escape_markdown(m.name) + " | " + md_number(m.value) + " |";
    if (any_interval) out.append(" ").append(md_interval(m.interval)).append(" |");
    out += "\n";
  }
  std::string bootstrap = internal::bootstrap_text(doc);
  if (any_interval && !bootstrap.empty()) out.append("\n").append(escape_markdown(bootstrap)).append("\n");
  return out + "\n";
}

std::string md_gates(const Json& doc) {
  std::vector<internal::Gate> gates = internal::read_gates(doc);
  if (gates.empty()) return "";
  auto passed = std::count_if(gates.begin(), gates.end(), [](const auto& g) { return g.passed; });
  std::string out =
      "**Gates: " + std::to_string(passed) + " of " + std::to_string(gates.size()) + " passed**\n\n";
  out += "| | gate | value |\n|:-:|:--|--:|\n";
  for (const internal::Gate& g : gates)
    out += std::string("| ") + (g.passed ? "✅" : "❌") + " | " + escape_markdown(g.expression) + " | " +
           md_number(g.value) + " |\n";
  return out + "\n";
}

std::string md_slice_flags(const internal::SliceRow& row) {
  std::string flags;
  for (const internal::SliceFlag& f : row.worse) {
    std::string p = f.p_value ? " (p " + internal::format_p_value(*f.p_value) + ")" : "";
    flags += (flags.empty() ? "" : ", ") + ("worse: " + escape_markdown(f.metric) + escape_markdown(p));
  }
  return flags;
}

// The five worst slices that are not too small (Note [Worst slice]).
std::string md_slices(const Json& doc) {
  std::optional<internal::SliceTable> table = internal::read_slices(doc);
  if (!table) return "";
  std::string metric = escape_markdown(table->primary.name);
  std::string out = "**Worst slices** by " + metric +
                    (table->primary.higher_is_better ? " (higher is better)" : " (lower is better)");
  if (table->min_slice_size) out += ", slices with n ≥ " + md_count(table->min_slice_size);
  out += "\n\n| slice | n | " + metric + " | interval | flags |\n|:--|--:|--:|:--|:--|\n";
  size_t shown = 0;
  for (const internal::SliceRow& row : table->rows) {
    if (row.too_small || shown == kWorstSlices) continue;
    out += "| " + escape_markdown(row.column) + " = " + escape_markdown(row.value) + " | " + md_count(row.n) +
           " | " + md_number(row.metric) + " | " + md_interval(row.interval) + " | " + md_slice_flags(row) +
           " |\n";
    ++shown;
  }
  return shown == 0 ? "" : out + "\n";
}

std::string md_fairness(const Json& doc) {
  std::optional<internal::Fairness> fairness = internal::read_fairness(doc);
  if (!fairness || fairness->summary.empty()) return "";
  std::string out = "**Fairness**";
  if (!fairness->sensitive.empty()) out += " by " + escape_markdown(fairness->sensitive);
  out += "\n\n| measure | value |\n|:--|--:|\n";
  for (const internal::Metric& m : fairness->summary) {
    std::string name = m.name;
    std::replace(name.begin(), name.end(), '_', ' ');
    out += "| " + escape_markdown(name) + " | " + md_number(m.value) + " |\n";
  }
  return out + "\n";
}

std::string md_warnings(const Json& doc) {
  std::vector<std::string> warnings = internal::read_warnings(doc);
  if (warnings.empty()) return "";
  std::string out = "**Warnings**\n\n";
  for (const std::string& w : warnings) out += "- " + escape_markdown(w) + "\n";
  return out + "\n";
}

}  // namespace

std::string render_markdown(const nlohmann::json& doc) {
  if (!doc.is_object()) internal::throw_bad_part("", "an object", doc);
  try {
    std::string out = md_header(doc) + md_metrics(doc) + md_gates(doc) + md_slices(doc) + md_fairness(doc) +
                      md_warnings(doc);
    while (out.ends_with("\n\n")) out.pop_back();
    return out;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("eval document: ") + e.what());
  }
}

void write_markdown(const std::filesystem::path& path, const nlohmann::json& doc) {
  write_file_atomic(path, render_markdown(doc));
}

}  // namespace dpeval::report
