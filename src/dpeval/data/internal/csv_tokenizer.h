// CsvTokenizer: splits CSV text into records and fields (RFC 4180) without
// allocating per field: fields are views into the text, except fields with ""
// escapes, which are unescaped into a per-record scratch buffer.
// Records end at LF or CRLF; a double-quoted field may hold the delimiter, quotes
// written "" and line breaks; blank lines are skipped; text after a closing quote
// other than spaces/tabs, the delimiter or a line end is an error; a quote inside an
// unquoted field is kept literally.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::data::internal {

class CsvTokenizer {
 public:
  // `text` must outlive the tokenizer. A leading UTF-8 byte-order mark is skipped.
  CsvTokenizer(std::string_view text, char delimiter, std::string_view source_name);

  // Column names for error messages once the header is known; before that, and for
  // fields beyond them, messages say "field N". The vector must outlive the tokenizer.
  void set_column_names(const std::vector<std::string>* names) { names_ = names; }

  // Reads the next record. Returns false at the end of the text. Throws InputError
  // "<source>:<line>: ..." for an unterminated quoted field or text after a closing quote.
  bool next();

  // The current record's fields; valid until the next call to next().
  std::span<const std::string_view> fields() const { return fields_; }
  // 1-based line on which the current record / its field i starts.
  uint64_t line() const { return record_line_; }
  uint64_t field_line(size_t i) const { return field_lines_[i]; }
  // True when `field` points into the text (stays valid as long as the text does),
  // false when it points into the scratch buffer (valid until the next call).
  bool in_text(std::string_view field) const;

  // "column 'x3'" or "field 7" (1-based), for messages.
  std::string describe_field(size_t index) const;

 private:
  struct Piece {
    size_t begin;  // offset into text_ or scratch_
    size_t size;
    bool scratch;
  };

  std::string_view text_;
  char delimiter_;
  std::string source_;
  const std::vector<std::string>* names_ = nullptr;
  size_t pos_ = 0;
  uint64_t line_ = 1;
  uint64_t record_line_ = 0;
  std::vector<Piece> pieces_;
  std::vector<std::string_view> fields_;
  std::vector<uint64_t> field_lines_;
  std::string scratch_;
};

// `text` without leading and trailing spaces and tabs.
std::string_view trim_blanks(std::string_view text);

}  // namespace dpeval::data::internal
