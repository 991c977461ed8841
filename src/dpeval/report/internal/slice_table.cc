// The #slices section: every slice, worst first by the primary metric (Note
// [Worst slice] in document.h), with its interval drawn as an inline bar on
// one scale shared by all rows (so bars compare), the overall value as a
// dashed mark, and flags for too-small and significantly-worse slices.
#include <algorithm>
#include <cmath>

#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/svg.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

constexpr double kBarWidth = 160;
constexpr double kBarHeight = 16;

struct Domain {
  double lo = 0;
  double hi = 1;
};

// Smallest and largest of every value, interval end and the overall value,
// padded by 5%; rates stay inside [0, 1].
Domain bar_domain(const SliceTable& table) {
  double lo = INFINITY, hi = -INFINITY;
  auto widen = [&](double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  };
  for (const SliceRow& row : table.rows) {
    if (row.metric) widen(*row.metric);
    if (row.interval) {
      widen(row.interval->lo);
      widen(row.interval->hi);
    }
  }
  if (table.overall) widen(*table.overall);
  if (!(lo <= hi)) return {};
  double pad = std::max((hi - lo) * 0.05, 1e-3);
  Domain d{lo - pad, hi + pad};
  if (table.primary.higher_is_better)
    d = {std::max(d.lo, 0.0), std::min(d.hi, 1.0)};  // accuracy
  else
    d.lo = std::max(d.lo, 0.0);  // rmse, mae
  return d;
}

std::string interval_bar(const SliceTable& table, const SliceRow& row, const Domain& d) {
  Plot plot;
  plot.width = kBarWidth;
  plot.height = kBarHeight;
  plot.margin_left = plot.margin_right = 4;
  plot.margin_top = plot.margin_bottom = 0;
  plot.x = {"", d.lo, d.hi, 1};
  std::string label = table.primary.name + " " + format_number(row.metric.value_or(NAN));
  if (row.interval) label += ", interval " + html_interval(*row.interval);
  std::string out = svg_open(kBarWidth, kBarHeight, label, "interval-bar") +
                    svg_line(plot.left(), kBarHeight / 2, plot.right(), kBarHeight / 2, "track");
  if (table.overall)
    out += svg_line(plot.px(*table.overall), 1, plot.px(*table.overall), kBarHeight - 1, "overall");
  if (row.interval)
    out += svg_line(plot.px(row.interval->lo), kBarHeight / 2, plot.px(row.interval->hi), kBarHeight / 2,
                    "interval");
  if (row.metric) out += svg_rect(plot.px(*row.metric) - 2, 3, 4, kBarHeight - 6, R"(class="point")");
  return out + svg_close();
}

std::string flags_markup(const SliceTable& table, const SliceRow& row) {
  std::string out;
  if (row.too_small) {
    std::string why =
        table.min_slice_size ? "n below min_slice_size " + html_count(table.min_slice_size) : "too small";
    out += R"(<span class="flag small" title=")" + escape_html(why) + R"(">too small</span>)";
  }
  for (const SliceFlag& flag : row.worse) {
    std::string p = flag.p_value ? " (p " + format_p_value(*flag.p_value) + ")" : "";
    out += R"(<span class="flag worse" title="significantly worse than the rest">worse: )" +
           escape_html(flag.metric) + escape_html(p) + "</span>";
  }
  return out;
}

std::string slice_row(const SliceTable& table, const SliceRow& row, const Domain& d) {
  std::string css = row.too_small ? "too-small" : (row.worse.empty() ? "" : "worse");
  return "<tr class=\"" + css + "\" data-slice-column=\"" + escape_html(row.column) + "\"><td>" +
         escape_html(row.column) + "</td><td>" + escape_html(row.value) + R"(</td><td class="num">)" +
         html_count(row.n) + R"(</td><td class="num">)" + html_number(row.metric) + "</td><td>" +
         interval_bar(table, row, d) + "</td><td>" + flags_markup(table, row) + "</td></tr>";
}

std::string table_note(const SliceTable& table) {
  std::string direction = table.primary.higher_is_better ? "higher is better" : "lower is better";
  std::string note =
      "Worst first by " + table.primary.name + " (" + direction + "). Bars: interval and value";
  if (table.overall) note += "; dashed: overall " + format_number(*table.overall);
  if (table.min_slice_size)
    note += ". Slices with n below " + html_count(table.min_slice_size) + " are too small";
  return R"(<p class="note">)" + escape_html(note) + ".</p>";
}

}  // namespace

std::string html_slices_section(const Json& doc, size_t rows_max) {
  std::optional<SliceTable> table = read_slices(doc);
  if (!table) return "";
  Domain d = bar_domain(*table);
  std::string metric = escape_html(table->primary.name);
  std::string body = table_note(*table) + "<table class=\"slices\"><thead><tr><th>column</th><th>value</th>" +
                     "<th class=\"num\">n</th><th class=\"num\">" + metric + "</th><th>interval (axis " +
                     format_number(d.lo) + " – " + format_number(d.hi) +
                     ")</th><th>flags</th></tr></thead><tbody>";
  size_t shown = rows_max == 0 ? table->rows.size() : std::min(rows_max, table->rows.size());
  for (size_t i = 0; i < shown; ++i) body += slice_row(*table, table->rows[i], d);
  if (shown < table->rows.size()) {
    body += R"(<tr class="more"><td colspan="6">… )" + std::to_string(table->rows.size() - shown) +
            " more slices not shown</td></tr>";
  }
  return html_section("slices", "Slices", body + "</tbody></table>");
}

}  // namespace dpeval::report::internal
