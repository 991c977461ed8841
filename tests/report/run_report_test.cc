// render_run_html / render_run_markdown: every section present with the run's
// real values, class names on the confusion matrix and per-class table, at
// least five charts on a 2-worker 2-epoch run, no script, every string
// escaped, an old summary (none of the new fields) still renders, and a
// wrong-typed field throws InputError naming its path.
#include "dpeval/report/run_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "dpeval/core/error.h"
#include "dpeval/report/internal/svg.h"
#include "report/report_test_util.h"

namespace dpeval::report {
namespace {

using nlohmann::json;
using testing::count_of;
using testing::tag_balance_error;

const char* const kRunSections[] = {"run", "training", "parallelism", "data", "model"};
const char* const kFashionNames[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// A summary as `dpeval train --workers 2 --epochs 2` writes it today (cli/summary.cc).
json old_summary() {
  return json::parse(R"json({
    "dpeval_version": "0.9.0", "model": "mlp", "params": 109386, "seed": 7, "config_hash": "9f3a5c1d2b7e4f60",
    "config": {"model_name": "mlp", "data": "fashion-mnist", "epochs": 2, "batch": 64, "lr": 0.05,
               "optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": false, "weight_decay": 0.0005,
                             "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "trust_coefficient": 0.001},
               "schedule": {"kind": "cosine", "warmup_steps": 100, "step_size": 0, "gamma": 0.1, "min_lr": 0.0},
               "seed": 7, "workers": 2, "accumulate": 1, "lr_scaling": "none", "warmup_epochs": 0},
    "data": "fashion-mnist", "dataset_hash": "00c0ffee12345678", "workers": 2, "backend": "threads",
    "batch": 64, "accumulate": 1, "global_batch": 128, "zero": 0, "grad_dtype": "fp32",
    "optimizer_update": "split", "buckets": 2,
    "epochs": [
      {"epoch": 1, "train_loss": 0.6123, "test_loss": 0.4871, "test_accuracy": 0.8254, "seconds": 3.5,
       "train_seconds_cumulative": 3.5},
      {"epoch": 2, "train_loss": 0.4417, "test_loss": 0.4312, "test_accuracy": 0.8462, "seconds": 3.25,
       "train_seconds_cumulative": 6.75}],
    "final_test_accuracy": 0.8462, "final_test_loss": 0.4312,
    "samples_per_s": 17750.25, "samples_per_s_all_steps": 16990.25, "steps_run": 844,
    "step_ms": {"p50": 6.875, "p90": 8.125, "p95": 9.5},
    "step_breakdown_ms_p50": {"data": 0.5, "compute": 5.25, "comm_wait": 0.625, "optimizer": 0.25},
    "allreduce_gbps": 3.875, "steady_steps": 824, "warmup_steps_excluded": 20,
    "train_seconds": 6.75, "eval_seconds": 1.25, "peak_rss_mb": 210.5, "resumed_from_epoch": null,
    "checkpoint": "/tmp/r16/checkpoint.dpck", "blas": "OpenBLAS 0.3.21 (1 thread)", "trace": null,
    "evaluation": {"eval_json": "/tmp/r16/eval.json"}
  })json");
}

// old_summary() with every field the run report reads that older versions lack.
json new_summary() {
  json s = old_summary();
  s["schema"] = 2;
  s["cpu"] = "AMD EPYC 7B13 (2 cores)";
  s["command"] = "dpeval train --model mlp --data fashion-mnist --workers 2 --epochs 2 --out /tmp/r16";
  s["wall_seconds"] = 9.5;
  s["lr"] = json::array();
  for (int step : {0, 100, 200, 422, 643, 844})
    s["lr"].push_back({{"step", step}, {"lr", step < 100 ? 0.0005 * step : 0.05 * (844 - step) / 744.0}});
  s["bucket_bytes"] = {1048576, 393224};
  s["bytes_reduced_per_step"] = 1441800;
  s["epochs"][0]["samples_per_s"] = 17320.5;
  s["epochs"][0]["steps"] = 422;
  s["epochs"][0]["step_breakdown_ms"] = {
      {"data", 0.5}, {"compute", 5.125}, {"comm_wait", 0.75}, {"optimizer", 0.25}};
  s["epochs"][1]["samples_per_s"] = 18180.25;
  s["epochs"][1]["steps"] = 422;
  s["epochs"][1]["step_breakdown_ms"] = {
      {"data", 0.5}, {"compute", 5.0}, {"comm_wait", 0.5}, {"optimizer", 0.25}};
  s["baseline_samples_per_s"] = 10000;
  s["scaling_efficiency"] = 0.8875;
  s["manifest"] = {{"path", "fmnist.manifest.toml"},
                   {"sha256", "5e1f00aa11bb22cc33dd44ee55ff66778899aabbccddeeff0011223344556677"}};
  s["audit"] = {{"json", "/tmp/r16/audit.json"}, {"html", "/tmp/r16/audit.html"}};
  return s;
}

// A 10-class eval document with class names (docs/EVAL.md).
json eval_doc() {
  json doc = {{"source", "checkpoint.dpck (mlp) on the test split of fashion-mnist"},
              {"task", "multiclass"},
              {"n", 10000},
              {"num_classes", 10},
              {"metrics", {{"accuracy", 0.8462}, {"f1_macro", 0.8431}, {"log_loss", 0.4312}}},
              {"class_names", kFashionNames}};
  json matrix = json::array(), per_class = json::array();
  for (int i = 0; i < 10; ++i) {
    json row = json::array();
    for (int j = 0; j < 10; ++j) row.push_back(i == j ? 850 : (j == (i + 1) % 10 ? 150 : 0));
    matrix.push_back(row);
    per_class.push_back(
        {{"class", i}, {"precision", 0.85}, {"recall", 0.85}, {"f1", 0.85}, {"support", 1000}});
  }
  doc["confusion_matrix"] = matrix;
  doc["per_class"] = per_class;
  json bins = json::array();
  for (int b = 0; b < 10; ++b)
    bins.push_back({{"lower", b / 10.0},
                    {"upper", (b + 1) / 10.0},
                    {"count", 1000},
                    {"accuracy", b / 10.0 + 0.04},
                    {"confidence", b / 10.0 + 0.05}});
  doc["calibration"] = {
      {"ece", 0.0312},
      {"mce", 0.0712},
      {"reliability", bins},
      {"after_recalibration",
       {{"method", "temperature"}, {"ece", 0.0121}, {"mce", 0.0333}, {"reliability", bins}}}};
  return doc;
}

// The audit of fashion-mnist (docs/AUDIT.md), its headline checks.
json audit_doc() {
  return json::parse(R"json({"tool": "dpeval audit", "rows": {"train": 60000, "test": 10000},
    "checks": [
      {"id": "quality.duplicates", "severity": "info", "count": 0, "value": 0.0, "message": "", "examples": []},
      {"id": "leakage.exact", "severity": "info", "count": 0, "value": 0.0, "message": "", "examples": []},
      {"id": "leakage.near_duplicates", "severity": "warning", "count": 14, "value": 0.0014, "message": "",
       "examples": []},
      {"id": "imbalance.classes", "severity": "info", "count": 0, "value": 1.0, "message": "", "examples": []},
      {"id": "pii.email", "severity": "info", "count": 0, "value": null, "skipped": true,
       "message": "not run: array data has no text", "examples": []}],
    "gates": []})json");
}

bool has_section(const std::string& html, const std::string& id) {
  return html.find("<section id=\"" + id + "\"><h2>") != std::string::npos;
}

// The text of the facts row data-fact="key" (its <td>), or "" when absent.
std::string fact(const std::string& html, const std::string& key) {
  size_t row = html.find("<tr data-fact=\"" + key + "\">");
  if (row == std::string::npos) return "";
  size_t td = html.find("<td>", row), end = html.find("</td></tr>", row);
  return td == std::string::npos || end == std::string::npos ? "" : html.substr(td + 4, end - td - 4);
}

std::string full_html() {
  json summary = new_summary(), eval = eval_doc(), audit = audit_doc();
  return render_run_html({summary, &eval, &audit, "audit.html"});
}

TEST(RunReportHtml, EverySectionWithRealValues) {
  std::string html = full_html();
  for (const char* id : kRunSections) EXPECT_TRUE(has_section(html, id)) << id;
  EXPECT_EQ(tag_balance_error(html), "");
  EXPECT_EQ(fact(html, "model"), "mlp");
  EXPECT_EQ(fact(html, "params"), "109,386");
  EXPECT_EQ(fact(html, "workers"), "2 (threads backend)");
  EXPECT_EQ(fact(html, "global_batch"), "128 = 64 per worker × 1 accumulated × 2 workers");
  EXPECT_EQ(fact(html, "optimizer"), "sgd, momentum 0.9, weight decay 0.0005");
  EXPECT_EQ(fact(html, "lr_schedule"), "base 0.05, cosine to 0, 100 warm-up steps");
  json stepped = new_summary();
  stepped["config"]["schedule"] = {{"kind", "step"}, {"warmup_steps", 0}, {"step_size", 0}, {"gamma", 0.8}};
  EXPECT_EQ(fact(render_run_html({stepped, nullptr, nullptr, ""}), "lr_schedule"),
            "base 0.05, step every epoch × 0.8");
  EXPECT_EQ(fact(html, "seed"), "7");
  EXPECT_EQ(fact(html, "config_hash"), "<code>9f3a5c1d2b7e4f60</code>");
  EXPECT_EQ(
      fact(html, "manifest"),
      "<code>5e1f00aa11bb22cc33dd44ee55ff66778899aabbccddeeff0011223344556677 (fmnist.manifest.toml)</code>");
  EXPECT_EQ(fact(html, "blas"), "OpenBLAS 0.3.21 (1 thread)");
  EXPECT_EQ(fact(html, "cpu"), "AMD EPYC 7B13 (2 cores)");
  EXPECT_EQ(fact(html, "wall_seconds"), "9.500 s");
  EXPECT_NE(
      html.find("<pre data-fact=\"command\"><code>dpeval train --model mlp --data fashion-mnist --workers 2 "
                "--epochs 2 --out /tmp/r16</code></pre>"),
      std::string::npos);
  // Parallelism.
  EXPECT_EQ(fact(html, "samples_per_s"), "17750 samples/s (steady state); 16990 over all steps");
  EXPECT_EQ(fact(html, "step_ms"), "p50 6.875 ms, p90 8.125 ms");
  EXPECT_EQ(fact(html, "buckets"), "2 (first 1.00 MiB, largest 1.00 MiB, total 1.38 MiB)");
  EXPECT_EQ(fact(html, "bytes_reduced_per_step"), "1.38 MiB");
  EXPECT_EQ(fact(html, "allreduce_gbps"), "3.875 GB/s (measured)");
  EXPECT_EQ(fact(html, "sharding"), "not sharded, split update");
  EXPECT_EQ(fact(html, "scaling_efficiency"), "88.75% of 2 × the baseline 10000 samples/s");
  EXPECT_EQ(html.find("data-fact=\"scaling_note\""), std::string::npos);
  EXPECT_NE(html.find("exposed communication wait"), std::string::npos);
  // Data.
  EXPECT_EQ(fact(html, "audit_rows"), "60,000 train, 10,000 test");
  EXPECT_EQ(fact(html, "audit_findings"), "5 checks: 0 errors, 1 warning");
  EXPECT_EQ(fact(html, "audit_duplicates"), "0 rows");
  EXPECT_EQ(fact(html, "audit_leakage"), "0 test rows equal to a train row (test share 0.0000)");
  EXPECT_EQ(fact(html, "audit_near_duplicates"), "14 test images near a train image (0.14%)");
  EXPECT_EQ(fact(html, "audit_class_balance"), "largest / smallest class 1.0000, no class under 1% of train");
  EXPECT_EQ(fact(html, "audit_pii"), "not scanned (no text columns)");
  EXPECT_NE(html.find("<a href=\"audit.html\" data-fact=\"audit_link\">"), std::string::npos);
  // Model: the eval page's sections nested in #model.
  for (const char* id : {"metrics", "confusion", "calibration"}) EXPECT_TRUE(has_section(html, id)) << id;
  EXPECT_LT(html.find("<section id=\"model\">"), html.find("<section id=\"metrics\">"));
}

TEST(RunReportHtml, AtLeastFiveChartsAndNoScript) {
  std::string html = full_html();
  // Loss, accuracy, learning rate, samples/s, step breakdown, bucket sizes; confusion, calibration x2.
  EXPECT_EQ(count_of(html, "<svg"), 9u);
  EXPECT_EQ(count_of(html, "<script"), 0u);
  EXPECT_EQ(html.find("http"), std::string::npos);
  // The loss chart holds both series and a legend naming them.
  EXPECT_NE(html.find("<title>train loss: epoch 1, loss 0.6123</title>"), std::string::npos);
  EXPECT_NE(html.find("<title>test loss: epoch 2, loss 0.4312</title>"), std::string::npos);
  EXPECT_NE(html.find("<title>epoch 2: exposed communication wait 0.5000 ms</title>"), std::string::npos);
}

TEST(RunReportHtml, ClassNamesLabelTheConfusionMatrixAndTable) {
  std::string html = full_html();
  for (const char* name : kFashionNames) {
    std::string escaped = name;
    EXPECT_NE(html.find("<tr><td>" + escaped + "</td>"), std::string::npos) << name;     // per-class row
    EXPECT_NE(html.find("true " + escaped + ", predicted"), std::string::npos) << name;  // heatmap tooltip
  }
  // per_class[i].name wins over class_names[i].
  json summary = new_summary(), eval = eval_doc();
  eval["per_class"][3]["name"] = "Robe";
  std::string named = render_run_html({summary, &eval, nullptr, ""});
  EXPECT_NE(named.find("<tr><td>Robe</td>"), std::string::npos);
  EXPECT_EQ(named.find("<tr><td>Dress</td>"), std::string::npos);
}

TEST(RunReportHtml, OldSummaryStillRendersAndSaysNotRecorded) {
  json summary = old_summary();
  std::string html;
  ASSERT_NO_THROW(html = render_run_html({summary, nullptr, nullptr, ""}));
  for (const char* id : kRunSections) EXPECT_TRUE(has_section(html, id)) << id;
  EXPECT_EQ(tag_balance_error(html), "");
  const std::string not_recorded = R"(<span class="not-recorded">not recorded</span>)";
  for (const char* key : {"cpu", "manifest", "bytes_reduced_per_step", "scaling_efficiency"})
    EXPECT_EQ(fact(html, key), not_recorded) << key;
  EXPECT_EQ(fact(html, "buckets"), "2");
  EXPECT_EQ(fact(html, "wall_seconds"), "8.000 s (training + evaluation; no wall time recorded)");
  EXPECT_NE(html.find("Learning rate per step: not recorded."), std::string::npos);
  EXPECT_NE(html.find("Step breakdown per epoch: not recorded."), std::string::npos);
  EXPECT_NE(html.find("<code>dpeval scale</code>"), std::string::npos);
  EXPECT_NE(html.find("<code>--baseline-samples-per-s</code>"), std::string::npos);
  EXPECT_NE(html.find("No data audit recorded"), std::string::npos);
  EXPECT_NE(html.find("No evaluation document recorded"), std::string::npos);
  // Loss and accuracy per epoch, the whole run's step breakdown (p50) as one bar.
  EXPECT_EQ(count_of(html, "<svg"), 3u);
  EXPECT_NE(html.find("<title>all steps: exposed communication wait 0.6250 ms</title>"), std::string::npos);

  // Even a bare object renders.
  json bare = json::object();
  EXPECT_NO_THROW(render_run_html({bare, nullptr, nullptr, ""}));
  EXPECT_NO_THROW(render_run_markdown({bare, nullptr, nullptr, ""}));
}

TEST(RunReportHtml, OneWorkerSaysSoAndSkippedAuditSaysWhy) {
  json summary = old_summary();
  summary["workers"] = 1;
  summary["audit"] = {{"skipped", "--no-audit was given"}};
  summary["evaluation"] = {{"skipped", "no test split"}};
  std::string html = render_run_html({summary, nullptr, nullptr, ""});
  EXPECT_NE(html.find("One worker: no gradients are exchanged"), std::string::npos);
  EXPECT_NE(html.find("Audit skipped: --no-audit was given"), std::string::npos);
  EXPECT_NE(html.find("Evaluation skipped: no test split"), std::string::npos);
}

TEST(RunReportHtml, EscapesEveryString) {
  json summary = new_summary(), eval = eval_doc();
  summary["model"] = "<script>alert(1)</script>";
  summary["command"] = "dpeval train --data 'a<b>&c.csv'";
  eval["class_names"][0] = "<img src=x onerror=alert(1)>";
  std::string html = render_run_html({summary, &eval, nullptr, ""});
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("--data &#39;a&lt;b&gt;&amp;c.csv&#39;"), std::string::npos);
  EXPECT_EQ(tag_balance_error(html), "");
}

