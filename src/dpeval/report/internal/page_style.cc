// The report pages' stylesheets (see page_style.h).
#include "dpeval/report/internal/page_style.h"

#include <string>

namespace dpeval::report::internal {
namespace {

constexpr std::string_view kStyle = R"css(
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

// Series colours (Note [Series classes]): blue, orange, green, red, purple, grey.
constexpr std::string_view kRunStyle = R"css(
svg .series-0{fill:#2f6fdf;stroke:#2f6fdf}
svg .series-1{fill:#d9730d;stroke:#d9730d}
svg .series-2{fill:#1a7f37;stroke:#1a7f37}
svg .series-3{fill:#cf222e;stroke:#cf222e}
svg .series-4{fill:#8250df;stroke:#8250df}
svg .series-5{fill:#6e7781;stroke:#6e7781}
svg polyline.line{fill:none;stroke-width:2}
svg .marker{stroke:#fff;stroke-width:1}
svg .bar-part{stroke:#fff;stroke-width:.5;fill-opacity:.85}
table.facts th{font-weight:normal;color:var(--muted);white-space:nowrap}
.not-recorded{color:var(--muted);font-style:italic}
pre{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;white-space:pre-wrap;word-break:break-all}
section section h2{font-size:15px;border-bottom:none;margin-top:20px}
)css";

}  // namespace

std::string_view page_style() { return kStyle; }

std::string_view run_page_style() {
  static const std::string style = std::string(kStyle) + std::string(kRunStyle);
  return style;
}

}  // namespace dpeval::report::internal
