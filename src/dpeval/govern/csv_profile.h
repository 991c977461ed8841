// Streaming CSV profile for dataset manifests: row count, column names and
// inferred types, and summary statistics, computed from pieces of the file as
// they are read (the file is never held in memory; a quoted cell may span
// pieces). The text goes through the table reader (data/table_reader.h,
// docs/TABLES.md), strict by default: a malformed record or one whose field
// count differs from the header's is an InputError naming the file, line and
// column, as every other command that reads the file would say; an empty file
// or a header without rows too. In lenient mode (Note [Lenient mode]) ragged
// records are counted in ragged_rows (short ones' missing cells count as
// missing, long ones' extra fields are ignored) and a header alone is 0 rows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpeval/data/table_reader.h"

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

// Feed the file's bytes in order with add(), then finish() once. Strict: each
// piece is split after its last complete record (the quote parity of the bytes
// held back is kept, so the split needs no rescan); complete records are read
// in place, only the unfinished tail is copied (a file without LF line ends is
// held whole). Lenient: the text is held whole and read at finish().
class CsvProfiler {
 public:
  explicit CsvProfiler(const data::TableDialect& dialect = {}, std::string source = "<csv>");
  // Throws InputError (strict mode) for a malformed or ragged record.
  void add(std::string_view bytes);
  // Throws InputError for an empty text or (strict) a header without rows.
  CsvProfile finish();

 private:
  void read_records(std::string_view text);

  data::TableDialect dialect_;
  std::string source_;
  bool at_file_start_ = true;
  bool header_done_ = false;
  std::string tail_;        // an unfinished record, carried to the next add()
  bool tail_quoted_ = false;  // an odd number of '"' in tail_
  uint64_t line_base_ = 0;  // line ends before the text being read
  uint64_t byte_base_ = 0;  // file offset of the text being read
  std::vector<std::string> names_;
  uint64_t header_line_ = 1;
  CsvProfile profile_;
};

}  // namespace dpeval::govern
