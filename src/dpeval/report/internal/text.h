// Text helpers the report writers share: escaping for HTML and Markdown, and
// the one number format every page uses (see Note [Number format]). Pure
// functions of their arguments; safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dpeval::report::internal {

// Escapes & < > " ' so that `text` is inert both as element content and inside a
// single- or double-quoted attribute value (HTML and inline SVG alike).
std::string escape_html(std::string_view text);

// Escapes `text` for a cell of a Markdown table: backslash, | ` * _ [ ] # and
// the HTML specials & < > become literal characters; line breaks become spaces.
std::string escape_markdown(std::string_view text);

// Note [Number format]
// One format for every metric, so a number reads the same in the HTML, the
// Markdown and the browser test that looks for it:
//   |v| <= 1 (rates, AUCs, MCC, ...)      4 decimals           "0.9123", "-0.0312", "1.0000"
//   1 < |v| < 1e9 (losses, rmse, ...)     4 significant digits "12.35", "1235", "123457"
//   0 < |v| < 1e-4 or |v| >= 1e9          exponent, 4 digits   "3.142e-05"
// A non-finite value has no number: it is written as undefined ("—").
std::string format_number(double value);

// A count with thousands separators: 10000 -> "10,000"; -1234 -> "-1,234".
std::string format_count(int64_t count);

// A count that may come as any JSON number: integral values as format_count(),
// others as format_number().
std::string format_count_value(double count);

// A p-value: "< 0.0001" below 1e-4, else 2 significant digits ("0.0031", "0.42").
std::string format_p_value(double p);

// An SVG coordinate: at most 2 decimals, trailing zeros trimmed ("12.5", "3").
std::string format_coord(double value);

// A tick label for a value on an axis whose ticks are `step` apart: as many
// decimals as the step needs ("0.2", "15", "0.05").
std::string format_tick(double value, double step);

}  // namespace dpeval::report::internal
