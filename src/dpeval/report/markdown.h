// The eval result document (docs/EVAL.md) as a compact Markdown summary for a
// pull-request comment: headline metrics with intervals, gate results (✅/❌),
// the five worst slices that are not too small (Note [Worst slice] in
// report/internal/document.h), the fairness summary and warnings. Parts the
// document lacks are left out. Strings from the document are escaped for
// Markdown tables and inline HTML; numbers follow Note [Number format] in
// report/internal/text.h, null is "—".
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace dpeval::report {

// The summary as UTF-8 text ending in a newline. Pure; safe to call
// concurrently. Throws InputError as render_html() does (report/html.h).
std::string render_markdown(const nlohmann::json& doc);

// render_markdown() written to `path` atomically. Throws as render_markdown(), and IoError.
void write_markdown(const std::filesystem::path& path, const nlohmann::json& doc);

}  // namespace dpeval::report
