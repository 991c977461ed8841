// dpeval monitor: the online monitors of `dpeval serve`, recomputed offline
// from its store, as JSON, an HTML timeline and CI gates (docs/MLOPS.md).
#include <fmt/format.h>

#include <cstdlib>
#include <memory>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/core/error.h"
#include "dpeval/eval/gates.h"
#include "dpeval/report/monitor_report.h"
#include "dpeval/serve/store.h"

namespace dpeval::cli {
namespace {

using nlohmann::json;

struct MonitorArgs {
  std::string store, html;
  int64_t window = 0;
  std::vector<std::string> fail_if;
  JsonOutput json;
};

// The figures a --fail-if gate may name, from the monitor document.
std::optional<double> gate_value(const json& doc, const eval::GateExpr& g) {
  const json& l = doc["labelled"];
  const json& u = doc["unlabelled"];
  auto last = [](const json& windows, const char* key) -> std::optional<double> {
    if (windows.empty() || (!windows.back()[key].is_number() && !windows.back()[key].is_boolean()))
      return std::nullopt;
    const json& v = windows.back()[key];
    return v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>();
  };
  const std::string& m = g.metric;
  if (g.scope != eval::GateExpr::Scope::kOverall)
    throw UsageError(fmt::format("--fail-if '{}': monitor gates name figures, not slices", g.text));
  if (m == "retrain_recommended") return doc["retrain_recommended"].get<bool>() ? 1.0 : 0.0;
  if (m == "alarms") return static_cast<double>(doc["alarms"].size());
  if (m == "windows_labelled") return static_cast<double>(l.size());
  if (m == "windows_unlabelled") return static_cast<double>(u.size());
  if (m == "predictions") return doc["predictions"].get<double>();
  if (m == "feedback") return doc["feedback"].get<double>();
  if (m == "accuracy" || m == "log_loss" || m == "ece" || m == "decay" || m == "feedback_loop")
    return last(l, m.c_str());
  if (m == "estimated_accuracy") return last(u, "estimated_accuracy");
  if (m == "drift_share") return last(u, "drift_share");
  if (m == "drift") return last(u, "drift");
  throw UsageError(
      fmt::format("--fail-if '{}': unknown figure '{}'; expected retrain_recommended, alarms, accuracy, "
                  "log_loss, ece, decay, feedback_loop, estimated_accuracy, drift_share, drift, "
                  "windows_labelled, windows_unlabelled, predictions or feedback",
                  g.text, m));
}

int run_monitor(MonitorArgs& a) {
  for (const std::string& g : a.fail_if) eval::parse_gate(g);  // a typo is a usage error before any work
  CommandFiles files;
  files.input("--store", serve::Store::db_path(a.store));
  files.output("--html", a.html);
  a.json.declare(files);
  files.check();
  const serve::StoreContents contents = serve::read_store(a.store);
  monitor::OnlineOptions options = serve::stored_online_options(contents);
  if (a.window > 0) options.window = static_cast<size_t>(a.window);
  const auto k = static_cast<size_t>(std::stoul(contents.meta.at("num_classes")));
  monitor::OnlineMonitor m(k, serve::stored_reference(contents), options);
  serve::replay_store(contents, m);
  json doc = m.document();
  doc["schema"] = "dpeval.monitor/1";
  auto meta = [&](const char* key) {
    return contents.meta.count(key) ? contents.meta.at(key) : std::string();
  };
  doc["model"] = {
      {"sha256", meta("model_sha256")},
      {"temperature", meta("temperature").empty() ? 1.0 : std::strtod(meta("temperature").c_str(), nullptr)}};
  doc["profile"] = meta("profile_sha256").empty() ? json(nullptr) : json{{"sha256", meta("profile_sha256")}};
  doc["store"] = serve::Store::db_path(a.store).string();
  json events = json::array();
  for (const serve::StoredEvent& e : contents.events) {
    if (e.kind != "drift")
      events.push_back({{"time", e.time}, {"kind", e.kind}, {"window", e.window}, {"doc", e.doc}});
  }
  doc["events"] = events;
  const std::vector<eval::GateResult> gates =
      eval::evaluate_gates(a.fail_if, [&](const eval::GateExpr& g) { return gate_value(doc, g); });
  if (!a.fail_if.empty()) doc["gates"] = eval::gates_to_json(gates);
  OutputBatch outputs;
  outputs.add(a.html, [&] { return report::render_monitor_html(doc); });
  outputs.add(a.json.file(), [&] { return json_text(doc); });
  outputs.commit();
  a.json.print(doc);
  fmt::print(
      stderr,
      "dpeval monitor: {} predictions, {} labels; {} labelled and {} prediction windows of {}; {} alarms; "
      "retrain recommended: {}\n",
      doc["predictions"].get<size_t>(), doc["feedback"].get<size_t>(), doc["labelled"].size(),
      doc["unlabelled"].size(), options.window, doc["alarms"].size(),
      doc["retrain_recommended"].get<bool>() ? "yes (" + doc["retrain_reasons"].dump() + ")"
                                             : std::string("no"));
  size_t failed = 0;
  for (const eval::GateResult& g : gates) {
    fmt::print(stderr, "  gate {} {}\n", g.passed ? "PASS" : "FAIL", g.expression);
    failed += g.passed ? 0 : 1;
  }
  return failed > 0 ? kExitGateFailed : kExitOk;
}

}  // namespace

Command add_monitor_command(CLI::App& root) {
  auto args = std::make_shared<MonitorArgs>();
  MonitorArgs& a = *args;
  CLI::App* app =
      root.add_subcommand("monitor", "Recompute the online monitors of a serving store, with gates for CI");
  app->footer(R"(Examples:
  dpeval monitor --store serving/ --html monitor.html
  dpeval monitor --store serving/ --fail-if "retrain_recommended == 1" --json-out monitor.json

Reads --store (written by dpeval serve; it may be serving now) and replays it: the same windows,
tests and alarms the server computed (docs/MLOPS.md). Gates name: retrain_recommended, alarms,
accuracy, log_loss, ece, decay, feedback_loop (the last labelled window), estimated_accuracy,
drift_share, drift (the last prediction window), windows_labelled, windows_unlabelled,
predictions, feedback. A gate fails when its expression is true.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input (not a store), 4 a gate failed.)");
  app->add_option("--store", a.store, "Directory of a serving store (dpeval serve --store)")->required();
  app->add_option("--window", a.window, "Rows per window (default: the server's), 1 to 10000000")
      ->check(integer_in(1, 10'000'000));
  app->add_option("--html", a.html, "Write the HTML timeline here (atomically)");
  app->add_option("--fail-if", a.fail_if, "Gate; repeatable (exit 4 if any fails)");
  a.json.add_options(*app);
  return {app, [args] { return run_monitor(*args); }};
}

}  // namespace dpeval::cli
