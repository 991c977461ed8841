// Tables as a whole: reading a table file (plain, or .gz through zlib) into
// text, and a parsed in-memory table with typed column views, on top of the
// record reader (table_reader.h; the dialect and the modes are its Notes).
// The large-file readers (train, predict/eval, audit, redact, manifest) drive
// TableRecordReader and table_record_cuts themselves, straight into their
// own columns; this header serves everything smaller (a header, a corpus,
// a fit file) and is the reference they are tested against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/data/table_reader.h"

namespace dpeval::data {

// Bytes a .gz table may inflate to before read_table_file refuses it (a gzip
// bomb must not exhaust memory): 4 GiB.
inline constexpr uint64_t kMaxInflatedTableBytes = uint64_t{4} << 30;

// The bytes of a table file: the file itself, or for a path ending in .gz (or
// any file starting with the gzip magic) its decompressed content, at most
// max_inflated bytes. Throws InputError naming the path (cannot open, corrupt
// or truncated gzip, over the bound).
std::string read_table_file(const std::filesystem::path& path,
                            uint64_t max_inflated = kMaxInflatedTableBytes);

// The dialect for a path: table_delimiter_for(path), strict, the default bound.
TableDialect table_dialect_for(std::string_view path);

// A parsed table: the header's names and every cell as a view. Cells point into
// the text given to parse_table (which must outlive the Table) or into the
// Table's own copies of unescaped cells.
class Table {
 public:
  const std::string& source() const { return source_; }
  const std::vector<std::string>& names() const { return names_; }
  size_t columns() const { return names_.size(); }
  size_t rows() const { return row_lines_.size(); }
  uint64_t header_line() const { return header_line_; }
  // 1-based line of the file on which data row r (0-based) starts.
  uint64_t row_line(size_t r) const { return row_lines_[r]; }
  // The cell, unquoted and trimmed. In lenient mode a short row's missing
  // cells are empty and a long row's extra fields are dropped (extra_fields()).
  std::string_view cell(size_t r, size_t c) const { return cells_[r * names_.size() + c]; }
  // Fields beyond the header's width, summed over lenient rows (0 in strict mode).
  uint64_t extra_fields() const { return extra_fields_; }
  uint64_t ragged_rows() const { return ragged_rows_; }

  // Typed view of one column: every cell through parse_number (number.h).
  struct Numbers {
    std::vector<double> values;      // one per row; 0 where the cell is not a number
    std::vector<uint8_t> is_number;  // 1 where parse_number accepted the cell (NaN/inf included)
    size_t count = 0;                // cells that are numbers
  };
  Numbers numbers(size_t c) const;
  // Text view of one column: the cells in row order.
  std::vector<std::string_view> texts(size_t c) const;

 private:
  friend Table parse_table(std::string_view, std::string_view, const TableDialect&);
  std::string source_;
  std::vector<std::string> names_;
  uint64_t header_line_ = 0;
  std::vector<std::string_view> cells_;  // rows x columns
  std::vector<uint64_t> row_lines_;
  std::deque<std::string> copies_;
  uint64_t extra_fields_ = 0, ragged_rows_ = 0;
};

// Parses a whole table: the first record is the header (names trimmed; a BOM
// skipped), the rest are rows. Strict: throws InputError
// "<source>:<line>: column 'x': <what> (byte N)" for the first malformed
// record or ragged row, and for an empty text ("file is empty; expected a
// header row"). A header without rows is a table of 0 rows (callers decide).
// Lenient: see Note [Lenient mode]; still throws for an empty text and an
// over-long cell. ConfigError for a bad dialect.
Table parse_table(std::string_view text, std::string_view source, const TableDialect& dialect);

// The header's names of a table file: its first record under
// table_dialect_for(path), reading no further than that record (a gzip file is
// decompressed whole). Throws InputError for a file that cannot be read, an
// empty one, or a malformed first record (as parse_table).
std::vector<std::string> read_table_header(const std::filesystem::path& path);

}  // namespace dpeval::data
