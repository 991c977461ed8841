// render_run_report SUMMARY.json EVAL.json|- AUDIT.json|- AUDIT_LINK|- OUT.html [OUT.md]:
// the run report writers as a command, for tests/report/run_browser_test.py
// ("-" for an absent document or link; the CLI's `dpeval report` is elsewhere).
#include <cstdio>
#include <optional>
#include <string>

#include "dpeval/core/atomic_file.h"
#include "dpeval/report/run_report.h"

namespace {

std::optional<nlohmann::json> read_optional(const std::string& path) {
  if (path == "-") return std::nullopt;
  return nlohmann::json::parse(dpeval::read_file(path));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(
        stderr,
        "usage: render_run_report SUMMARY.json EVAL.json|- AUDIT.json|- AUDIT_LINK|- OUT.html [OUT.md]\n");
    return 2;
  }
  try {
    nlohmann::json summary = nlohmann::json::parse(dpeval::read_file(argv[1]));
    std::optional<nlohmann::json> eval = read_optional(argv[2]), audit = read_optional(argv[3]);
    std::string link = std::string(argv[4]) == "-" ? "" : argv[4];
    dpeval::report::RunReportInput input{summary, eval ? &*eval : nullptr, audit ? &*audit : nullptr, link};
    dpeval::report::write_run_html(argv[5], input);
    if (argc == 7) dpeval::report::write_run_markdown(argv[6], input);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "render_run_report: %s\n", e.what());
    return 1;
  }
  return 0;
}
