// The one table reader: RFC 4180 text (CSV, TSV) split into records and fields
// without allocating per field, for every command that reads a table (train,
// predict, eval, calibrate, audit, redact, manifest). docs/TABLES.md has the
// dialect for users; this header is the contract.
//
// Note [Table dialect]
// - Records end at LF, CRLF or a bare CR (old Mac files): all three are line
//   ends, outside quotes. Line numbers count all three.
// - Blank lines (nothing before the line end) are skipped; a line of blanks is
//   a record of one empty field.
// - Fields are separated by the dialect's delimiter (',' or '\t'; any byte but
//   '"', '\n' and '\r'). Spaces and tabs around a field are not part of it.
// - A field whose first non-blank byte is '"' is quoted: it runs to the next
//   '"' not followed by another '"'; it may hold the delimiter, line breaks and
//   quotes written "" (read as one "). After the closing quote only blanks, the
//   delimiter or a line end may follow.
// - A UTF-8 byte-order mark at the start of the file is not part of the first
//   field (table_bom_bytes; the reader is given the text after it).
// - No cell may be longer than max_cell_bytes (Note [Cell bound]).
// Strict mode (the default, and what every command uses) treats every
// departure as an error: an unterminated quote, text after a closing quote, a
// '"' inside an unquoted field, a cell over the bound; a record whose field
// count differs from the header's is an error its caller reports (every
// caller does, with table_ragged_message).
//
// Note [Lenient mode]
// TableMode::kLenient reads what a spreadsheet would, and nothing else changes:
//   1. a '"' inside an unquoted field is kept as a character of the field;
//   2. text after a closing quote (up to the delimiter or line end) is appended
//      to the field, as is: "ab"cd -> abcd;
//   3. an unterminated quoted field runs to the end of the text (its value is
//      everything after the opening quote, "" still read as ");
//   4. ragged records are the caller's to accept (the reader never checks
//      widths; lenient callers pad short records with empty cells and keep
//      the extra fields of long ones).
// The cell bound, the line ends and the BOM are the same in both modes.
//
// Note [Cell bound]
// A cell is at most max_cell_bytes bytes of text (kMaxTableCellBytes = 1 MiB by
// default) in both modes. Every consumer copies, escapes or reports cells (JSON,
// HTML, Markdown, error messages), so a 50 MB cell would become hundreds of MB
// downstream; at 1 MiB a cell is still far beyond any real feature, label, key
// or text column, and the error names the line and column so the user can see.
//
// Thread safety: one reader per thread; readers share nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::data {

inline constexpr size_t kMaxTableCellBytes = size_t{1} << 20;

enum class TableMode : uint8_t { kStrict, kLenient };

struct TableDialect {
  char delimiter = ',';  // any byte but '"', '\n', '\r' (check_table_dialect)
  TableMode mode = TableMode::kStrict;
  size_t max_cell_bytes = kMaxTableCellBytes;  // >= 1
};

// Throws ConfigError naming the delimiter when it is '"', '\n' or '\r', or
// max_cell_bytes is 0.
void check_table_dialect(const TableDialect& dialect);

// '\t' for a path ending in .tsv or .tsv.gz (any case), else ','.
char table_delimiter_for(std::string_view path);

// 3 when text starts with a UTF-8 byte-order mark, else 0.
size_t table_bom_bytes(std::string_view text);

enum class TableStatus : uint8_t {
  kRecord,
  kEnd,
  kUnterminatedQuote,  // strict only
  kTextAfterQuote,     // strict only
  kQuoteInField,       // strict only
  kCellTooLong,
};

class TableRecordReader {
 public:
  // `text` must outlive the reader and start at a record boundary (after any BOM).
  // The dialect must have passed check_table_dialect.
  TableRecordReader(std::string_view text, const TableDialect& dialect);

  // Reads the next record into fields(). kEnd at the end of the text; an error
  // status leaves the reader at the end (next() then returns kEnd).
  TableStatus next();

  // The current record's fields, unquoted and trimmed: views into the text, or
  // into a scratch buffer for fields with "" escapes or lenient repairs (valid
  // until the next call; in_text tells which).
  const std::vector<std::string_view>& fields() const { return fields_; }
  bool in_text(std::string_view field) const;
  // Byte ranges [begin, end) of each field's raw text in `text`, quotes and
  // blanks included, line end excluded (filled only with keep_spans(true)).
  struct Span {
    size_t begin = 0, end = 0;
  };
  void keep_spans(bool keep) { keep_spans_ = keep; }
  const std::vector<Span>& spans() const { return spans_; }

