// The table record reader and the quote-aware chunker; see table_reader.h.
// The unquoted-field scan (the hot path of every table reader) finds the next
// special byte eight at a time (Note [Special bytes]).
#include "dpeval/data/table_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <functional>

#include "dpeval/core/error.h"
#include "dpeval/data/text.h"

namespace dpeval::data {
namespace {

// Note [Special bytes]
// An unquoted field ends at the delimiter, '\n' or '\r', and a '"' inside it
// is an error (strict) or a character (lenient). The first of those four bytes
// is found eight bytes at a time: byte b of word w equals pattern byte p when
// (w ^ p) has a zero byte there; the classic has-zero test may mark bytes
// above the first zero byte too (borrows), never below it, so the lowest mark
// is exact.
inline size_t find_special(const char* s, size_t pos, size_t n, char delimiter) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  const uint64_t d = kOnes * static_cast<uint8_t>(delimiter), lf = kOnes * uint8_t{'\n'},
                 cr = kOnes * uint8_t{'\r'}, qt = kOnes * uint8_t{'"'};
  while (pos + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, s + pos, 8);
    const uint64_t a = w ^ d, b = w ^ lf, c = w ^ cr, e = w ^ qt;
    const uint64_t marks =
        (((a - kOnes) & ~a) | ((b - kOnes) & ~b) | ((c - kOnes) & ~c) | ((e - kOnes) & ~e)) & kHighs;
    if (marks != 0) return pos + (std::countr_zero(marks) >> 3);
    pos += 8;
  }
  while (pos < n && s[pos] != delimiter && s[pos] != '\n' && s[pos] != '\r' && s[pos] != '"') ++pos;
  return pos;
}

// Line ends (LF, CRLF, bare CR) in s[b, e).
uint64_t count_line_ends(const char* s, size_t b, size_t e, size_t n) {
  uint64_t lines = 0;
  for (size_t i = b; i < e; ++i) {
    if (s[i] == '\n') {
      ++lines;
    } else if (s[i] == '\r' && !(i + 1 < n && s[i + 1] == '\n')) {
      ++lines;
    }
  }
  return lines;
}

inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

void check_table_dialect(const TableDialect& dialect) {
  const char d = dialect.delimiter;
  if (d == '"' || d == '\n' || d == '\r') {
    throw ConfigError(
        fmt::format("table delimiter {} is not allowed; expected a character other than a quote or a "
                    "line break",
                    quote_excerpt(std::string_view(&d, 1))));
  }
  if (dialect.max_cell_bytes == 0) throw ConfigError("table cell bound of 0 bytes; expected at least 1");
}

char table_delimiter_for(std::string_view path) {
  auto ends_with = [&](std::string_view suffix) {
    if (path.size() < suffix.size()) return false;
    return std::equal(suffix.begin(), suffix.end(), path.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
  };
  return ends_with(".tsv") || ends_with(".tsv.gz") ? '\t' : ',';
}

size_t table_bom_bytes(std::string_view text) { return text.starts_with("\xEF\xBB\xBF") ? 3 : 0; }

std::string_view table_trim(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && is_blank(text[b])) ++b;
  while (e > b && is_blank(text[e - 1])) --e;
  return text.substr(b, e - b);
}

TableRecordReader::TableRecordReader(std::string_view text, const TableDialect& dialect)
    : text_(text), dialect_(dialect) {}

bool TableRecordReader::in_text(std::string_view field) const {
  const std::less_equal<const char*> le;
  return le(text_.data(), field.data()) && le(field.data() + field.size(), text_.data() + text_.size());
}

TableStatus TableRecordReader::fail(TableStatus status, size_t field, size_t offset) {
  error_field_ = field;
  error_offset_ = offset;
  pos_ = text_.size();
  return status;
}

std::string TableRecordReader::error_text(TableStatus status) const {
  switch (status) {
    case TableStatus::kUnterminatedQuote:
      return "unterminated quoted field; expected a closing '\"' before the end of the file";
    case TableStatus::kTextAfterQuote:
      return fmt::format(
          "unexpected {} after the closing quote of a quoted field; expected the delimiter or the end of the "
          "line",
          quote_excerpt(text_.substr(std::min(error_offset_, text_.size()), 1)));
    case TableStatus::kQuoteInField:
      return "'\"' inside an unquoted field; expected the whole field in quotes, with \"\" for each quote in "
             "it";
    case TableStatus::kCellTooLong:
      return fmt::format("cell longer than {} bytes; expected at most that (the bound on one cell)",
                         dialect_.max_cell_bytes);
    case TableStatus::kRecord:
    case TableStatus::kEnd:
      break;
  }
  return "no error";
}

