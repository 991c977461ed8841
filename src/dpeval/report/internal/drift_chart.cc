// The drift page's charts (see drift_sections.h): a column's reference and
// current distributions drawn over each other, and the domain classifier's AUC
// against its threshold. Reference is series 0 (blue), current series 1
// (orange), Note [Series classes] in svg.h; the bars are semi-transparent
// (class "hist"), so where they overlap both show.
#include <algorithm>
#include <cmath>

#include "dpeval/report/internal/drift_sections.h"
#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/svg.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

constexpr const char* kSides[] = {"reference", "current"};

Plot distribution_plot(std::string x_title, std::string y_title, double y_max) {
  Plot plot;
  plot.width = 600;
  plot.height = 260;
  plot.margin_left = 52;
  plot.margin_right = 100;  // the legend
  plot.x.title = std::move(x_title);
  plot.y = nice_axis(std::move(y_title), 0, y_max > 0 && std::isfinite(y_max) ? y_max : 1, 4);
  return plot;
}

std::string legend(const Plot& plot) {
  return svg_legend(plot.right() + 14, plot.top() + 12,
                    {{"reference", "hist series-0"}, {"current", "hist series-1"}});
}

bool edges_increase(const std::vector<double>& edges) {
  for (size_t i = 0; i + 1 < edges.size(); ++i)
    if (!std::isfinite(edges[i]) || !std::isfinite(edges[i + 1]) || edges[i + 1] <= edges[i]) return false;
  return true;
}

bool equal_widths(const std::vector<double>& edges) {
  double lo = edges[1] - edges[0], hi = lo;
  for (size_t i = 1; i + 1 < edges.size(); ++i) {
    lo = std::min(lo, edges[i + 1] - edges[i]);
    hi = std::max(hi, edges[i + 1] - edges[i]);
  }
  return hi - lo <= 1e-6 * hi;
}

std::string histogram_svg(const DriftColumn& column, const DriftHistogram& h, std::string& caption) {
  const size_t bins = h.reference.size();
  const bool placed = edges_increase(h.edges), density = placed && !equal_widths(h.edges);
  // Bin i spans [x_at(i), x_at(i + 1)) on the x axis: its edges, or its index (Note [Drift histogram]).
  auto x_at = [&](size_t i) { return placed ? h.edges[i] : static_cast<double>(i); };
  const double mean_width = (x_at(bins) - x_at(0)) / static_cast<double>(bins);
  auto height = [&](double share, size_t i) {
    return density ? share * mean_width / (x_at(i + 1) - x_at(i)) : share;
  };
  double y_max = 0;
  for (size_t i = 0; i < bins; ++i)
    for (double share : {h.reference[i], h.current[i]})
      if (std::isfinite(share)) y_max = std::max(y_max, height(share, i));

  std::string x_title =
      placed ? (column.name.empty() ? "value" : column.name) : "bin (edges do not increase)";
  Plot plot = distribution_plot(x_title, density ? "share per mean bin width" : "share", y_max);
  if (placed) {
    plot.x = nice_axis(x_title, h.edges.front(), h.edges.back(), 6);
  } else {
    plot.x = {x_title, 0, static_cast<double>(bins), static_cast<int>(std::min<size_t>(bins, 10))};
  }
  std::string out =
      svg_open(plot.width, plot.height, column.name + ": reference and current distributions", "dist-chart") +
      svg_axes(plot);
  for (int side = 0; side < 2; ++side) {
    const std::vector<double>& shares = side == 0 ? h.reference : h.current;
    for (size_t i = 0; i < bins; ++i) {
      if (!std::isfinite(shares[i]) || shares[i] <= 0) continue;
      double x0 = plot.px(x_at(i)), x1 = plot.px(x_at(i + 1)), y = plot.py(height(shares[i], i));
      std::string tooltip = std::string(kSides[side]) + ", [" + format_number(h.edges[i]) + ", " +
                            format_number(h.edges[i + 1]) + "): share " + format_number(shares[i]);
      if (density) tooltip += ", " + format_number(height(shares[i], i)) + " per mean bin width";
      out +=
          svg_rect(x0, y, x1 - x0, plot.bottom() - y, "class=\"hist " + series_class(side) + "\"", tooltip);
    }
  }
  caption = "Share of rows per bin, " + std::to_string(bins) + " bins from " +
            format_number(h.edges.front()) + " to " + format_number(h.edges.back()) + ".";
  if (density) {
    caption += " The bins are unequally wide: a bar's height is its share per mean bin width (" +
               format_number(mean_width) + "), so its area is its share.";
  }
  if (!placed) caption += " The edges do not increase: bins are drawn side by side.";
  return out + legend(plot) + svg_close();
}