  // 1-based line (within `text`) where the current record starts, or where
  // the error is.
  uint64_t line() const { return record_line_; }
  // 1-based line on which field i of the current record starts.
  uint64_t field_line(size_t i) const { return field_lines_.empty() ? record_line_ : field_lines_[i]; }
  // Line ends consumed so far (all of the text's once next() returned kEnd).
  uint64_t lines_consumed() const { return line_ - 1; }
  // Byte offset of the next unread byte, and where the current record starts.
  size_t position() const { return pos_; }
  size_t record_offset() const { return record_offset_; }
  // After an error status: the 0-based field, and the byte offset in `text`.
  size_t error_field() const { return error_field_; }
  size_t error_offset() const { return error_offset_; }
  // Ask for field_line() per field (costs a little; the serial readers use it).
  void keep_field_lines(bool keep) { keep_field_lines_ = keep; }

  // "unterminated quoted field; expected a closing '\"' before the end of the
  // file" and so on: what an error status means, for a message.
  std::string error_text(TableStatus status) const;

 private:
  size_t scan_unquoted(size_t start, size_t& end);
  TableStatus fail(TableStatus status, size_t field, size_t offset);

  struct Scratch {
    size_t field, begin, size;
  };
  std::string_view text_;
  TableDialect dialect_;
  bool keep_spans_ = false;
  bool keep_field_lines_ = false;
  size_t pos_ = 0;
  uint64_t line_ = 1;
  uint64_t record_line_ = 0;
  size_t record_offset_ = 0;
  size_t error_field_ = 0;
  size_t error_offset_ = 0;
  std::vector<std::string_view> fields_;
  std::vector<Span> spans_;
  std::vector<uint64_t> field_lines_;
  std::vector<Scratch> scratch_fields_;
  std::string scratch_;
};

// The message for an error status: "<source>:<line>: column 'x': <error_text>
// (byte <offset>)". `line` and `byte` are the file's (the reader's plus the
// caller's base); names (may be null) give column names.
std::string table_error_message(std::string_view source, uint64_t line, uint64_t byte,
                                const std::vector<std::string>* names, size_t field, std::string_view what);

// "<source>:<line>: got 3 fields, expected 4 as in the header (line 1); column
// 'x' and those after it are missing" (or "field 5 has no column ...").
std::string table_ragged_message(std::string_view source, uint64_t line, size_t got,
                                 const std::vector<std::string>& names, uint64_t header_line);

// A whole file's text record by record, as the serial readers want it: the BOM
// skipped, field lines kept, and a malformed record thrown as InputError
// (table_error_message: file, line, column, byte). Ragged records are the
// caller's to check.
class TableRecords {
 public:
  // `text` and `source` must outlive this; throws ConfigError for a bad dialect.
  TableRecords(std::string_view text, std::string_view source, const TableDialect& dialect = {});
  // Column names for messages (may be null; must outlive this).
  void set_column_names(const std::vector<std::string>* names) { names_ = names; }
  // The next record; false at the end. Throws InputError for a malformed one.
  bool next();
  const std::vector<std::string_view>& fields() const { return reader_.fields(); }
  uint64_t line() const { return reader_.line(); }
  uint64_t field_line(size_t i) const { return reader_.field_line(i); }
  bool in_text(std::string_view field) const { return reader_.in_text(field); }
  const TableRecordReader& reader() const { return reader_; }

 private:
  size_t bom_;
  TableRecordReader reader_;
  std::string_view source_;
  const std::vector<std::string>* names_ = nullptr;
};

// Quote-aware chunker. Where a block of table text can be cut: the offset just
// past the last '\n' outside quotes, scanning from `text`'s start (a record
// boundary); 0 when there is none. Fills `cuts` with up to `parts - 1` such
// offsets near i * size / parts, increasing, so that [0, result) splits into
// record-aligned parts for parallel readers. Only LF (and CRLF) make cuts; a
// text whose records end in bare CRs has none and is read as one part.
size_t table_record_cuts(std::string_view text, size_t parts, std::vector<size_t>& cuts);

// `text` without leading and trailing spaces and tabs.
std::string_view table_trim(std::string_view text);

}  // namespace dpeval::data
