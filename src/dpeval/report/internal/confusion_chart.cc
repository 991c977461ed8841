// The #confusion section: the confusion matrix as an SVG heatmap (rows = true
// class, columns = predicted; counts in the cells, colour by the share of the
// row) and the per-class table.
//
// Cells are 72 px for a few classes down to 14 px for ~35 or more; counts are
// written in cells of 30 px or more, and every cell's tooltip holds its count,
// so a 100-class matrix still renders, just as colour.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/svg.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

constexpr double kLabelCharWidth = 7;  // px per character of an 11 px label, generous

// From a pale #eef3fb (rate 0) to #1f4e9c (rate 1).
std::string heat_fill(double rate) {
  auto mix = [rate](int from, int to) { return static_cast<int>(std::lround(from + (to - from) * rate)); };
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", mix(0xee, 0x1f), mix(0xf3, 0x4e), mix(0xfb, 0x9c));
  return buffer;
}

// At most max_chars characters (UTF-8 aware), "…" marking a cut.
std::string truncate_label(const std::string& label, size_t max_chars) {
  size_t chars = 0, i = 0;
  for (; i < label.size(); ++i) {
    if ((static_cast<unsigned char>(label[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return label.substr(0, i) + "…";
    ++chars;
  }
  return label;
}

std::string cell_markup(const Confusion& c, size_t row, size_t col, double x, double y, double cell) {
  double count = c.counts[row][col];
  double total = 0;
  for (double v : c.counts[row]) total += v;
  double rate = total > 0 ? count / total : 0;
  std::string count_text = html_count(count);
  std::string tooltip = "true " + c.labels[row] + ", predicted " + c.labels[col] + ": " + count_text + " (" +
                        format_coord(rate * 100) + "% of true " + c.labels[row] + ")";
  std::string out = svg_rect(x, y, cell, cell, "class=\"cell\" fill=\"" + heat_fill(rate) + "\"", tooltip);
  if (cell >= 30) {
    out += svg_text(x + cell / 2, y + cell / 2 + 4, count_text,
                    rate > 0.55 ? R"(text-anchor="middle" class="on-dark")" : R"(text-anchor="middle")");
  }
  return out;
}

std::string confusion_svg(const Confusion& c) {
  size_t k = c.counts.size();
  double cell = std::clamp(480.0 / static_cast<double>(k), 14.0, 72.0);
  size_t longest = 1;
  for (const std::string& label : c.labels) longest = std::max(longest, label.size());
  size_t row_chars = std::min<size_t>(longest, 12), col_chars = static_cast<size_t>(cell / kLabelCharWidth);
  double left = 26 + kLabelCharWidth * static_cast<double>(row_chars), top = 40,
         side = cell * static_cast<double>(k);
  std::string out =
      svg_open(left + side + 8, top + side + 8,
               "Confusion matrix: rows are true classes, columns are predicted classes", "chart heatmap");
  out += svg_text(left + side / 2, 12, "predicted", R"(text-anchor="middle" class="axis-title")");
  std::string rotate = "transform=\"rotate(-90 12 " + format_coord(top + side / 2) + ")\"";
  out += svg_text(12, top + side / 2, "true", R"(text-anchor="middle" class="axis-title" )" + rotate);
  for (size_t i = 0; i < k; ++i) {
    double offset = cell * (static_cast<double>(i) + 0.5);
    if (col_chars > 0)
      out +=
          svg_text(left + offset, top - 6, truncate_label(c.labels[i], col_chars), R"(text-anchor="middle")");
    out +=
        svg_text(left - 6, top + offset + 4, truncate_label(c.labels[i], row_chars), R"(text-anchor="end")");
  }
  for (size_t i = 0; i < k; ++i)
    for (size_t j = 0; j < k; ++j)
      out += cell_markup(c, i, j, left + cell * static_cast<double>(j), top + cell * static_cast<double>(i),
                         cell);
  return out + svg_close();
}

std::string per_class_table(const std::vector<PerClass>& rows) {
  if (rows.empty()) return "";
  std::string out =
      "<table class=\"per-class\"><thead><tr><th>class</th><th class=\"num\">precision</th>"
      "<th class=\"num\">recall</th><th class=\"num\">f1</th><th "
      "class=\"num\">support</th></tr></thead><tbody>";
  for (const PerClass& r : rows) {
    out += "<tr><td>" + escape_html(r.label) + R"(</td><td class="num">)" + html_number(r.precision) +
           R"(</td><td class="num">)" + html_number(r.recall) + R"(</td><td class="num">)" +
           html_number(r.f1) + R"(</td><td class="num">)" + html_count(r.support) + "</td></tr>";
  }
  return out + "</tbody></table>";
}

}  // namespace

std::string html_confusion_section(const Json& doc) {
  std::optional<Confusion> confusion = read_confusion(doc);
  std::vector<PerClass> per_class = read_per_class(doc);
  if (!confusion && per_class.empty()) return "";
  std::string body = R"(<div class="charts">)";
  if (confusion) {
    body += "<figure>" + confusion_svg(*confusion) +
            "<figcaption>Counts; colour is the share of the true class's row.</figcaption></figure>";
  }
  body += per_class_table(per_class) + "</div>";
  return html_section("confusion", "Confusion matrix", body);
}

}  // namespace dpeval::report::internal
