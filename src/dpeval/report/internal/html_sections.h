// The sections of the HTML report (see report/html.h). Each returns
// "<section id=...>...</section>", or "" when the document lacks its data, and
// throws InputError on a malformed part (report/internal/document.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "dpeval/report/internal/document.h"

namespace dpeval::report::internal {

std::string html_metrics_section(const Json& doc);
std::string html_confusion_section(const Json& doc);
std::string html_calibration_section(const Json& doc);
std::string html_curves_section(const Json& doc);
std::string html_slices_section(const Json& doc, size_t rows_max);
std::string html_fairness_section(const Json& doc);
std::string html_gates_section(const Json& doc);
std::string html_warnings_section(const Json& doc);
// Every section above in the eval page's reading order (report/html.h); the
// run report's #model section holds them too.
std::string html_eval_sections(const Json& doc, size_t slice_rows_max);

// Shared pieces.
// A number per Note [Number format], or the undefined mark: "—" with the tooltip "undefined".
std::string html_number(std::optional<double> value);
// A count ("10,000"); a fractional or undefined one as html_number() writes it.
std::string html_count(std::optional<double> count);
// "lo – hi" of an interval.
std::string html_interval(const Interval& interval);
// <section id="id"><h2>heading</h2>body</section>
std::string html_section(std::string_view id, std::string_view heading, std::string_view body);
// "demographic_parity_difference" -> "demographic parity difference" (escaped).
std::string html_key_text(std::string_view key);

}  // namespace dpeval::report::internal
