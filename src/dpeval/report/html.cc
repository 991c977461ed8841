// The HTML report page: head with the one inline stylesheet, header, then the
// sections of report/internal/html_sections.h in reading order (see html.h).
#include "dpeval/report/html.h"

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/page_style.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report {
namespace {

using internal::escape_html;

std::string page_title(const nlohmann::json& doc, const HtmlOptions& options) {
  if (!options.title.empty()) return options.title;
  std::string source = internal::string_member(doc, "source", "");
  return source.empty() ? "Evaluation" : "Evaluation of " + source;
}

std::string header_markup(const nlohmann::json& doc, const std::string& title) {
  std::string meta;
  auto add = [&meta](const std::string& part) { meta += (meta.empty() ? "" : " · ") + part; };
  std::string source = internal::string_member(doc, "source", "");
  if (!source.empty()) add("source <code>" + escape_html(source) + "</code>");
  std::string task = internal::string_member(doc, "task", "");
  if (!task.empty()) add("task <b data-field=\"task\">" + escape_html(task) + "</b>");
  if (auto n = internal::number_member(doc, "n", ""))
    add("n = <b data-field=\"n\">" + internal::html_count(n) + "</b>");
  if (auto k = internal::number_member(doc, "num_classes", "")) add(internal::html_count(k) + " classes");
  return "<header><h1>" + escape_html(title) + "</h1><p class=\"meta\">" + meta + "</p></header>\n";
}

std::string page(const nlohmann::json& doc, const HtmlOptions& options) {
  std::string title = page_title(doc, options);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"dpeval report\">\n<title>" +
      escape_html(title) + "</title>\n<style>" + std::string(internal::page_style()) +
      "</style>\n</head>\n<body>\n";
  out += header_markup(doc, title) + "<main>\n";
  out += internal::html_eval_sections(doc, options.slice_rows_max);
  return out + "</main>\n</body>\n</html>\n";
}

}  // namespace

namespace internal {

std::string html_eval_sections(const Json& doc, size_t slice_rows_max) {
  return html_metrics_section(doc) + html_gates_section(doc) + html_confusion_section(doc) +
         html_calibration_section(doc) + html_curves_section(doc) + html_slices_section(doc, slice_rows_max) +
         html_fairness_section(doc) + html_warnings_section(doc);
}

}  // namespace internal

std::string render_html(const nlohmann::json& doc, const HtmlOptions& options) {
  if (!doc.is_object()) internal::throw_bad_part("", "an object", doc);
  try {
    return page(doc, options);
  } catch (const nlohmann::json::exception& e) {
    // The checked reads should leave nothing to nlohmann; if one slips, it is still the input's fault.
    throw InputError(std::string("eval document: ") + e.what());
  }
}

void write_html(const std::filesystem::path& path, const nlohmann::json& doc, const HtmlOptions& options) {
  write_file_atomic(path, render_html(doc, options));
}

}  // namespace dpeval::report
