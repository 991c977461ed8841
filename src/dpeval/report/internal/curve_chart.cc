// The #curves section: the ROC curve (linear between points, the chance
// diagonal dashed) and the precision-recall curve (drawn as the steps average
// precision sums, the positive rate dashed when the confusion matrix gives it),
// AUC and AP in the captions.
#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/svg.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

std::optional<double> metric_value(const Json& doc, std::string_view name) {
  const Json* metrics = object_member(doc, "metrics", "");
  return metrics ? number_member(*metrics, name, "metrics") : std::nullopt;
}

// The step function average precision sums (curves.h): on (R_{k-1}, R_k] the
// precision of the point with the larger recall, in whichever order the points
// come (dpeval lists recall increasing; sklearn's display draws the same steps).
std::vector<Point> ap_steps(const std::vector<CurvePoint>& points) {
  std::vector<Point> out;
  for (size_t i = 0; i < points.size(); ++i) {
    if (i > 0) {
      const CurvePoint& a = points[i - 1];
      const CurvePoint& b = points[i];
      double hold = b.x >= a.x ? b.y : a.y;
      out.push_back({a.x, hold});
      out.push_back({b.x, hold});
    }
    out.push_back({points[i].x, points[i].y});
  }
  return out;
}

// Share of positives, from a 2 x 2 confusion matrix [[tn, fp], [fn, tp]].
std::optional<double> positive_rate(const Json& doc) {
  std::optional<Confusion> c = read_confusion(doc);
  if (!c || c->counts.size() != 2) return std::nullopt;
  double positives = c->counts[1][0] + c->counts[1][1];
  double total = positives + c->counts[0][0] + c->counts[0][1];
  if (total <= 0) return std::nullopt;
  return positives / total;
}

Plot unit_plot(std::string x_title, std::string y_title) {
  Plot plot;
  plot.x = {std::move(x_title), 0, 1, 5};
  plot.y = {std::move(y_title), 0, 1, 5};
  return plot;
}

std::string roc_figure(const Json& doc, const std::vector<CurvePoint>& roc) {
  Plot plot = unit_plot("false positive rate", "true positive rate");
  std::vector<Point> points;
  for (const CurvePoint& p : roc) points.push_back({p.x, p.y});
  std::string svg = svg_open(plot.width, plot.height, "ROC curve") + svg_axes(plot) +
                    svg_line(plot.px(0), plot.py(0), plot.px(1), plot.py(1), "diagonal") +
                    svg_polyline(plot, points, "curve") + svg_close();
  return "<figure>" + svg + "<figcaption>ROC curve · AUC <span data-curve=\"roc_auc\">" +
         html_number(metric_value(doc, "roc_auc")) + "</span></figcaption></figure>";
}

std::string pr_figure(const Json& doc, const std::vector<CurvePoint>& pr) {
  Plot plot = unit_plot("recall", "precision");
  std::string svg = svg_open(plot.width, plot.height, "Precision-recall curve") + svg_axes(plot);
  std::string caption = "Precision-recall curve · AP <span data-curve=\"average_precision\">" +
                        html_number(metric_value(doc, "average_precision")) + "</span>";
  if (std::optional<double> rate = positive_rate(doc)) {
    svg += svg_line(plot.px(0), plot.py(*rate), plot.px(1), plot.py(*rate), "diagonal");
    caption += " · dashed: positive rate " + format_number(*rate);
  }
  svg += svg_polyline(plot, ap_steps(pr), "curve") + svg_close();
  return "<figure>" + svg + "<figcaption>" + caption + "</figcaption></figure>";
}

}  // namespace

std::string html_curves_section(const Json& doc) {
  std::vector<CurvePoint> roc = read_curve(doc, "roc", "fpr", "tpr");
  std::vector<CurvePoint> pr = read_curve(doc, "pr", "recall", "precision");
  if (roc.empty() && pr.empty()) return "";
  std::string body = R"(<div class="charts">)";
  if (!roc.empty()) body += roc_figure(doc, roc);
  if (!pr.empty()) body += pr_figure(doc, pr);
  return html_section("curves", "ROC and precision-recall curves", body + "</div>");
}

}  // namespace dpeval::report::internal
