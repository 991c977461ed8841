// PII in CSV files: scan every cell of the chosen columns with PiiScanner and
// report what was found (row, column, entity, masked sample; never the value),
// optionally writing a copy of the file with every found value replaced by its
// mask (mask_pii). Streams the file in pieces of a few MiB and scans each piece
// on all threads; memory does not grow with the file.
//
// CSV dialect: the table reader's (data/table_reader.h, docs/TABLES.md): RFC
// 4180, header first, LF, CRLF or bare CR line ends. Strict by default: a
// malformed record or one whose field count differs from the header's is an
// InputError naming the line (and nothing is written). In lenient mode
// (RedactOptions::mode) the file is read whole, in one piece, and the cells
// of records wider than the header are scanned too, under the column name
// "#<n>" (1-based field number). Rows are numbered from 1 for the first data
// record; blank lines are copied and not counted. The copy keeps every byte of
// the input except the masked cells (their surrounding blanks included), which
// are re-quoted only when they must be.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpeval/data/table_reader.h"
#include "dpeval/govern/pii.h"

namespace dpeval::govern {

struct RedactOptions {
  std::vector<PiiEntity> entities = all_pii_entities();
  std::vector<std::string> columns;  // scan only these (by header name); empty = every column
  char delimiter = ',';
  data::TableMode mode = data::TableMode::kStrict;  // see Note [Lenient mode] in data/table_reader.h
  size_t threads = 0;         // 0 = all hardware threads
  size_t max_findings = 100;  // findings kept for the report (the counts are always complete)
};

struct PiiFinding {
  uint64_t row = 0;  // 1-based data row
  std::string column;
  PiiEntity entity;
  std::string masked;  // mask_pii of the value
};

struct PiiReport {
  uint64_t rows = 0;
  uint64_t cells_scanned = 0;
  uint64_t cells_with_pii = 0;
  std::map<PiiEntity, uint64_t> counts;                       // every entity asked for, zeros included
  std::map<std::string, std::map<PiiEntity, uint64_t>> by_column;  // only columns with findings
  std::vector<PiiFinding> findings;                           // the first max_findings, in row order
  uint64_t total() const;
  nlohmann::json to_json() const;
};

// Scans `in`; when `out` is given, also writes the masked copy there
// atomically. Throws InputError naming `in` for a missing/unreadable file, an
// empty file, a header without data rows (never a clean report of 0 rows), a
// malformed or ragged record (strict) or an unknown --columns name
// (ConfigError for a bad delimiter), IoError for `out`.
PiiReport redact_csv(const std::filesystem::path& in, const std::optional<std::filesystem::path>& out,
                     const RedactOptions& options);

}  // namespace dpeval::govern
