// The #calibration section: reliability diagrams. Each non-empty bin is a bar
// as wide as the bin and as tall as its accuracy, with the gap to its mean
// confidence shaded; the dashed diagonal is perfect calibration. With
// calibration.after_recalibration the "after" diagram stands beside the
// "before" one on the same axes.
#include <algorithm>
#include <cmath>

#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/svg.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

std::string bin_tooltip(const ReliabilityBin& bin) {
  return "confidence (" + format_number(bin.lower) + ", " + format_number(bin.upper) +
         "]: n = " + html_count(bin.count) + ", accuracy " + format_number(bin.accuracy.value_or(NAN)) +
         ", mean confidence " + format_number(bin.confidence.value_or(NAN));
}

std::string bin_markup(const Plot& plot, const ReliabilityBin& bin, std::string_view bar_class) {
  if (bin.count <= 0 || !bin.accuracy) return "";
  double x0 = plot.px(bin.lower) + 0.5, width = plot.px(bin.upper) - plot.px(bin.lower) - 1;
  std::string tooltip = bin_tooltip(bin);
  double accuracy_y = plot.py(*bin.accuracy);
  std::string out = svg_rect(x0, accuracy_y, width, plot.bottom() - accuracy_y,
                             "class=\"" + std::string(bar_class) + "\"", tooltip);
  if (bin.confidence) {
    double y_top = std::min(accuracy_y, plot.py(*bin.confidence));
    double y_bottom = std::max(accuracy_y, plot.py(*bin.confidence));
    out += svg_rect(x0, y_top, width, y_bottom - y_top, R"(class="gap")", tooltip);
  }
  return out;
}

// One diagram: "before" (bars class "bar") or "after" (class "bar-after").
struct Panel {
  std::string heading;
  std::string legend;
  std::string bar_class;
  std::string data_suffix;  // of the caption's data-calibration keys: "ece", "ece_after"
};

Panel panel_before() { return {"Before recalibration", "accuracy", "bar", ""}; }
Panel panel_after(const Reliability& r) {
  std::string method = r.method.empty() ? "" : " (" + r.method + ")";
  return {"After recalibration" + method, "accuracy after" + method, "bar-after", "_after"};
}

std::string reliability_svg(const Reliability& r, const Panel& panel) {
  Plot plot;
  plot.height = 280;
  plot.x = {"confidence", 0, 1, 5};
  plot.y = {"accuracy", 0, 1, 5};
  std::string out =
      svg_open(plot.width, plot.height, "Reliability diagram, " + panel.heading) + svg_axes(plot);
  for (const ReliabilityBin& bin : r.bins) out += bin_markup(plot, bin, panel.bar_class);
  out += svg_line(plot.px(0), plot.py(0), plot.px(1), plot.py(1), "diagonal");
  out += svg_legend(plot.left() + 8, plot.top() + 14,
                    {{panel.legend, panel.bar_class},
                     {"gap to confidence", "gap"},
                     {"perfect calibration", "diagonal-swatch"}});
  return out + svg_close();
}

std::string reliability_figure(const Reliability& r, const Panel& panel) {
  const std::string& suffix = panel.data_suffix;
  std::string caption = escape_html(panel.heading) + ": ECE <span data-calibration=\"ece" + suffix + "\">" +
                        html_number(r.ece) + "</span>, MCE <span data-calibration=\"mce" + suffix + "\">" +
                        html_number(r.mce) + "</span>";
  return "<figure>" + reliability_svg(r, panel) + "<figcaption>" + caption + "</figcaption></figure>";
}

std::string brier_note(const std::vector<Metric>& parts) {
  if (parts.empty()) return "";
  std::string out = R"(<p class="note">Brier decomposition:)";
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i == 0 ? " " : " · ") + escape_html(parts[i].name) + " " + html_number(parts[i].value);
  return out + "</p>";
}

}  // namespace

std::string html_calibration_section(const Json& doc) {
  std::optional<Reliability> before = read_reliability(doc);
  if (!before) return "";
  std::optional<Reliability> after = read_reliability_after(doc);
  std::string body = R"(<div class="charts">)" + reliability_figure(*before, panel_before());
  if (after) body += reliability_figure(*after, panel_after(*after));
  body += "</div>" + brier_note(read_brier_decomposition(doc));
  body += R"(<p class="note">)" + std::to_string(before->bins.size()) +
          " equal-width bins of top-label confidence; empty bins are not drawn.</p>";
  return html_section("calibration", "Calibration", body);
}

}  // namespace dpeval::report::internal
