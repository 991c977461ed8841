// The audit's optional schema file (--schema schema.toml): per column its type,
// range, allowed values and whether it may be missing.
//
//   [columns.age]
//   type = "integer"        # integer | number | string | category | bool (default: any)
//   min = 0                 # numbers below min / above max are out of range
//   max = 120
//   nullable = false        # default true: a missing cell is a violation when false
//   [columns.color]
//   allowed = ["red", "green", "blue"]   # strings or numbers; any other value is not allowed
//
// Only [columns.<name>] tables with those keys are accepted; anything else is a
// ConfigError "<source>:<line>:<col>: ..." naming what was expected. A schema
// column missing from the data is a finding, not an error.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/govern/audit_example.h"

namespace dpeval::govern {

enum class SchemaType { kAny, kInteger, kNumber, kString, kCategory, kBool };

struct SchemaColumn {
  std::string name;
  SchemaType type = SchemaType::kAny;
  std::optional<double> min, max;
  std::vector<std::string> allowed;  // as written; numbers as their TOML text
  std::vector<double> allowed_numbers;  // the allowed values that are numbers
  bool nullable = true;
};

struct AuditSchema {
  std::vector<SchemaColumn> columns;
  const SchemaColumn* find(std::string_view name) const;
};

// Throws ConfigError naming source, line and column.
AuditSchema parse_audit_schema(std::string_view text, std::string_view source);
// read_file then parse_audit_schema; InputError when it cannot be read.
AuditSchema read_audit_schema(const std::filesystem::path& path);

// What a scan found against a schema.
struct SchemaFindings {
  ExampleList out_of_range;      // numbers outside [min, max]
  ExampleList not_allowed;       // values not in allowed
  ExampleList null_not_allowed;  // missing cells in a nullable = false column
  ExampleList wrong_type;        // cells that are not of the column's type
  std::vector<std::string> missing_columns;  // schema columns the data lacks
  uint64_t total() const {
    return out_of_range.count + not_allowed.count + null_not_allowed.count + wrong_type.count +
           missing_columns.size();
  }
  void merge(const SchemaFindings& other);
};

}  // namespace dpeval::govern