TEST(RunReportHtml, WrongTypeThrowsNamingTheField) {
  auto message = [](const json& summary, const json* eval = nullptr, const json* audit = nullptr) {
    try {
      render_run_html({summary, eval, audit, ""});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no InputError");
  };
  json s = new_summary();
  s["epochs"][1]["samples_per_s"] = "fast";
  EXPECT_NE(message(s).find("run summary: epochs[1].samples_per_s: expected a number or null, got string"),
            std::string::npos)
      << message(s);
  s = new_summary();
  s["epochs"][0]["step_breakdown_ms"]["comm_wait"] = true;
  EXPECT_NE(message(s).find("epochs[0].step_breakdown_ms.comm_wait"), std::string::npos) << message(s);
  s = new_summary();
  s["config"]["optimizer"]["momentum"] = "0.9";
  EXPECT_NE(message(s).find("run summary: config.optimizer.momentum"), std::string::npos) << message(s);
  s = new_summary();
  s["lr"][2]["lr"] = json::array();
  EXPECT_NE(message(s).find("run summary: lr[2].lr"), std::string::npos) << message(s);
  s = new_summary();
  s["bucket_bytes"] = "1 MiB";
  EXPECT_NE(message(s).find("run summary: bucket_bytes: expected an array"), std::string::npos) << message(s);
  s = new_summary();
  s["command"] = 42;
  EXPECT_NE(message(s).find("run summary: command: expected a string or an array"), std::string::npos);

  json ok = new_summary(), eval = eval_doc();
  eval["class_names"][2] = 7;
  EXPECT_NE(message(ok, &eval).find("eval document: class_names[2]: expected a string, got number"),
            std::string::npos)
      << message(ok, &eval);
  json audit = audit_doc();
  audit["checks"][0]["count"] = "none";
  EXPECT_NE(message(ok, nullptr, &audit).find("audit document: checks[0].count"), std::string::npos)
      << message(ok, nullptr, &audit);
  json not_object = json::array();
  EXPECT_NE(message(not_object).find("run summary: (top level): expected an object"), std::string::npos);
  // The Markdown reads the same fields the same way.
  s = new_summary();
  s["wall_seconds"] = "9 s";
  EXPECT_THROW(render_run_markdown({s, nullptr, nullptr, ""}), InputError);
}

// Hand-checked axes: round bounds on steps of 1, 2, 2.5 or 5 x 10^k.
TEST(RunReportCharts, NiceAxis) {
  auto bounds = [](const internal::Axis& a) { return std::make_tuple(a.lo, a.hi, a.ticks); };
  internal::Axis accuracy = internal::nice_axis("accuracy", 0.8254, 0.8462);  // step 0.005
  EXPECT_NEAR(accuracy.lo, 0.825, 1e-12);
  EXPECT_NEAR(accuracy.hi, 0.85, 1e-12);
  EXPECT_EQ(accuracy.ticks, 5);
  EXPECT_EQ(bounds(internal::nice_axis("loss", 0, 0.6123)), std::make_tuple(0.0, 0.8, 4));
  EXPECT_EQ(bounds(internal::nice_axis("epoch", 1, 2, 6, true)), std::make_tuple(1.0, 2.0, 1));
  EXPECT_EQ(bounds(internal::nice_axis("epoch", 1, 1, 6, true)), std::make_tuple(0.0, 2.0, 2));
  EXPECT_EQ(bounds(internal::nice_axis("step", 0, 844, 5, true)), std::make_tuple(0.0, 1000.0, 5));
  EXPECT_EQ(bounds(internal::nice_axis("y", 0, 0)), std::make_tuple(-1.0, 1.0, 4));
  EXPECT_EQ(bounds(internal::nice_axis("y", NAN, 1)), std::make_tuple(0.0, 1.0, 5));
}

TEST(RunReportMarkdown, SameSectionsAsTables) {
  json summary = new_summary(), eval = eval_doc(), audit = audit_doc();
  std::string md = render_run_markdown({summary, &eval, &audit, "audit.html"});
  for (const char* heading : {"## Run\n", "## Training\n", "## Parallelism\n", "## Data\n", "## Model\n"})
    EXPECT_NE(md.find(heading), std::string::npos) << heading;
  EXPECT_EQ(md.find("<svg"), std::string::npos);
  EXPECT_NE(md.find("| model | mlp |"), std::string::npos);
  EXPECT_NE(md.find("| config hash | `9f3a5c1d2b7e4f60` |"), std::string::npos);
  EXPECT_NE(
      md.find(
          "```sh\ndpeval train --model mlp --data fashion-mnist --workers 2 --epochs 2 --out /tmp/r16\n```"),
      std::string::npos);
  EXPECT_NE(md.find("| 2 | 0.4417 | 0.4312 | 0.8462 | 3.250 | 18180 | 0.5000 / 5.000 / 0.5000 / 0.2500 |"),
            std::string::npos);
  EXPECT_NE(md.find("| scaling efficiency | 88.75% of 2 × the baseline 10000 samples/s |"),
            std::string::npos);
  EXPECT_NE(md.find("| near-duplicate images | 14 test images near a train image (0.14%) |"),
            std::string::npos);
  EXPECT_NE(md.find("Full audit report: `audit.html`"), std::string::npos);
  EXPECT_NE(md.find("| T-shirt/top | 0.8500 |"), std::string::npos);
  EXPECT_NE(md.find("| Ankle boot | 0.8500 |"), std::string::npos);
  EXPECT_TRUE(md.ends_with("\n") && !md.ends_with("\n\n"));
}

TEST(RunReportMarkdown, OldSummarySaysNotRecorded) {
  json summary = old_summary();
  std::string md = render_run_markdown({summary, nullptr, nullptr, ""});
  EXPECT_NE(md.find("| CPU | *not recorded* |"), std::string::npos);
  EXPECT_NE(md.find("Reproduce: *not recorded*"), std::string::npos);
  EXPECT_NE(md.find("`dpeval scale`"), std::string::npos);
  EXPECT_NE(md.find("| 1 | 0.6123 | 0.4871 | 0.8254 | 3.500 | — | — |"), std::string::npos);
}

}  // namespace
}  // namespace dpeval::report
