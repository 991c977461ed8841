// The audit's CSV record reader: splits CSV text into records and fields
// (RFC 4180, the rules of data/csv.h) without allocating per field, and reports
// malformed text as a status with its line instead of throwing, so that chunks
// parsed in parallel can say where the problem is in the whole file.
//
// Records end at LF or CRLF; blank lines are skipped; a double-quoted field may
// hold the delimiter, quotes written "" and line breaks; spaces and tabs around
// a field are trimmed; text after a closing quote other than blanks, the
// delimiter or a line end is an error; a quote inside an unquoted field is kept.
// Thread safety: one reader per thread; readers share nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::govern {

enum class CsvStatus { kRecord, kEnd, kUnterminatedQuote, kTextAfterQuote };

class AuditCsvReader {
 public:
  // `text` must outlive the reader; it starts at a record boundary.
  AuditCsvReader(std::string_view text, char delimiter);

  // Reads the next record into fields() (views valid until the next call).
  // kEnd at the end of the text; an error status leaves the reader at the end.
  CsvStatus next();

  const std::vector<std::string_view>& fields() const { return fields_; }
  // 1-based line (within `text`) where the current record, or the error, starts.
  uint64_t line() const { return record_line_; }
  // Line breaks consumed so far (the whole text once next() returned kEnd).
  uint64_t lines_consumed() const { return line_ - 1; }
  // Byte offset of the next unread byte, and where the current record starts.
  size_t position() const { return pos_; }
  size_t record_offset() const { return record_offset_; }
  // After an error status: the 0-based field where it happened.
  size_t error_field() const { return error_field_; }

 private:
  // A quoted field with "" in it: its text, unescaped, is scratch_[begin, begin + size).
  struct EscapedField {
    size_t field;
    size_t begin;
    size_t size;
  };
  std::string_view text_;
  char delimiter_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
  uint64_t record_line_ = 0;
  size_t record_offset_ = 0;
  size_t error_field_ = 0;
  std::vector<std::string_view> fields_;  // views into text_, or into scratch_ for escaped_fields_
  std::vector<EscapedField> escaped_fields_;
  std::string scratch_;
};

// Where a block of CSV text can be cut: the offset just past the last line
// break that is outside quotes, scanning from `text`'s start (a record
// boundary). Returns 0 when there is none. Also fills `cuts` with up to
// `parts - 1` such offsets near i * size / parts, increasing, so that the block
// [0, result) splits into record-aligned parts.
size_t csv_record_cuts(std::string_view text, size_t parts, std::vector<size_t>& cuts);

// `text` without leading and trailing spaces and tabs.
std::string_view csv_trim(std::string_view text);

}  // namespace dpeval::govern