TableStatus TableRecordReader::next() {
  const size_t n = text_.size();
  const char* s = text_.data();
  const char delimiter = dialect_.delimiter;
  const bool strict = dialect_.mode == TableMode::kStrict;
  // Blank lines (a line end with nothing before it) are skipped.
  while (pos_ < n) {
    if (s[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (s[pos_] == '\r') {
      pos_ += pos_ + 1 < n && s[pos_ + 1] == '\n' ? 2 : 1;
      ++line_;
    } else {
      break;
    }
  }
  if (pos_ >= n) return TableStatus::kEnd;
  record_line_ = line_;
  record_offset_ = pos_;
  fields_.clear();
  spans_.clear();
  field_lines_.clear();
  scratch_fields_.clear();
  scratch_.clear();
  while (true) {
    const size_t raw_begin = pos_;
    if (keep_field_lines_) field_lines_.push_back(line_);
    while (pos_ < n && is_blank(s[pos_])) ++pos_;
    const size_t field = fields_.size();
    if (pos_ < n && s[pos_] == '"') {
      const uint64_t open_line = line_;
      const size_t open = pos_++;
      const size_t start = pos_;
      const size_t scratch_begin = scratch_.size();
      bool in_scratch = false;
      while (true) {
        const void* q = pos_ < n ? std::memchr(s + pos_, '"', n - pos_) : nullptr;
        if (q == nullptr) {
          if (strict) {
            record_line_ = open_line;
            return fail(TableStatus::kUnterminatedQuote, field, open);
          }
          // Lenient: the rest of the text is the field.
          line_ += count_line_ends(s, pos_, n, n);
          if (in_scratch) scratch_.append(s + pos_, n - pos_);
          if (!in_scratch) fields_.push_back(text_.substr(start, n - start));
          pos_ = n;
          break;
        }
        const size_t at = static_cast<size_t>(static_cast<const char*>(q) - s);
        line_ += count_line_ends(s, pos_, at, n);
        if (at + 1 < n && s[at + 1] == '"') {  // "" -> "
          if (!in_scratch) scratch_.append(s + start, pos_ - start);
          in_scratch = true;
          scratch_.append(s + pos_, at - pos_ + 1);
          pos_ = at + 2;
          continue;
        }
        if (in_scratch) {
          scratch_.append(s + pos_, at - pos_);
        } else {
          fields_.push_back(text_.substr(start, at - start));
        }
        pos_ = at + 1;
        break;
      }
      const size_t after_quote = pos_;
      while (pos_ < n && is_blank(s[pos_])) ++pos_;
      if (pos_ < n && s[pos_] != delimiter && s[pos_] != '\n' && s[pos_] != '\r') {
        if (strict) {
          record_line_ = line_;
          return fail(TableStatus::kTextAfterQuote, field, pos_);
        }
        // Lenient: the text up to the delimiter or line end joins the field.
        if (!in_scratch) {
          scratch_.append(fields_.back());
          fields_.pop_back();
          in_scratch = true;
        }
        size_t end = after_quote;
        while (end < n && s[end] != delimiter && s[end] != '\n' && s[end] != '\r') ++end;
        scratch_.append(table_trim(std::string_view(s + after_quote, end - after_quote)));
        pos_ = end;
      }
      if (in_scratch) {
        scratch_fields_.push_back({field, scratch_begin, scratch_.size() - scratch_begin});
        fields_.emplace_back();  // set below, once scratch_ no longer grows
      }
      if (in_scratch ? scratch_.size() - scratch_begin > dialect_.max_cell_bytes
                     : fields_.back().size() > dialect_.max_cell_bytes) {
        record_line_ = line_;
        return fail(TableStatus::kCellTooLong, field, open);
      }
    } else {
      const size_t start = pos_;
      while (true) {
        pos_ = find_special(s, pos_, n, delimiter);
        if (pos_ < n && s[pos_] == '"') {
          if (strict) {
            record_line_ = line_;
            return fail(TableStatus::kQuoteInField, field, pos_);
          }
          ++pos_;  // lenient: a character of the field
          continue;
        }
        break;
      }
      const std::string_view value = table_trim(std::string_view(s + start, pos_ - start));
      if (value.size() > dialect_.max_cell_bytes) {
        record_line_ = line_;
        return fail(TableStatus::kCellTooLong, field, start);
      }
      fields_.push_back(value);
    }
    if (keep_spans_) spans_.push_back({raw_begin, pos_});
    if (pos_ >= n) break;
    const char c = s[pos_];
    if (c == delimiter) {
      ++pos_;
      continue;
    }
    // A line end: '\n', "\r\n" or a bare '\r'.
    pos_ += c == '\r' && pos_ + 1 < n && s[pos_ + 1] == '\n' ? 2 : 1;
    ++line_;
    break;
  }
  for (const Scratch& f : scratch_fields_)
    fields_[f.field] = std::string_view(scratch_).substr(f.begin, f.size);
  return TableStatus::kRecord;
}

std::string table_error_message(std::string_view source, uint64_t line, uint64_t byte,
                                const std::vector<std::string>* names, size_t field, std::string_view what) {
  const std::string where = names != nullptr && field < names->size()
                                ? "column " + quote_excerpt((*names)[field])
                                : fmt::format("field {}", field + 1);
  return fmt::format("{}:{}: {}: {} (byte {})", source, line, where, what, byte);
}

std::string table_ragged_message(std::string_view source, uint64_t line, size_t got,
                                 const std::vector<std::string>& names, uint64_t header_line) {
  const size_t width = names.size();
  const std::string which =
      got < width
          ? fmt::format("; column {} and those after it are missing", quote_excerpt(names[got]))
          : fmt::format("; field {} has no column (an unquoted delimiter inside a value?)", width + 1);
  return fmt::format("{}:{}: got {} field{}, expected {} as in the header (line {}){}", source, line, got,
                     got == 1 ? "" : "s", width, header_line, which);
}

TableRecords::TableRecords(std::string_view text, std::string_view source, const TableDialect& dialect)
    : bom_(table_bom_bytes(text)), reader_(text.substr(bom_), dialect), source_(source) {
  check_table_dialect(dialect);
  reader_.keep_field_lines(true);
}

bool TableRecords::next() {
  const TableStatus status = reader_.next();
  if (status == TableStatus::kRecord) return true;
  if (status == TableStatus::kEnd) return false;
  throw InputError(table_error_message(source_, reader_.line(), bom_ + reader_.error_offset(), names_,
                                       reader_.error_field(), reader_.error_text(status)));
}

namespace {

// Note [Quote-free cuts]
// Most blocks hold no '"' at all (one memchr over the block says so, at memory
// speed). Then every '\n' is a record boundary: the last one ends the block,
// and each cut is the first '\n' at or past its target, found by one memchr
// each, instead of a memchr per line.
size_t table_record_cuts_quote_free(std::string_view text, size_t parts, std::vector<size_t>& cuts) {
  const char* s = text.data();
  const size_t n = text.size();
  const void* last_nl = n > 0 ? memrchr(s, '\n', n) : nullptr;
  if (last_nl == nullptr) return 0;
  const size_t last = static_cast<size_t>(static_cast<const char*>(last_nl) - s) + 1;
  for (size_t part = 1; part < parts; ++part) {
    const size_t target = n / parts * part;  // a cut is the end of the line holding byte target - 1
    const size_t from = target > 0 ? target - 1 : 0;
    const void* nl = from < n ? std::memchr(s + from, '\n', n - from) : nullptr;
    if (nl == nullptr) break;
    const size_t cut = static_cast<size_t>(static_cast<const char*>(nl) - s) + 1;
    if (cut >= last) break;
    if (cuts.empty() || cuts.back() != cut) cuts.push_back(cut);
  }
  return last;
}

}  // namespace

size_t table_record_cuts(std::string_view text, size_t parts, std::vector<size_t>& cuts) {
  cuts.clear();
  const char* s = text.data();
  const size_t n = text.size();
  // See Note [Quote-free cuts].
  if (n == 0 || std::memchr(s, '"', n) == nullptr) return table_record_cuts_quote_free(text, parts, cuts);
  // With quotes: the parity of '"' so far says whether a '\n' is inside a quoted
  // field ("" adds two). In lenient mode a '"' inside an unquoted field also
  // flips the parity, so such a file may be cut inside a record; lenient
  // readers read it in one part (see Note [Lenient mode]).
  size_t last = 0;
  size_t next_target = parts > 1 ? n / parts : n + 1;
  size_t part = 1;
  bool quoted = false;
  size_t pos = 0;
  while (pos < n) {
    if (!quoted) {
      const void* nl = std::memchr(s + pos, '\n', n - pos);
      const size_t nl_at = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - s) : n;
      const void* qt = std::memchr(s + pos, '"', nl_at - pos);
      if (qt != nullptr) {
        quoted = true;
        pos = static_cast<size_t>(static_cast<const char*>(qt) - s) + 1;
        continue;
      }
      if (nl == nullptr) break;
      pos = nl_at + 1;
      last = pos;
      while (part < parts && pos >= next_target) {
        if (cuts.empty() || cuts.back() != pos) cuts.push_back(pos);
        ++part;
        next_target = n / parts * part;
      }
    } else {
      const void* qt = std::memchr(s + pos, '"', n - pos);
      if (qt == nullptr) break;
      pos = static_cast<size_t>(static_cast<const char*>(qt) - s) + 1;
      quoted = false;  // a doubled quote re-enters quoted state at the next '"'
    }
  }
  while (!cuts.empty() && cuts.back() >= last) cuts.pop_back();
  return last;
}

}  // namespace dpeval::data
