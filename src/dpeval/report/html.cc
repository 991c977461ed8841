// The HTML report page: head with the one inline stylesheet, header, then the
// sections of report/internal/html_sections.h in reading order (see html.h).
#include "dpeval/report/html.h"

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report {
namespace {

using internal::escape_html;

// The only styling of the page (see Note [Self-contained]); system fonts only.
constexpr const char* kStyle = R"css(
:root{--fg:#1d2330;--muted:#5b6475;--line:#d5dae3;--card:#f6f8fb;--good:#1a7f37;--bad:#cf222e;--accent:#2f6fdf;--after:#d9730d}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1120px;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.meta,.note,figcaption{color:var(--muted)}
.note,figcaption{font-size:12px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--card);padding:1px 4px;border-radius:3px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:132px}
.card .name{color:var(--muted);font-size:12px}
.card .value{font-size:20px;font-variant-numeric:tabular-nums}
.card .interval{color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums}
.undefined{color:var(--muted);cursor:help}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0}
th,td{padding:3px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
.num{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
figure{margin:0}
svg{max-width:100%;height:auto;font-size:11px}
svg text{fill:var(--fg)}
svg .axis-title{fill:var(--muted)}
svg .grid{stroke:#eceff4}
svg .tick{stroke:var(--muted)}
svg .frame{fill:none;stroke:var(--muted)}
svg .curve{fill:none;stroke:var(--accent);stroke-width:2}
svg .diagonal{stroke:#8a93a3;stroke-dasharray:4 3}
svg .diagonal-swatch{fill:#8a93a3}
svg .bar{fill:var(--accent);fill-opacity:.75}
svg .bar-after{fill:var(--after);fill-opacity:.75}
svg .gap{fill:var(--bad);fill-opacity:.25;stroke:var(--bad);stroke-opacity:.5}
svg .cell{stroke:#fff}
svg text.on-dark{fill:#fff}
svg.interval-bar{vertical-align:middle}
svg .track{stroke:var(--line)}
svg .interval{stroke:var(--accent);stroke-width:4;stroke-linecap:round;stroke-opacity:.55}
svg .point{fill:var(--fg)}
svg .overall{stroke:var(--muted);stroke-dasharray:2 2}
.flag{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;margin-right:4px}
.flag.small{background:#eef0f4;color:var(--muted)}
.flag.worse{background:#ffebe9;color:var(--bad)}
tr.too-small td{color:var(--muted)}
.pass{color:var(--good);font-weight:600}
.fail{color:var(--bad);font-weight:600}
)css";

std::string page_title(const nlohmann::json& doc, const HtmlOptions& options) {
  if (!options.title.empty()) return options.title;
  std::string source = internal::string_member(doc, "source", "");
  return source.empty() ? "Evaluation" : "Evaluation of " + source;
}

std::string header_markup(const nlohmann::json& doc, const std::string& title) {
  std::string meta;
  auto add = [&meta](const std::string& part) { meta += (meta.empty() ? "" : " · ") + part; };
  std::string source = internal::string_member(doc, "source", "");
  if (!source.empty()) add("source <code>" + escape_html(source) + "</code>");
  std::string task = internal::string_member(doc, "task", "");
  if (!task.empty()) add("task <b data-field=\"task\">" + escape_html(task) + "</b>");
  if (auto n = internal::number_member(doc, "n", ""))
    add("n = <b data-field=\"n\">" + internal::html_count(n) + "</b>");
  if (auto k = internal::number_member(doc, "num_classes", "")) add(internal::html_count(k) + " classes");
  return "<header><h1>" + escape_html(title) + "</h1><p class=\"meta\">" + meta + "</p></header>\n";
}

std::string page(const nlohmann::json& doc, const HtmlOptions& options) {
  std::string title = page_title(doc, options);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"dpeval report\">\n<title>" +
      escape_html(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += header_markup(doc, title) + "<main>\n";
  out += internal::html_metrics_section(doc);
  out += internal::html_gates_section(doc);
  out += internal::html_confusion_section(doc);
  out += internal::html_calibration_section(doc);
  out += internal::html_curves_section(doc);
  out += internal::html_slices_section(doc, options.slice_rows_max);
  out += internal::html_fairness_section(doc);
  out += internal::html_warnings_section(doc);
  return out + "</main>\n</body>\n</html>\n";
}

}  // namespace

std::string render_html(const nlohmann::json& doc, const HtmlOptions& options) {
  if (!doc.is_object()) internal::throw_bad_part("", "an object", doc);
  try {
    return page(doc, options);
  } catch (const nlohmann::json::exception& e) {
    // The checked reads should leave nothing to nlohmann; if one slips, it is still the input's fault.
    throw InputError(std::string("eval document: ") + e.what());
  }
}

void write_html(const std::filesystem::path& path, const nlohmann::json& doc, const HtmlOptions& options) {
  write_file_atomic(path, render_html(doc, options));
}

}  // namespace dpeval::report