// svg_axes() without the x ticks: the category axis has none (its labels are the categories).
std::string category_axes(const Plot& plot) {
  std::string out = R"(<g class="axes">)";
  double step = (plot.y.hi - plot.y.lo) / plot.y.ticks;
  for (int i = 0; i <= plot.y.ticks; ++i) {
    double value = plot.y.lo + i * step, y = plot.py(value);
    out += svg_line(plot.left(), y, plot.right(), y, "grid") +
           svg_line(plot.left() - 4, y, plot.left(), y, "tick");
    out += svg_text(plot.left() - 7, y + 4, format_tick(value, step), R"(text-anchor="end")");
  }
  out += svg_rect(plot.left(), plot.top(), plot.right() - plot.left(), plot.bottom() - plot.top(),
                  R"(class="frame")");
  double x_middle = (plot.left() + plot.right()) / 2, y_middle = (plot.top() + plot.bottom()) / 2;
  out += svg_text(x_middle, plot.height - 6, plot.x.title, R"(text-anchor="middle" class="axis-title")");
  out += svg_text(12, y_middle, plot.y.title,
                  R"(text-anchor="middle" class="axis-title" transform="rotate(-90 12 )" +
                      format_coord(y_middle) + ")\"");
  return out + "</g>";
}

// A category label that fits `chars` characters: longer ones end in "…".
std::string short_label(const std::string& value, size_t chars) {
  if (value.size() <= chars) return value;
  size_t cut = chars - 1;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return value.substr(0, cut) + "…";
}

std::string categories_svg(const DriftColumn& column, const DriftCategories& c, std::string& caption) {
  std::vector<DriftCategory> groups = c.categories;
  if (c.other) groups.push_back(*c.other);
  double y_max = 0;
  for (const DriftCategory& g : groups)
    for (double share : {g.reference, g.current})
      if (std::isfinite(share)) y_max = std::max(y_max, share);
  Plot plot = distribution_plot(column.name.empty() ? "category" : column.name, "share", y_max);
  std::string out =
      svg_open(plot.width, plot.height, column.name + ": reference and current distributions", "dist-chart") +
      category_axes(plot);
  if (!groups.empty()) {
    const double slot = (plot.right() - plot.left()) / static_cast<double>(groups.size());
    const double bar = std::max(1.0, slot * 0.36);
    const size_t label_every = std::max<size_t>(1, static_cast<size_t>(std::ceil(44.0 / slot)));
    const size_t label_chars = std::clamp<size_t>(static_cast<size_t>(slot * label_every / 6.5), 3, 16);
    for (size_t k = 0; k < groups.size(); ++k) {
      const DriftCategory& g = groups[k];
      double center = plot.left() + slot * (static_cast<double>(k) + 0.5);
      for (int side = 0; side < 2; ++side) {
        double share = side == 0 ? g.reference : g.current;
        if (!std::isfinite(share) || share <= 0) continue;
        double y = plot.py(share);
        out += svg_rect(center - bar + side * bar, y, bar, plot.bottom() - y,
                        "class=\"hist " + series_class(side) + "\"",
                        std::string(kSides[side]) + ", " + g.value + ": share " + format_number(share));
      }
      if (k % label_every == 0)
        out += svg_text(center, plot.bottom() + 15, short_label(g.value, label_chars),
                        R"(text-anchor="middle")");
    }
  }
  caption = "Share of rows per category, " + std::to_string(c.categories.size()) + " categories";
  caption += c.other ? " and (other), the categories beyond them." : ".";
  return out + legend(plot) + svg_close();
}

}  // namespace

std::string html_drift_chart(const DriftColumn& column) {
  std::string caption, svg;
  if (column.histogram) {
    svg = histogram_svg(column, *column.histogram, caption);
  } else if (column.categories) {
    svg = categories_svg(column, *column.categories, caption);
  } else {
    return "";
  }
  return "<figure>" + svg + "<figcaption>Reference (blue) and current (orange). " + escape_html(caption) +
         "</figcaption></figure>";
}

std::string svg_auc_bar(const ModelDrift& model) {
  if (!model.auc) return "";
  constexpr double kWidth = 480, kHeight = 50, kTrackY = 24;
  double lo = std::min(
      {0.5, *model.auc, model.threshold.value_or(1), model.auc_interval ? model.auc_interval->lo : 1.0});
  Plot plot;
  plot.width = kWidth;
  plot.margin_left = plot.margin_right = 14;
  plot.x = {"AUC", std::floor(lo * 10) / 10, 1, 1};
  std::string label = "AUC " + format_number(*model.auc);
  if (model.auc_interval) label += ", interval " + html_interval(*model.auc_interval);
  if (model.threshold) label += ", threshold " + format_number(*model.threshold);
  std::string out = svg_open(kWidth, kHeight, label, "interval-bar auc-bar") +
                    svg_line(plot.left(), kTrackY, plot.right(), kTrackY, "track");
  for (double tick : {plot.x.lo, 1.0}) {
    out += svg_line(plot.px(tick), kTrackY - 4, plot.px(tick), kTrackY + 4, "tick");
    out += svg_text(plot.px(tick), kHeight - 4, format_tick(tick, 0.1), R"(text-anchor="middle")");
  }
  if (model.threshold) {
    double x = plot.px(*model.threshold);
    out += svg_line(x, 2, x, kTrackY + 10, "threshold");
    out += svg_text(x + 4, 11, "threshold " + format_number(*model.threshold));
  }
  if (model.auc_interval)
    out += svg_line(plot.px(model.auc_interval->lo), kTrackY, plot.px(model.auc_interval->hi), kTrackY,
                    "interval");
  out += svg_rect(plot.px(*model.auc) - 2, kTrackY - 7, 4, 14, R"(class="point")");
  return out + svg_close();
}

}  // namespace dpeval::report::internal
