// dpeval audit: data quality, leakage, imbalance, label noise and PII findings
// for a dataset (docs/AUDIT.md), as JSON and HTML, with gates.
#include <memory>

#include <fmt/format.h>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/govern/audit.h"
#include "dpeval/report/audit_html.h"

namespace dpeval::cli {
namespace {

struct AuditArgs {
  govern::AuditOptions options;
  bool no_pii = false;
  std::vector<std::string> fail_if;
  std::string html;
  JsonOutput json;
};

void print_summary(const nlohmann::json& doc) {
  fmt::print("audit of {} ({} rows", doc["train"]["source"].get<std::string>(), doc["rows"]["train"].get<uint64_t>());
  if (doc["rows"]["test"].is_number()) {
    fmt::print("; test {}, {} rows", doc["test"]["source"].get<std::string>(), doc["rows"]["test"].get<uint64_t>());
  }
  fmt::print(")\n");
  for (const auto& c : doc["checks"]) {
    const bool skipped = c.value("skipped", false);
    fmt::print("  {:<8} {:<28} {:>10}  {}\n", skipped ? "skipped" : c["severity"].get<std::string>(),
               c["id"].get<std::string>(), c["count"].get<uint64_t>(), c["message"].get<std::string>());
  }
  for (const auto& gate : doc["gates"]) {
    fmt::print("  gate {} {} (value {})\n", gate["passed"].get<bool>() ? "PASS" : "FAIL",
               gate["expression"].get<std::string>(), gate["value"].dump());
  }
}

int run_audit(AuditArgs& a) {
  a.options.pii = !a.no_pii;
  // Gates are parsed first: a typo is a usage error before the scan.
  for (const std::string& g : a.fail_if) eval::parse_gate(g);
  const govern::AuditOptions& o = a.options;
  CommandFiles files;
  files.data_input("--train", o.train);
  files.data_input("--test", o.test);
  files.input("--train-labels", o.train_labels);
  files.input("--test-labels", o.test_labels);
  files.input("--schema", o.schema);
  files.input("--predictions", o.predictions);
  files.output("--html", a.html);
  a.json.declare(files);
  files.check();
  nlohmann::json doc = govern::run_audit(a.options);
  const std::vector<eval::GateResult> gates = govern::evaluate_audit_gates(doc, a.fail_if);
  doc["gates"] = eval::gates_to_json(gates);
  OutputBatch outputs;  // both outputs are replaced, or neither is
  outputs.add(a.html, [&] { return report::render_audit_html(doc); });
  outputs.add(a.json.file(), [&] { return json_text(doc); });
  outputs.commit();
  a.json.print(doc);
  if (!a.json.prints_to_stdout()) print_summary(doc);
  size_t failed = 0;
  for (const eval::GateResult& g : gates) failed += g.passed ? 0 : 1;
  if (failed > 0) {
    fmt::print(stderr, "dpeval audit: {} of {} gates failed\n", failed, gates.size());
    return kExitGateFailed;
  }
  return kExitOk;
}

}  // namespace

Command add_audit_command(CLI::App& root) {
  auto args = std::make_shared<AuditArgs>();
  AuditArgs& a = *args;
  govern::AuditOptions& o = a.options;
  CLI::App* app = root.add_subcommand("audit", "Audit a dataset: quality, train/test leakage, imbalance, label noise, PII");
  app->footer(R"(Examples:
  dpeval audit --train train.csv --test test.csv --label-col y --json-out audit.json --html audit.html
  dpeval audit --train fashion-mnist --json --fail-if "leakage.exact.count > 0"
  dpeval audit --train train.csv --schema schema.toml --text-cols notes,comment --group-col region \
      --predictions oof.csv --fail-if "leakage.test_share > 0" --fail-if "pii.count > 0" \
      --fail-if "quality.duplicates.count > 0"

Data: .csv/.tsv (streamed), .npy or IDX (.gz/.idx/-ubyte; labels with --train-labels/--test-labels),
or fashion-mnist (train and test splits). Gates: "<name> <op> <number>", name = <check id>.count,
<check id>.value, <check id>.<figure>, <group>.count (quality, leakage, imbalance, label_noise, pii,
shift), leakage.test_share, rows.train, rows.test; op one of < <= > >= == !=. A gate fails when its
expression holds or its check could not run. See docs/AUDIT.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error (also an unknown gate name), 3 bad input,
4 a gate failed.)");
  app->add_option("--train", o.train, "Data to audit: a file or fashion-mnist")->required();
  app->add_option("--test", o.test, "Test set (same columns) for the leakage and shift checks");
  app->add_option("--train-labels", o.train_labels, "Labels (.npy or IDX) for .npy / IDX --train features");
  app->add_option("--test-labels", o.test_labels, "Labels (.npy or IDX) for .npy / IDX --test features");
  app->add_option("--label-col", o.label_col, "CSV label column (\"\" for none)")->capture_default_str();
  app->add_option("--schema", o.schema, "Schema TOML: per column type, min, max, allowed, nullable");
  app->add_option("--text-cols", o.text_cols, "Columns to scan for PII (default: every text column)")->delimiter(',');
  app->add_option("--group-col", o.group_col, "Column whose groups' representation is reported");
  app->add_option("--predictions", o.predictions,
                  "Out-of-fold predictions (label, prob_0..prob_{K-1}) row-aligned with --train");
  app->add_flag("--no-pii", a.no_pii, "Skip the PII scan");
  app->add_option("--near-dup-bits", o.thresholds.near_duplicate_bits,
                  "Image near-duplicates: dHash-364 Hamming distance at most this")
      ->check(integer_in(0, 364))
      ->capture_default_str();
  app->add_option("--fail-if", a.fail_if, "Gate; repeatable (exit 4 if any fails)");
  add_threads_option(*app, o.threads);
  app->add_option("--html", a.html, "Write a self-contained HTML report");
  a.json.add_options(*app);
  return {app, [args] { return run_audit(*args); }};
}

}  // namespace dpeval::cli
