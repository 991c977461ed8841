// Inline SVG pieces (see svg.h).
#include "dpeval/report/internal/svg.h"

#include <algorithm>
#include <cmath>

#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

double lerp_clamped(double value, double lo, double hi, double out_lo, double out_hi) {
  if (hi == lo) return out_lo;
  double t = std::clamp((value - lo) / (hi - lo), 0.0, 1.0);
  return out_lo + t * (out_hi - out_lo);
}

std::string axis_ticks_x(const Plot& plot) {
  std::string out;
  double step = (plot.x.hi - plot.x.lo) / plot.x.ticks;
  for (int i = 0; i <= plot.x.ticks; ++i) {
    double value = plot.x.lo + i * step;
    double x = plot.px(value);
    out += svg_line(x, plot.top(), x, plot.bottom(), "grid");
    out += svg_line(x, plot.bottom(), x, plot.bottom() + 4, "tick");
    out += svg_text(x, plot.bottom() + 15, format_tick(value, step), R"(text-anchor="middle")");
  }
  return out;
}

std::string axis_ticks_y(const Plot& plot) {
  std::string out;
  double step = (plot.y.hi - plot.y.lo) / plot.y.ticks;
  for (int i = 0; i <= plot.y.ticks; ++i) {
    double value = plot.y.lo + i * step;
    double y = plot.py(value);
    out += svg_line(plot.left(), y, plot.right(), y, "grid");
    out += svg_line(plot.left() - 4, y, plot.left(), y, "tick");
    out += svg_text(plot.left() - 7, y + 4, format_tick(value, step), R"(text-anchor="end")");
  }
  return out;
}

}  // namespace

double Plot::px(double x_value) const { return lerp_clamped(x_value, x.lo, x.hi, left(), right()); }
double Plot::py(double y_value) const { return lerp_clamped(y_value, y.lo, y.hi, bottom(), top()); }

std::string svg_open(double width, double height, std::string_view label, std::string_view css_class) {
  std::string w = format_coord(width), h = format_coord(height), text = escape_html(label);
  // No xmlns: the HTML parser puts inline <svg> in the SVG namespace itself, and
  // the page stays free of any URL (see Note [Self-contained] in html.h).
  return R"(<svg class=")" + escape_html(css_class) + R"(" width=")" + w + R"(" height=")" + h +
         R"(" viewBox="0 0 )" + w + " " + h + R"(" role="img" aria-label=")" + text + R"("><title>)" + text +
         "</title>";
}

std::string svg_close() { return "</svg>"; }

namespace {

// The axes group: `ticks`, then the frame and both axis titles.
std::string axes_group(const Plot& plot, const std::string& ticks) {
  std::string out = R"(<g class="axes">)";
  out += ticks;
  out += svg_rect(plot.left(), plot.top(), plot.right() - plot.left(), plot.bottom() - plot.top(),
                  R"(class="frame")");
  double x_middle = (plot.left() + plot.right()) / 2, y_middle = (plot.top() + plot.bottom()) / 2;
  out += svg_text(x_middle, plot.height - 6, plot.x.title, R"(text-anchor="middle" class="axis-title")");
  std::string rotate = "transform=\"rotate(-90 12 " + format_coord(y_middle) + ")\"";
  out += svg_text(12, y_middle, plot.y.title, R"(text-anchor="middle" class="axis-title" )" + rotate);
  return out + "</g>";
}

}  // namespace

std::string svg_axes(const Plot& plot) { return axes_group(plot, axis_ticks_x(plot) + axis_ticks_y(plot)); }

std::string svg_polyline(const Plot& plot, std::span<const Point> data, std::string_view css_class) {
  std::string points;
  for (const Point& p : data) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    if (!points.empty()) points += ' ';
    points += format_coord(plot.px(p.x)) + "," + format_coord(plot.py(p.y));
  }
  return R"(<polyline class=")" + escape_html(css_class) + R"(" points=")" + points + R"("/>)";
}

std::string svg_line(double x1, double y1, double x2, double y2, std::string_view css_class) {
  return R"(<line class=")" + escape_html(css_class) + R"(" x1=")" + format_coord(x1) + R"(" y1=")" +
         format_coord(y1) + R"(" x2=")" + format_coord(x2) + R"(" y2=")" + format_coord(y2) + R"("/>)";
}

std::string svg_rect(double x, double y, double width, double height, std::string_view attributes,
                     std::string_view tooltip) {
  std::string open = R"(<rect x=")" + format_coord(x) + R"(" y=")" + format_coord(y) + R"(" width=")" +
                     format_coord(std::max(width, 0.0)) + R"(" height=")" +
                     format_coord(std::max(height, 0.0)) + "\" " + std::string(attributes);
  if (tooltip.empty()) return open + "/>";
  return open + "><title>" + escape_html(tooltip) + "</title></rect>";
}

std::string svg_text(double x, double y, std::string_view text, std::string_view attributes) {
  return R"(<text x=")" + format_coord(x) + R"(" y=")" + format_coord(y) + "\" " + std::string(attributes) +
         ">" + escape_html(text) + "</text>";
}

