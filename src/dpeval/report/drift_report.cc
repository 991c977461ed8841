// The drift page and its Markdown twin (see drift_report.h): head with the
// report stylesheet and the drift page's rules, header, then the sections of
// report/internal/drift_sections.h in reading order.
#include "dpeval/report/drift_report.h"

#include <string>
#include <string_view>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/report/internal/drift_sections.h"
#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/page_style.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report {
namespace {

using internal::DriftDocument;
using internal::DriftSource;
using internal::escape_html;

// The run page's stylesheet (series colours, fact tables) plus the drift page's rules: the
// histograms' translucency, the threshold mark, the column articles and their flags.
constexpr std::string_view kDriftStyle = R"css(
svg .hist{fill-opacity:.5;stroke-opacity:.8;stroke-width:.5}
svg .threshold{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:3 2}
.verdict{font-size:16px}
.flag.drift{background:#ffebe9;color:var(--bad)}
.flag.stable{background:#dafbe1;color:var(--good)}
article.column{border:1px solid var(--line);border-radius:6px;padding:6px 14px 12px;margin:14px 0}
article.column.drifted{border-left:4px solid var(--bad)}
article.column h3{font-size:15px;margin:4px 0 8px}
article.column h3 code{font-size:14px}
article.column figure{width:600px;max-width:100%}
tr.drifted td:first-child code{color:var(--bad)}
.distance{color:var(--muted);font-style:italic}
ul.notes{margin:8px 0 0;padding-left:18px;color:var(--muted);font-size:12px}
)css";

std::string source_markup(std::string_view role, const DriftSource& source) {
  std::string out = std::string(role) + " <code data-field=\"" + std::string(role) + "\">" +
                    escape_html(source.source.empty() ? "(unnamed)" : source.source) + "</code>";
  std::string details;
  auto add = [&details](const std::string& part) { details += (details.empty() ? "" : ", ") + part; };
  if (!source.kind.empty()) add(escape_html(source.kind));
  if (!source.sha256.empty()) {
    add("sha256 <code title=\"" + escape_html(source.sha256) + "\">" +
        escape_html(internal::sha256_prefix(source.sha256)) + "</code>");
  }
  if (source.rows) add(internal::format_count_value(*source.rows) + (*source.rows == 1 ? " row" : " rows"));
  return details.empty() ? out : out + " (" + details + ")";
}

std::string header_markup(const DriftDocument& doc) {
  std::string meta =
      source_markup("reference", doc.reference) + " · " + source_markup("current", doc.current);
  if (!doc.version.empty()) meta += " · dpeval " + escape_html(doc.version);
  return "<header><h1>" + escape_html(internal::drift_title(doc)) + "</h1><p class=\"meta\">" + meta +
         "</p></header>\n";
}

std::string page(const nlohmann::json& json) {
  DriftDocument doc = internal::read_drift_document(json);
  std::string title = internal::drift_title(doc);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"dpeval drift\">\n<title>" +
      escape_html(title) + "</title>\n<style>" + std::string(internal::run_page_style()) +
      std::string(kDriftStyle) + "</style>\n</head>\n<body>\n";
  out += header_markup(doc) + "<main>\n";
  out += internal::html_drift_verdict_section(doc);
  out += internal::html_gates_section(json);  // read_drift_document() has checked the gates
  out += internal::html_model_drift_section(doc);
  out += internal::html_label_prediction_section(doc);
  out += internal::html_drift_columns_section(doc);
  return out + "</main>\n</body>\n</html>\n";
}

std::string markdown(const nlohmann::json& json) {
  DriftDocument doc = internal::read_drift_document(json);
  std::string out = internal::md_drift_header(doc) + internal::md_drift_verdict(doc) +
                    internal::md_drift_gates(doc) + internal::md_model_drift(doc) +
                    internal::md_label_prediction(doc) + internal::md_drift_columns(doc);
  while (out.ends_with("\n\n")) out.pop_back();
  return out;
}

// The checked reads throw InputError; anything nlohmann throws past them is still the input's fault.
template <typename Render>
std::string checked(const nlohmann::json& doc, Render render) {
  try {
    return render(doc);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("drift document: ") + e.what());
  }
}

}  // namespace

std::string render_drift_html(const nlohmann::json& doc) { return checked(doc, page); }

std::string render_drift_markdown(const nlohmann::json& doc) { return checked(doc, markdown); }

void write_drift_html(const std::filesystem::path& path, const nlohmann::json& doc) {
  write_file_atomic(path, render_drift_html(doc));
}

void write_drift_markdown(const std::filesystem::path& path, const nlohmann::json& doc) {
  write_file_atomic(path, render_drift_markdown(doc));
}

}  // namespace dpeval::report
