// See robust_report.h.
#include "dpeval/report/robust_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "dpeval/core/error.h"
#include "dpeval/report/internal/page_style.h"
#include "dpeval/report/internal/svg.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report {
namespace {

using json = nlohmann::json;
using internal::escape_html;
using internal::format_number;

double number_or_nan(const json& v) {
  return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::string percent(double v) { return std::isfinite(v) ? fmt::format("{:.2f} %", 100 * v) : "–"; }

}  // namespace

std::string render_robust_html(const json& doc) {
  try {
    const std::string attack = doc.at("attack").get<std::string>();
    const double clean = doc.at("clean_accuracy").get<double>();
    const json& results = doc.at("results");
    if (!results.is_array() || results.empty()) throw InputError("robust document: 'results' is empty");
    internal::LineChart chart;
    chart.label = fmt::format("Accuracy under {} against epsilon", attack);
    chart.plot.width = 720;
    chart.plot.height = 300;
    chart.plot.margin_right = 170;
    double hi = 0;
    for (const json& r : results) hi = std::max(hi, r.at("eps").get<double>());
    chart.plot.x = internal::nice_axis("epsilon (L-infinity)", 0, hi, 6);
    chart.plot.y = internal::Axis{"accuracy", 0, 1, 5};
    internal::Series all;
    all.label = "all classes";
    all.points.push_back({0, clean});
    for (const json& r : results)
      all.points.push_back({r.at("eps").get<double>(), r.at("robust_accuracy").get<double>()});
    chart.series.push_back(std::move(all));
    // The classes that fall furthest at the largest eps, so the chart stays readable.
    const json& last = results.back().at("per_class");
    std::vector<size_t> order(last.size());
    for (size_t c = 0; c < order.size(); ++c) order[c] = c;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return number_or_nan(last[a].at("robust_accuracy")) < number_or_nan(last[b].at("robust_accuracy"));
    });
    for (size_t i = 0; i < std::min<size_t>(order.size(), internal::kSeriesClasses - 1); ++i) {
      const size_t c = order[i];
      internal::Series s;
      s.label = "class " + last[c].at("class").get<std::string>();
      s.points.push_back({0, number_or_nan(last[c].at("clean_accuracy"))});
      for (const json& r : results)
        s.points.push_back(
            {r.at("eps").get<double>(), number_or_nan(r.at("per_class")[c].at("robust_accuracy"))});
      chart.series.push_back(std::move(s));
    }
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"dpeval robust\">\n<title>dpeval robust</title>\n<style>" +
        std::string(internal::run_page_style()) +
        "</style>\n</head>\n<body>\n<header><h1>Adversarial robustness</h1>"
        "<p class=\"meta\">" +
        escape_html(attack) + " · checkpoint " + escape_html(doc.value("checkpoint", "")) + " · data " +
        escape_html(doc.value("data", "")) + " · " + format_number(doc.value("rows", 0.0)) +
        " rows</p></header>\n<main>\n<section id=\"curve\"><h2>Accuracy against epsilon</h2>\n<p "
        "data-field=\"clean_accuracy\">"
        "Clean accuracy " +
        percent(clean) +
        "; each input may move by at most epsilon per feature and stays in [0, 1] "
        "(every adversarial input was checked). The classes that fall furthest are drawn beside the "
        "whole.</p>\n" +
        internal::svg_line_chart(chart) + "</section>\n";
    out +=
        "<section id=\"per-class\"><h2>Per "
        "class</h2>\n<table><thead><tr><th>class</th><th>rows</th><th>clean</th>";
    for (const json& r : results)
      out += "<th>eps " + escape_html(format_number(r.at("eps").get<double>())) + "</th>";
    out += "</tr></thead>\n<tbody>\n<tr><td>all</td><td>" + format_number(doc.value("rows", 0.0)) +
           "</td><td>" + percent(clean) + "</td>";
    for (const json& r : results) out += "<td>" + percent(r.at("robust_accuracy").get<double>()) + "</td>";
    out += "</tr>\n";
    for (size_t c = 0; c < last.size(); ++c) {
      out += "<tr><td>" + escape_html(last[c].at("class").get<std::string>()) + "</td><td>" +
             format_number(number_or_nan(last[c].at("rows"))) + "</td><td>" +
             percent(number_or_nan(last[c].at("clean_accuracy"))) + "</td>";
      for (const json& r : results)
        out += "<td>" + percent(number_or_nan(r.at("per_class")[c].at("robust_accuracy"))) + "</td>";
      out += "</tr>\n";
    }
    out += "</tbody></table>\n</section>\n</main>\n</body>\n</html>\n";
    return out;
  } catch (const json::exception& e) {
    throw InputError(std::string("robust document: ") + e.what());
  }
}

}  // namespace dpeval::report
