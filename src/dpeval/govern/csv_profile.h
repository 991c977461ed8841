// Streaming CSV profile for dataset manifests: row count, column names and
// inferred types, and summary statistics, computed from pieces of the file as
// they are read (the file is never held in memory; a quoted cell may span
// pieces). The CSV dialect is data/csv.h's: RFC 4180, header first, LF or CRLF,
// a UTF-8 BOM and blank lines skipped, spaces and tabs around unquoted cells
// ignored. Unlike the dataset reader it never throws on content: ragged
// records are counted, not refused, since a manifest describes whatever is there.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

namespace dpeval::govern {

// Summary of one column. type: "integer" (every non-empty cell an integer),
// "number" (every non-empty cell a finite number), "string", or "empty" (no
// non-empty cell). min/max/mean over the numeric cells, only for integer/number.
struct ColumnProfile {
  std::string name;
  uint64_t non_empty = 0, missing = 0;
  uint64_t numeric = 0, integer = 0;
  double min = 0, max = 0, sum = 0;
  uint64_t distinct = 0;        // distinct non-empty values, counted up to kDistinctCap
  bool distinct_capped = false;  // more than kDistinctCap distinct values

  static constexpr uint64_t kDistinctCap = 1000;
  std::string type() const;
  nlohmann::json to_json() const;

  std::unordered_set<uint64_t> seen_;  // XXH3 of the values while counting distinct ones
};

struct CsvProfile {
  uint64_t rows = 0;         // data records (the header excluded)
  uint64_t ragged_rows = 0;  // records whose field count differs from the header's
  std::vector<ColumnProfile> columns;
  nlohmann::json columns_json() const;
};

// Feed the file's bytes in order with add(), then finish() once.
class CsvProfiler {
 public:
  explicit CsvProfiler(char delimiter = ',') : delimiter_(delimiter) {}
  void add(std::string_view bytes);
  CsvProfile finish();

 private:
  void end_field();
  void end_record();

  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
  char delimiter_;
  State state_ = State::kFieldStart;
  bool at_file_start_ = true;
  bool header_done_ = false;
  bool record_empty_ = true;  // nothing but a line break so far: a blank line
  bool field_quoted_ = false;
  std::string field_;
  size_t column_ = 0;
  CsvProfile profile_;
};

}  // namespace dpeval::govern
