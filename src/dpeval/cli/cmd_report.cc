// dpeval report --run DIR: rebuilds a run directory's report (DIR/report.html
// and DIR/report.md) from its summary, evaluation and audit documents
// (run/pipeline.h: write_run_report).
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/core/error.h"
#include "dpeval/run/pipeline.h"

namespace dpeval::cli {
namespace {

struct ReportArgs {
  std::string run;
};

int run_report(const ReportArgs& a) {
  const std::filesystem::path dir(a.run);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw InputError(a.run + ": not a directory; expected a run directory (dpeval train --out DIR)");
  }
  CommandFiles files;
  files.input("the run's summary", dir / "summary.json");
  files.input("the run's evaluation", dir / "eval.json");
  files.input("the run's audit", dir / "audit.json");
  files.output("the run's report", dir / "report.html");
  files.output("the run's report", dir / "report.md");
  files.check();
  run::write_run_report(dir);
  fmt::print(stderr, "report:     {} (and {})\n", (dir / "report.html").string(), (dir / "report.md").string());
  return kExitOk;
}

}  // namespace

Command add_report_command(CLI::App& root) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* app = root.add_subcommand("report", "Rebuild a training run's report from its run directory");
  app->footer(R"(Examples:
  dpeval report --run runs/demo

Reads DIR/summary.json, DIR/eval.json and DIR/audit.json (as the summary lists them) and writes
DIR/report.html and DIR/report.md, both or neither. A file missing, unreadable or of a schema
version this dpeval does not read is exit 3, naming it.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input.)");
  app->add_option("--run", args->run, "The run directory (dpeval train --out DIR)")->required();
  return {app, [args] { return run_report(*args); }};
}

}  // namespace dpeval::cli
