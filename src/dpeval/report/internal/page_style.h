// The one inline stylesheet of the report pages (see Note [Self-contained] in
// report/html.h): the eval page's rules, and the run report's additions
// (series colours of Note [Series classes] in svg.h, fact tables, the
// command block). System fonts only; no URL anywhere.
#pragma once

#include <string_view>

namespace dpeval::report::internal {

// The eval page's stylesheet.
std::string_view page_style();
// page_style() plus the run report's rules.
std::string_view run_page_style();

}  // namespace dpeval::report::internal
