// Inline SVG pieces for the HTML report's charts: a plot frame that maps data
// to pixels, axes with ticks, polylines, rectangles, text and legends. Every
// piece is a string of markup to append; every text argument is escaped here,
// so callers pass user data as it is. Styling is by CSS class (the page's
// <style> defines them), so the markup holds geometry only.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dpeval::report::internal {

// One linear axis: data values [lo, hi], `ticks` equal steps between labelled marks.
struct Axis {
  std::string title;
  double lo = 0;
  double hi = 1;
  int ticks = 5;
};

// A chart: an SVG of width x height user units whose data rectangle is inset
// by the margins (which hold the tick labels and axis titles).
struct Plot {
  double width = 300;
  double height = 260;
  double margin_left = 48;
  double margin_right = 12;
  double margin_top = 14;
  double margin_bottom = 42;
  Axis x;
  Axis y;

  double left() const { return margin_left; }
  double right() const { return width - margin_right; }
  double top() const { return margin_top; }
  double bottom() const { return height - margin_bottom; }
  // Data to pixels; y grows upwards. Values outside the axis are clamped to it.
  double px(double x_value) const;
  double py(double y_value) const;
};

struct Point {
  double x = 0;
  double y = 0;
};

// <svg ... viewBox role="img" aria-label=label><title>label</title>; pair with svg_close().
std::string svg_open(double width, double height, std::string_view label,
                     std::string_view css_class = "chart");
std::string svg_close();
// Grid lines, the frame, tick marks with labels and both axis titles.
std::string svg_axes(const Plot& plot);
// A polyline through data points (non-finite ones skipped), class `css_class`.
std::string svg_polyline(const Plot& plot, std::span<const Point> data, std::string_view css_class);
// A straight line in pixels.
std::string svg_line(double x1, double y1, double x2, double y2, std::string_view css_class);
// A rectangle in pixels with a hover tooltip (<title>) when `tooltip` is not empty.
// `attributes` is trusted markup (fill="#..."), never user data.
std::string svg_rect(double x, double y, double width, double height, std::string_view attributes,
                     std::string_view tooltip = {});
// Text at a pixel position; `attributes` is trusted markup (text-anchor="middle").
std::string svg_text(double x, double y, std::string_view text, std::string_view attributes = {});
// A legend of (label, css class) swatches in a column from the pixel (x, y).
std::string svg_legend(double x, double y, const std::vector<std::pair<std::string, std::string>>& entries);

// A circle in pixels with a hover tooltip when `tooltip` is not empty.
std::string svg_circle(double cx, double cy, double r, std::string_view css_class,
                       std::string_view tooltip = {});

// An axis over data in [lo, hi] with round bounds: the step is 1, 2, 2.5 or 5
// x 10^k (a whole number >= 1 when `whole_steps`), chosen so that at most
// `ticks_max` steps cover the data; lo and hi are widened to multiples of it.
// lo == hi is widened by 10 % of |lo| (1 when lo is 0 or `whole_steps`) each
// way; non-finite bounds give [0, 1].
Axis nice_axis(std::string title, double lo, double hi, int ticks_max = 5, bool whole_steps = false);

// Note [Series classes]
// Multi-series charts colour their i-th series (or stacked segment) with CSS
// class "series-<i>", i < kSeriesClasses; the page's <style> gives each a fill
// and a stroke, so one class serves a line, its markers and its legend swatch.
inline constexpr size_t kSeriesClasses = 6;
std::string series_class(size_t i);

struct Series {
  std::string label;  // legend text, escaped here
  std::vector<Point> points;
};

// A line chart: axes from `plot`, one polyline per series (class "line
// series-<i>"), a circle marker per point with a tooltip (x, y) while a series
// has at most 60 points, and a legend at the top right when there are two or
// more series. Non-finite points are skipped. `label` is the SVG's title.
struct LineChart {
  std::string label;
  Plot plot;
  std::vector<Series> series;
};
std::string svg_line_chart(const LineChart& chart);

// A bar chart with one bar per category, stacked from `segments` (bottom
// first, segment j in class "series-<j>"): values[c][j] is category c's part j
// (negative or non-finite parts count as 0). plot.y is the value axis,
// plot.x.title the category axis's title (plot.x's range is unused). Category
// labels are written under the bars, every n-th when they would crowd; each
// part's tooltip says "<x title> <category>: <segment> <value> <unit>". With two or more
// segments a legend stands in the right margin (make plot.margin_right room).
struct StackedBarChart {
  std::string label;
  Plot plot;
  std::vector<std::string> categories;
  std::vector<std::string> segments;
  std::vector<std::vector<double>> values;
  std::string unit;
};
std::string svg_stacked_bar_chart(const StackedBarChart& chart);

}  // namespace dpeval::report::internal
