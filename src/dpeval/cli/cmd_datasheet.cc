// dpeval datasheet: a "Datasheets for Datasets" document in Markdown from a
// manifest's provenance and measurements and, optionally, audit results.
#include <memory>

#include <fmt/format.h>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/govern/datasheet.h"

namespace dpeval::cli {
namespace {

struct DatasheetArgs {
  std::string manifest, audit, out;
};

int run_datasheet(const DatasheetArgs& a) {
  CommandFiles files;
  files.input("--manifest", a.manifest);
  files.input("--audit", a.audit);
  files.output("--out", a.out);
  files.check();
  const govern::Manifest m = govern::read_manifest(a.manifest);
  std::optional<govern::AuditSummary> audit;
  if (!a.audit.empty()) audit = govern::parse_audit_json(read_file(a.audit), a.audit);
  govern::DatasheetInputs in;
  in.manifest = &m;
  in.manifest_name = a.manifest;
  in.audit = audit ? &*audit : nullptr;
  in.audit_name = a.audit;
  const govern::Datasheet sheet = govern::render_datasheet(in);
  write_file_atomic(a.out, sheet.markdown);
  fmt::print(stderr, "dpeval datasheet: {} -> {} ({} unanswered questions)\n", a.manifest, a.out, sheet.unanswered.size());
  return kExitOk;
}

}  // namespace

Command add_datasheet_command(CLI::App& root) {
  auto args = std::make_shared<DatasheetArgs>();
  DatasheetArgs& a = *args;
  CLI::App* app = root.add_subcommand("datasheet", "Write a Datasheets-for-Datasets document (Markdown)");
  app->footer(R"(Examples:
  dpeval datasheet --manifest data.manifest.json --out DATASHEET.md
  dpeval datasheet --manifest data.manifest.json --audit audit.json --out DATASHEET.md

Sections (Gebru et al.): Motivation, Composition, Collection process,
Preprocessing/cleaning/labeling, Uses, Distribution, Maintenance, and a final list of the
questions still unanswered. Provenance comes from the manifest (datasheet.toml); counts,
columns and statistics are measured; --audit adds quality, leakage, imbalance and PII checks.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input.)");
  app->add_option("--manifest", a.manifest, "Manifest (dpeval manifest create)")->required();
  app->add_option("--audit", a.audit, "Audit results JSON (dpeval audit --json-out FILE)");
  app->add_option("--out", a.out, "Markdown file to write (atomically)")->required();
  return {app, [args] { return run_datasheet(*args); }};
}

}  // namespace dpeval::cli
