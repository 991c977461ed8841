// Datasheets for Datasets (Gebru et al., 2018/2021) in Markdown, filled from a
// manifest's provenance fields (datasheet.toml) and measured facts: the
// manifest's files, rows, columns and statistics, and optionally the results
// of `dpeval audit` (quality, leakage, imbalance, PII). Every question the
// inputs cannot answer is listed under "Unanswered questions" at the end, so a
// reader sees what is missing instead of a silently short document.
//
// Sections: Motivation, Composition, Collection process,
// Preprocessing/cleaning/labeling, Uses, Distribution, Maintenance,
// Unanswered questions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpeval/govern/manifest.h"

namespace dpeval::govern {

// One audit check as the datasheet reads it from audit JSON
// ({"rows": {...}, "checks": [{"id","severity","count","value","message","examples"}], "gates": [...]}).
struct AuditCheck {
  std::string id;        // "quality.missing", "pii.email", ...
  std::string severity;  // as given ("info", "warn", "fail", ...); may be empty
  std::optional<double> count, value;
  std::string message;
};

struct AuditSummary {
  nlohmann::json rows = nlohmann::json::object();  // as given
  std::vector<AuditCheck> checks;
  nlohmann::json gates = nlohmann::json::array();  // as given
};

// Reads the audit JSON's checks. Throws InputError "<source>: <field>: <what>"
// for malformed JSON, a missing/non-array "checks", a check that is not an
// object or has no string "id", or a mistyped severity/count/value/message.
AuditSummary parse_audit_json(std::string_view text, std::string_view source);

struct DatasheetInputs {
  const Manifest* manifest = nullptr;  // required
  std::string manifest_name;           // shown in the header (a path)
  const AuditSummary* audit = nullptr;  // optional
  std::string audit_name;
};

struct Datasheet {
  std::string markdown;                 // ends with a newline; deterministic for equal inputs
  std::vector<std::string> unanswered;  // the questions listed in the last section
};
Datasheet render_datasheet(const DatasheetInputs& inputs);

}  // namespace dpeval::govern
