// See privacy_report.h.
#include "dpeval/report/privacy_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dpeval/core/error.h"
#include "dpeval/report/internal/page_style.h"
#include "dpeval/report/internal/svg.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report {
namespace {

using json = nlohmann::json;
using internal::escape_html;
using internal::format_number;

std::string row(const std::string& name, const json& metric, const std::string& chance) {
  const double v = metric.at("value").get<double>();
  const json& iv = metric.at("interval");
  return "<tr><td>" + escape_html(name) + "</td><td>" + fmt::format("{:.4f}", v) + "</td><td>" +
         fmt::format("[{:.4f}, {:.4f}]", iv.at(0).get<double>(), iv.at(1).get<double>()) + "</td><td>" +
         chance + "</td></tr>\n";
}

}  // namespace

std::string render_membership_html(const json& doc) {
  try {
    const double n = doc.at("non_members").get<double>();
    const double floor_log = -std::ceil(std::log10(std::max(n, 10.0)));
    internal::LineChart chart;
    chart.label = "ROC of the membership attack, log-log";
    chart.plot.width = 560;
    chart.plot.height = 420;
    chart.plot.margin_right = 150;
    chart.plot.x = internal::Axis{"log10 false-positive rate", floor_log, 0, static_cast<int>(-floor_log)};
    chart.plot.y = internal::Axis{"log10 true-positive rate", floor_log, 0, static_cast<int>(-floor_log)};
    internal::Series attack, chance;
    attack.label = doc.at("attack").get<std::string>() + " attack";  // escaped by the chart
    chance.label = "chance";
    for (const json& p : doc.at("roc_curve")) {
      const double fpr = p.at(0).get<double>(), tpr = p.at(1).get<double>();
      attack.points.push_back({std::log10(fpr), std::log10(std::max(tpr, std::pow(10.0, floor_log)))});
    }
    chance.points = {{floor_log, floor_log}, {0, 0}};
    chart.series = {attack, chance};
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"dpeval privacy\">\n<title>dpeval privacy</title>\n<style>" +
        std::string(internal::run_page_style()) +
        "</style>\n</head>\n<body>\n<header><h1>Membership inference</h1><p class=\"meta\">checkpoint " +
        escape_html(doc.value("checkpoint", "")) + " · " + format_number(doc.at("members").get<double>()) +
        " members (" + escape_html(doc.value("members_from", "")) + ") · " + format_number(n) +
        " non-members (" + escape_html(doc.value("non_members_from", "")) + ")</p></header>\n<main>\n" +
        "<section id=\"figures\"><h2>How well the attack tells members apart</h2>\n"
        "<table><thead><tr><th>figure</th><th>value</th><th>95 % interval</th><th>chance</th></tr></thead>\n"
        "<tbody>\n" +
        row("ROC AUC", doc.at("roc_auc"), "0.5") +
        row("balanced accuracy", doc.at("balanced_accuracy"), "0.5") +
        row("TPR at 0.1 % FPR", doc.at("tpr_at_fpr_0.001"), "0.001") +
        row("TPR at 1 % FPR", doc.at("tpr_at_fpr_0.01"), "0.01") + "</tbody></table>\n";
    if (n < 1000) {
      out += "<p class=\"meta\">With " + format_number(n) +
             " non-members the smallest false-positive rate measured is " + format_number(1 / n) +
             ": TPR at 0.1 % FPR is the TPR at FPR 0.</p>\n";
    }
    out +=
        "</section>\n<section id=\"roc\"><h2>ROC, log-log</h2>\n<p>Points above the chance line at low "
        "false-positive rates are members the attack names with confidence.</p>\n" +
        internal::svg_line_chart(chart) + "</section>\n</main>\n</body>\n</html>\n";
    return out;
  } catch (const json::exception& e) {
    throw InputError(std::string("membership document: ") + e.what());
  }
}

}  // namespace dpeval::report
