// The `dpeval audit` document (docs/AUDIT.md) as one self-contained HTML page
// (see Note [Self-contained] in report/html.h): header with the sets and row
// counts, gate results, then one table row per check (severity, id, count,
// value, message) with its examples, and the column profile of each set.
// Every string from the document is escaped. Sections: #gates, #checks,
// #columns; a check's row carries data-check="<id>".
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace dpeval::report {

// The page as UTF-8 text. Pure. Throws InputError for a document that is not
// an audit document (no "checks" array).
std::string render_audit_html(const nlohmann::json& doc);

// render_audit_html() written to `path` atomically. Throws as above, and IoError.
void write_audit_html(const std::filesystem::path& path, const nlohmann::json& doc);

}  // namespace dpeval::report
