// See monitor_report.h.
#include "dpeval/report/monitor_report.h"

#include <cmath>
#include <limits>

#include "dpeval/core/error.h"
#include "dpeval/report/internal/page_style.h"
#include "dpeval/report/internal/svg.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report {
namespace {

using internal::escape_html;
using internal::format_number;
using nlohmann::json;

double number_or_nan(const json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// One timeline: window number on x, the named figures on y in [0, 1], alarms
// of the given kinds marked on the first series.
std::string timeline(const json& windows, const json& alarms, const std::string& label,
                     const std::vector<std::pair<std::string, std::string>>& figures,
                     std::optional<double> reference, const std::vector<std::string>& alarm_kinds) {
  if (windows.empty()) return "<p class=\"meta\">No window has closed yet.</p>\n";
  internal::LineChart chart;
  chart.label = label;
  chart.plot.width = 720;
  chart.plot.height = 280;
  chart.plot.margin_right = 150;
  const double last = static_cast<double>(windows.size() - 1);
  chart.plot.x = internal::nice_axis("window", 0, std::max(1.0, last), 8, true);
  chart.plot.y = internal::Axis{"", 0, 1, 5};
  for (const auto& [key, name] : figures) {
    internal::Series s;
    s.label = name;
    for (const json& w : windows)
      s.points.push_back({w["window"].get<double>(), number_or_nan(w, key.c_str())});
    chart.series.push_back(std::move(s));
  }
  if (reference) {
    internal::Series s;
    s.label = "reference accuracy";
    s.points = {{0, *reference}, {std::max(1.0, last), *reference}};
    chart.series.push_back(std::move(s));
  }
  std::string svg = internal::svg_line_chart(chart);
  // Alarms: red circles on the first series, the reason as tooltip.
  std::string marks;
  for (const json& a : alarms) {
    const std::string kind = a.value("kind", "");
    if (std::find(alarm_kinds.begin(), alarm_kinds.end(), kind) == alarm_kinds.end()) continue;
    const size_t w = a.value("window", size_t{0});
    if (w >= windows.size()) continue;
    const double y = number_or_nan(windows[w], figures.front().first.c_str());
    marks +=
        internal::svg_circle(chart.plot.px(static_cast<double>(w)), chart.plot.py(std::isfinite(y) ? y : 0),
                             6, "alarm", a.value("reason", kind));
  }
  const size_t close = svg.rfind("</svg>");
  if (close != std::string::npos) svg.insert(close, marks);
  return svg;
}

}  // namespace

std::string render_monitor_html(const json& doc) {
  if (!doc.is_object() || doc.value("schema", "") != "dpeval.monitor/1") {
    throw InputError("monitor document: expected schema dpeval.monitor/1");
  }
  try {
    const json& labelled = doc.at("labelled");
    const json& unlabelled = doc.at("unlabelled");
    const json& alarms = doc.at("alarms");
    std::optional<double> reference;
    if (doc.at("reference").at("accuracy").is_number())
      reference = doc["reference"]["accuracy"].get<double>();
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"dpeval monitor\">\n<title>dpeval monitor</title>\n<style>" +
        std::string(internal::run_page_style()) +
        ".alarm{fill:#c62828;stroke:#fff;stroke-width:1.5}.verdict-yes{color:#c62828;font-weight:600}"
        "</style>\n</head>\n<body>\n<header><h1>Model in production</h1><p class=\"meta\">model " +
        escape_html(doc.at("model").value("sha256", "").substr(0, 12)) + " · store " +
        escape_html(doc.value("store", "")) + " · " + format_number(doc.value("predictions", 0.0)) +
        " predictions, " + format_number(doc.value("feedback", 0.0)) + " labels · window " +
        format_number(doc.value("window", 0.0)) + "</p></header>\n<main>\n";
    const bool retrain = doc.value("retrain_recommended", false);
    std::string reasons;
    for (const json& r : doc.at("retrain_reasons"))
      reasons += (reasons.empty() ? "" : ", ") + r.get<std::string>();
    out += "<section id=\"verdict\"><h2>Retrain?</h2><p data-field=\"retrain_recommended\" class=\"" +
           std::string(retrain ? "verdict-yes" : "") + "\">" +
           (retrain ? "Retraining recommended: " + escape_html(reasons)
                    : std::string("No: the last windows raise no "
                                  "decay, drift or "
                                  "feedback-loop alarm")) +
           "</p><p class=\"meta\">reference: " + escape_html(doc["reference"].value("source", "")) +
           "</p></section>\n";
    out += "<section id=\"labelled\"><h2>Labelled windows</h2>\n";
    out += timeline(labelled, alarms, "Labelled windows: accuracy, estimated accuracy and ECE",
                    {{"accuracy", "accuracy"}, {"estimated_accuracy", "estimated accuracy"}, {"ece", "ECE"}},
                    reference, {"decay", "feedback_loop", "calibration"});
    out += "</section>\n<section id=\"unlabelled\"><h2>Prediction windows</h2>\n";
    out += timeline(unlabelled, alarms, "Prediction windows: estimated accuracy and drift share",
                    {{"estimated_accuracy", "estimated accuracy"}, {"drift_share", "drift share"}},
                    std::nullopt, {"drift"});
    out += "</section>\n<section id=\"alarms\"><h2>Alarms</h2>\n";
    if (alarms.empty()) {
      out += "<p>None.</p>\n";
    } else {
      out += "<table><thead><tr><th>kind</th><th>window</th><th>reason</th></tr></thead><tbody>\n";
      for (const json& a : alarms) {
        out += "<tr data-alarm=\"" + escape_html(a.value("kind", "")) + "\"><td>" +
               escape_html(a.value("kind", "")) + "</td><td>" + format_number(a.value("window", 0.0)) +
               "</td><td>" + escape_html(a.value("reason", "")) + "</td></tr>\n";
      }
      out += "</tbody></table>\n";
    }
    out += "</section>\n";
    if (doc.contains("gates")) {
      out += "<section id=\"gates\"><h2>Gates</h2><ul>\n";
      for (const json& g : doc["gates"]) {
        out += "<li>" + std::string(g.value("passed", false) ? "PASS " : "FAIL ") +
               escape_html(g.value("expression", "")) + "</li>\n";
      }
      out += "</ul></section>\n";
    }
    return out + "</main>\n</body>\n</html>\n";
  } catch (const json::exception& e) {
    throw InputError(std::string("monitor document: ") + e.what());
  }
}

}  // namespace dpeval::report
