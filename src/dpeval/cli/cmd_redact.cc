// dpeval redact: finds PII in a CSV file's cells (email, phone, credit card,
// IBAN, IP, SSN, dates of birth; docs/GOVERN.md has the exact rules), reports
// counts and masked samples, and with --out writes a copy in which every found
// value is replaced by its mask.
#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/core/error.h"
#include "dpeval/core/timer.h"
#include "dpeval/data/table_reader.h"
#include "dpeval/govern/redact.h"

namespace dpeval::cli {
namespace {

struct RedactArgs {
  std::string in, out;
  bool scan_only = false;
  std::vector<std::string> entities;
  std::vector<std::string> columns;
  std::string delimiter;  // empty: by the file's extension (tab for .tsv)
  size_t threads = 0;
  size_t max_findings = 100;
  size_t show = 10;
  JsonOutput json;
};

int run_redact(const RedactArgs& a) {
  if (a.out.empty() == !a.scan_only) throw UsageError("give exactly one of --out FILE and --scan-only");
  if (!a.delimiter.empty() && a.delimiter.size() != 1) {
    throw UsageError("--delimiter '" + a.delimiter + "': expected one character");
  }
  CommandFiles files;
  files.input("--in", a.in);
  files.output("--out", a.out);
  a.json.declare(files);
  files.check();
  govern::RedactOptions options;
  if (!a.entities.empty()) {
    options.entities.clear();
    for (const std::string& name : a.entities) options.entities.push_back(govern::parse_pii_entity(name));
  }
  options.columns = a.columns;
  options.delimiter = a.delimiter.empty() ? data::table_delimiter_for(a.in) : a.delimiter[0];
  options.threads = a.threads;
  options.max_findings = std::max(a.max_findings, a.show);
  const Stopwatch watch;
  const govern::PiiReport report =
      govern::redact_csv(a.in, a.out.empty() ? std::nullopt : std::optional<std::filesystem::path>(a.out), options);
  const double seconds = watch.seconds();

  std::string counts;
  for (const auto& [entity, n] : report.counts) counts += fmt::format(" {} {}", govern::pii_entity_name(entity), n);
  fmt::print(stderr, "dpeval redact: {}: {} rows, {} cells scanned in {:.2f} s; {} PII values in {} cells:{}\n", a.in,
             report.rows, report.cells_scanned, seconds, report.total(), report.cells_with_pii, counts);
  for (size_t i = 0; i < std::min(a.show, report.findings.size()); ++i) {
    const govern::PiiFinding& f = report.findings[i];
    fmt::print(stderr, "  row {} column {}: {} {}\n", f.row, f.column, govern::pii_entity_name(f.entity), f.masked);
  }
  if (!a.out.empty()) fmt::print(stderr, "dpeval redact: masked copy -> {}\n", a.out);
  nlohmann::json result = report.to_json();
  result["in"] = a.in;
  result["out"] = a.out.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.out);
  result["seconds"] = seconds;
  a.json.emit(result);
  return kExitOk;
}

}  // namespace

Command add_redact_command(CLI::App& root) {
  auto args = std::make_shared<RedactArgs>();
  RedactArgs& a = *args;
  CLI::App* app = root.add_subcommand("redact", "Find PII in a CSV file and write a copy with it masked");
  app->footer(R"(Examples:
  dpeval redact --in users.csv --out users.redacted.csv
  dpeval redact --in users.csv --scan-only --json-out pii.json
  dpeval redact --in users.csv --out masked.csv --entities email,phone --columns note,comment

Entities: email, phone, credit_card (Luhn), iban (mod-97), ip (v4/v6), ssn (US shape),
dob (dates, only in columns whose name mentions dob/birth). Values are reported masked
(j***@e***.com, **** **** **** 1234), never in full. See docs/GOVERN.md for the exact rules.
Exit codes: 0 ok (PII found or not), 1 runtime failure, 2 usage error, 3 bad input.)");
  app->add_option("--in", a.in, "CSV file to scan")->required();
  app->add_option("--out", a.out, "Write the masked copy here (atomically)");
  app->add_flag("--scan-only", a.scan_only, "Only scan and report; write nothing");
  app->add_option("--entities", a.entities, "Entities to look for (comma-separated; default all)")->delimiter(',');
  app->add_option("--columns", a.columns, "Columns to scan (comma-separated; default all)")->delimiter(',');
  app->add_option("--delimiter", a.delimiter, "Field delimiter (default: tab for .tsv, else comma)");
  add_threads_option(*app, a.threads);
  app->add_option("--max-findings", a.max_findings, "Findings listed in the JSON report (0 to 100000)")
      ->check(integer_in(0, 100000))
      ->capture_default_str();
  app->add_option("--show", a.show, "Findings printed on stderr (0 to 100000)")
      ->check(integer_in(0, 100000))
      ->capture_default_str();
  a.json.add_options(*app);
  return {app, [args] { return run_redact(*args); }};
}

}  // namespace dpeval::cli
