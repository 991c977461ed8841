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

}  // namespace dpeval::report::internal
