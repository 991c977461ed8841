// The `dpeval robust` document (attack, clean accuracy, results per eps with
// per-class rows) as one self-contained HTML page: robust accuracy against
// eps (clean accuracy at eps 0), one curve per class beside the whole, and a
// table of every class at every eps. Self-contained as the other pages (Note
// [Self-contained] in report/html.h): inline SVG, no script, every string
// escaped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace dpeval::report {

// Throws InputError naming the field when `doc` is not a robust document.
std::string render_robust_html(const nlohmann::json& doc);

}  // namespace dpeval::report