std::string svg_legend(double x, double y, const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out = R"(<g class="legend">)";
  for (size_t i = 0; i < entries.size(); ++i) {
    double row_y = y + 16.0 * static_cast<double>(i);
    out += svg_rect(x, row_y - 9, 12, 10, "class=\"" + escape_html(entries[i].second) + "\"");
    out += svg_text(x + 17, row_y, entries[i].first);
  }
  return out + "</g>";
}

std::string svg_circle(double cx, double cy, double r, std::string_view css_class, std::string_view tooltip) {
  std::string open = R"(<circle class=")" + escape_html(css_class) + R"(" cx=")" + format_coord(cx) +
                     R"(" cy=")" + format_coord(cy) + R"(" r=")" + format_coord(r) + "\"";
  if (tooltip.empty()) return open + "/>";
  return open + "><title>" + escape_html(tooltip) + "</title></circle>";
}

Axis nice_axis(std::string title, double lo, double hi, int ticks_max, bool whole_steps) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {std::move(title), 0, 1, 5};
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    double pad = (lo == 0 || whole_steps) ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  ticks_max = std::max(ticks_max, 1);
  double raw = (hi - lo) / ticks_max;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0}) {
    if (m * magnitude >= raw * (1 - 1e-9)) {
      step = m * magnitude;
      break;
    }
  }
  if (whole_steps) step = std::max(1.0, std::ceil(step));
  double a = std::floor(lo / step + 1e-9) * step, b = std::ceil(hi / step - 1e-9) * step;
  int ticks = std::max(1, static_cast<int>(std::lround((b - a) / step)));
  return {std::move(title), a, b, ticks};
}

std::string series_class(size_t i) { return "series-" + std::to_string(i % kSeriesClasses); }

namespace {

constexpr size_t kMarkersMax = 60;

std::string point_tooltip(const LineChart& chart, const Series& series, const Point& p) {
  return series.label + ": " + chart.plot.x.title + " " + format_count_value(p.x) + ", " +
         chart.plot.y.title + " " + format_number(p.y);
}

std::string stacked_part_tooltip(const StackedBarChart& chart, size_t c, size_t j, double value) {
  std::string category =
      chart.plot.x.title.empty() ? chart.categories[c] : chart.plot.x.title + " " + chart.categories[c];
  std::string text = category + ": " + chart.segments[j] + " " + format_number(value);
  return chart.unit.empty() ? text : text + " " + chart.unit;
}

}  // namespace

std::string svg_line_chart(const LineChart& chart) {
  const Plot& plot = chart.plot;
  std::string out = svg_open(plot.width, plot.height, chart.label) + svg_axes(plot);
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const Series& series = chart.series[i];
    std::string css = series_class(i);
    out += svg_polyline(plot, series.points, "line " + css);
    if (series.points.size() > kMarkersMax) continue;
    for (const Point& p : series.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      out += svg_circle(plot.px(p.x), plot.py(p.y), 3, "marker " + css, point_tooltip(chart, series, p));
    }
  }
  if (chart.series.size() >= 2) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (size_t i = 0; i < chart.series.size(); ++i)
      entries.emplace_back(chart.series[i].label, series_class(i));
    out += svg_legend(plot.right() - 110, plot.top() + 14, entries);
  }
  return out + svg_close();
}

std::string svg_stacked_bar_chart(const StackedBarChart& chart) {
  const Plot& plot = chart.plot;
  std::string out = svg_open(plot.width, plot.height, chart.label);
  // Value axis and frame; the category axis has no numeric ticks.
  out += axes_group(plot, axis_ticks_y(plot));

  size_t n = chart.categories.size();
  if (n > 0) {
    double slot = (plot.right() - plot.left()) / static_cast<double>(n);
    double bar = std::max(1.0, slot * 0.7);
    // Every label_every-th category is labelled: about 36 px per label.
    size_t label_every = std::max<size_t>(1, static_cast<size_t>(std::ceil(36.0 / slot)));
    for (size_t c = 0; c < n; ++c) {
      double x = plot.left() + slot * (static_cast<double>(c) + 0.5) - bar / 2, base = plot.y.lo;
      for (size_t j = 0; j < chart.segments.size(); ++j) {
        double value = c < chart.values.size() && j < chart.values[c].size() ? chart.values[c][j] : 0;
        if (!std::isfinite(value) || value <= 0) continue;
        double y_top = plot.py(base + value), y_bottom = plot.py(base);
        out += svg_rect(x, y_top, bar, y_bottom - y_top, "class=\"bar-part " + series_class(j) + "\"",
                        stacked_part_tooltip(chart, c, j, value));
        base += value;
      }
      if (c % label_every == 0)
        out += svg_text(x + bar / 2, plot.bottom() + 15, chart.categories[c], R"(text-anchor="middle")");
    }
  }
  if (chart.segments.size() >= 2) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (size_t j = chart.segments.size(); j-- > 0;) entries.emplace_back(chart.segments[j], series_class(j));
    out += svg_legend(plot.right() + 12, plot.top() + 10, entries);
  }
  return out + svg_close();
}

}  // namespace dpeval::report::internal
