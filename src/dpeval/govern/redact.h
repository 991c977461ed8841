// PII in CSV files: scan every cell of the chosen columns with PiiScanner and
// report what was found (row, column, entity, masked sample; never the value),
// optionally writing a copy of the file with every found value replaced by its
// mask (mask_pii). Streams the file in pieces of a few MiB and scans each piece
// on all threads; memory does not grow with the file.
//
// CSV dialect: data/csv.h's (RFC 4180, header first, LF or CRLF). Rows are
// numbered from 1 for the first data record; blank lines are copied and not
// counted. Cells of records wider than the header are scanned too, under the
// column name "#<n>" (1-based field number). The copy keeps every byte of the
// input except the masked cells, which are re-quoted only when they must be.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpeval/govern/pii.h"

namespace dpeval::govern {

struct RedactOptions {
  std::vector<PiiEntity> entities = all_pii_entities();
  std::vector<std::string> columns;  // scan only these (by header name); empty = every column
  char delimiter = ',';
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
// empty file or an unknown --columns name (ConfigError for a bad delimiter),
// IoError for `out`.
PiiReport redact_csv(const std::filesystem::path& in, const std::optional<std::filesystem::path>& out,
                     const RedactOptions& options);

}  // namespace dpeval::govern
