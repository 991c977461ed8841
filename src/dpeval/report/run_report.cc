// The run report page and its Markdown twin (see run_report.h): head with the
// run page's stylesheet, header, a table of contents, then the five sections
// of report/internal/run_sections.h.
#include "dpeval/report/run_report.h"

#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/report/internal/page_style.h"
#include "dpeval/report/internal/run_sections.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report {
namespace {

using internal::escape_html;
using internal::kRunSummary;

constexpr std::pair<const char*, const char*> kSections[] = {{"run", "Run"},
                                                             {"training", "Training"},
                                                             {"parallelism", "Parallelism"},
                                                             {"data", "Data"},
                                                             {"model", "Model"}};

// "Run report: mlp on fashion-mnist".
std::string run_title(const nlohmann::json& summary) {
  std::string model = kRunSummary.string_member(summary, "model", "");
  std::string data = kRunSummary.string_member(summary, "data", "");
  std::string title = "Run report";
  if (!model.empty()) title += ": " + model;
  if (!data.empty()) title += (model.empty() ? ": " : " on ") + data;
  return title;
}

// "2 workers", "2 epochs", "final test accuracy 0.8512", "dpeval 0.9.0": plain text.
std::vector<std::string> run_meta(const nlohmann::json& summary) {
  std::vector<std::string> parts;
  if (auto workers = internal::read_workers(summary))
    parts.push_back(internal::format_count_value(*workers) + (*workers == 1 ? " worker" : " workers"));
  if (const nlohmann::json* epochs = kRunSummary.array_member(summary, "epochs", ""))
    parts.push_back(std::to_string(epochs->size()) + (epochs->size() == 1 ? " epoch" : " epochs"));
  if (auto accuracy = kRunSummary.number_member(summary, "final_test_accuracy", ""))
    parts.push_back("final test accuracy " + internal::format_number(*accuracy));
  std::string version = kRunSummary.string_member(summary, "dpeval_version", "");
  if (!version.empty()) parts.push_back("dpeval " + version);
  if (const nlohmann::json* schema = kRunSummary.member(summary, "schema", ""))
    parts.push_back("summary schema " + internal::scalar_text(*schema));
  return parts;
}

template <typename Escape>
std::string joined_meta(const nlohmann::json& summary, Escape escape) {
  std::string out;
  for (const std::string& part : run_meta(summary)) out += (out.empty() ? "" : " · ") + escape(part);
  return out;
}

std::string contents() {
  std::string out = R"(<nav class="meta">)";
  for (size_t i = 0; i < std::size(kSections); ++i) {
    out += (i == 0 ? "" : " · ") + std::string(R"(<a href="#)") + kSections[i].first + "\">" +
           kSections[i].second + "</a>";
  }
  return out + "</nav>\n";
}

std::string page(const RunReportInput& input) {
  const nlohmann::json& summary = input.summary;
  std::string title = run_title(summary);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"dpeval run report\">\n<title>" +
      escape_html(title) + "</title>\n<style>" + std::string(internal::run_page_style()) +
      "</style>\n</head>\n<body>\n";
  out += "<header><h1>" + escape_html(title) + "</h1><p class=\"meta\">" +
         joined_meta(summary, [](std::string_view t) { return escape_html(t); }) + "</p>" + contents() +
         "</header>\n<main>\n";
  out += internal::html_run_section(summary);
  out += internal::html_training_section(summary);
  out += internal::html_parallelism_section(summary);
  out += internal::html_data_section(summary, input.audit, input.audit_html_link);
  out += internal::html_model_section(summary, input.eval);
  return out + "</main>\n</body>\n</html>\n";
}

std::string markdown(const RunReportInput& input) {
  const nlohmann::json& summary = input.summary;
  std::string out = "# " + internal::escape_markdown(run_title(summary)) + "\n\n" +
                    joined_meta(summary, [](std::string_view t) { return internal::escape_markdown(t); }) +
                    "\n\n";
  out += internal::md_run_section(summary) + internal::md_training_section(summary) +
         internal::md_parallelism_section(summary) +
         internal::md_data_section(summary, input.audit, input.audit_html_link) +
         internal::md_model_section(summary, input.eval);
  while (out.ends_with("\n\n")) out.pop_back();
  return out;
}

// The documents' own checked reads throw InputError; anything nlohmann throws
// past them is still the input's fault.
template <typename Render>
std::string checked(const RunReportInput& input, Render render) {
  if (!input.summary.is_object()) kRunSummary.throw_bad_part("", "an object", input.summary);
  try {
    return render(input);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("run report: ") + e.what());
  }
}

}  // namespace

std::string render_run_html(const RunReportInput& input) { return checked(input, page); }

std::string render_run_markdown(const RunReportInput& input) { return checked(input, markdown); }

void write_run_html(const std::filesystem::path& path, const RunReportInput& input) {
  write_file_atomic(path, render_run_html(input));
}

void write_run_markdown(const std::filesystem::path& path, const RunReportInput& input) {
  write_file_atomic(path, render_run_markdown(input));
}

}  // namespace dpeval::report
