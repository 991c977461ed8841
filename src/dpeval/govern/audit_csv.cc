// The audit's CSV record reader; see audit_csv.h.
#include "dpeval/govern/audit_csv.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace dpeval::govern {
namespace {

// The first byte at or after pos that is `delimiter` or '\n' (n if none),
// eight bytes at a time: a byte b of w is one of them when (w ^ pattern) has a
// zero byte there; the classic has-zero test may mark bytes above the first
// zero byte too (borrows), never below it, so the lowest mark is exact.
size_t find_field_end(const char* s, size_t pos, size_t n, char delimiter) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  const uint64_t d = kOnes * static_cast<uint8_t>(delimiter), nl = kOnes * static_cast<uint8_t>('\n');
  while (pos + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, s + pos, 8);
    const uint64_t x = w ^ d, y = w ^ nl;
    const uint64_t marks = (((x - kOnes) & ~x) | ((y - kOnes) & ~y)) & kHighs;
    if (marks != 0) return pos + (std::countr_zero(marks) >> 3);
    pos += 8;
  }
  while (pos < n && s[pos] != delimiter && s[pos] != '\n') ++pos;
  return pos;
}

}  // namespace

std::string_view csv_trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

AuditCsvReader::AuditCsvReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {}

CsvStatus AuditCsvReader::next() {
  const size_t n = text_.size();
  const char* s = text_.data();
  // Blank lines (nothing but an optional CR) are skipped.
  while (pos_ < n) {
    if (s[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (s[pos_] == '\r' && pos_ + 1 < n && s[pos_ + 1] == '\n') {
      pos_ += 2;
      ++line_;
    } else {
      break;
    }
  }
  if (pos_ >= n) return CsvStatus::kEnd;
  record_line_ = line_;
  record_offset_ = pos_;
  fields_.clear();
  escaped_fields_.clear();
  scratch_.clear();
  while (true) {
    while (pos_ < n && (s[pos_] == ' ' || s[pos_] == '\t')) ++pos_;
    if (pos_ < n && s[pos_] == '"') {
      ++pos_;
      const size_t start = pos_;
      bool escaped = false;
      size_t scratch_begin = scratch_.size();
      while (true) {
        const void* q = pos_ < n ? std::memchr(s + pos_, '"', n - pos_) : nullptr;
        if (q == nullptr) {
          error_field_ = fields_.size();
          pos_ = n;
          return CsvStatus::kUnterminatedQuote;
        }
        const size_t at = static_cast<const char*>(q) - s;
        for (size_t i = pos_; i < at; ++i) line_ += s[i] == '\n';
        if (at + 1 < n && s[at + 1] == '"') {
          if (!escaped) scratch_.append(s + start, pos_ - start);
          escaped = true;
          scratch_.append(s + pos_, at - pos_ + 1);
          pos_ = at + 2;
          continue;
        }
        if (escaped) {
          scratch_.append(s + pos_, at - pos_);
          escaped_fields_.push_back({fields_.size(), scratch_begin, scratch_.size() - scratch_begin});
          fields_.emplace_back();  // set below, once scratch_ no longer grows
        } else {
          fields_.push_back(text_.substr(start, at - start));
        }
        pos_ = at + 1;
        break;
      }
      while (pos_ < n && (s[pos_] == ' ' || s[pos_] == '\t')) ++pos_;
      if (pos_ >= n) break;
      if (s[pos_] == delimiter_) {
        ++pos_;
        continue;
      }
      if (s[pos_] == '\n') {
        ++pos_;
        ++line_;
        break;
      }
      if (s[pos_] == '\r' && pos_ + 1 < n && s[pos_ + 1] == '\n') {
        pos_ += 2;
        ++line_;
        break;
      }
      record_line_ = line_;
      error_field_ = fields_.size() - 1;
      pos_ = n;
      return CsvStatus::kTextAfterQuote;
    }
    const size_t start = pos_;
    pos_ = find_field_end(s, pos_, n, delimiter_);
    size_t end = pos_;
    const bool at_line_end = pos_ >= n || s[pos_] == '\n';
    if (at_line_end && end > start && s[end - 1] == '\r') --end;
    fields_.push_back(csv_trim(std::string_view(s + start, end - start)));
    if (pos_ >= n) break;
    ++pos_;
    if (at_line_end) {
      ++line_;
      break;
    }
  }
  for (const EscapedField& f : escaped_fields_) {
    fields_[f.field] = std::string_view(scratch_).substr(f.begin, f.size);
  }
  return CsvStatus::kRecord;
}

namespace {

// Note [Quote-free cuts]
// Most blocks hold no '"' at all (one memchr over the block says so, at memory
// speed). Then every line break is a record boundary: the last one ends the
// block, and each cut is the first line break at or past its target, found by
// one memchr each, instead of a memchr per line.
size_t csv_record_cuts_quote_free(std::string_view text, size_t parts, std::vector<size_t>& cuts) {
  const char* s = text.data();
  const size_t n = text.size();
  const void* last_nl = n > 0 ? memrchr(s, '\n', n) : nullptr;
  if (last_nl == nullptr) return 0;
  const size_t last = static_cast<const char*>(last_nl) - s + 1;
  for (size_t part = 1; part < parts; ++part) {
    const size_t target = n / parts * part;  // a cut is the end of the line holding byte target - 1
    const size_t from = target > 0 ? target - 1 : 0;
    const void* nl = from < n ? std::memchr(s + from, '\n', n - from) : nullptr;
    if (nl == nullptr) break;
    const size_t cut = static_cast<const char*>(nl) - s + 1;
    if (cut >= last) break;
    if (cuts.empty() || cuts.back() != cut) cuts.push_back(cut);
  }
  return last;
}

}  // namespace

size_t csv_record_cuts(std::string_view text, size_t parts, std::vector<size_t>& cuts) {
  cuts.clear();
  const char* s = text.data();
  const size_t n = text.size();
  // See Note [Quote-free cuts].
  if (n == 0 || std::memchr(s, '"', n) == nullptr) return csv_record_cuts_quote_free(text, parts, cuts);
  size_t last = 0;
  size_t next_target = parts > 1 ? n / parts : n + 1;
  size_t part = 1;
  bool quoted = false;
  size_t pos = 0;
  while (pos < n) {
    if (!quoted) {
      // Jump to the next quote or line break.
      const void* nl = std::memchr(s + pos, '\n', n - pos);
      const void* qt = std::memchr(s + pos, '"', (nl ? static_cast<const char*>(nl) - s : n) - pos);
      if (qt != nullptr) {
        quoted = true;
        pos = static_cast<const char*>(qt) - s + 1;
        continue;
      }
      if (nl == nullptr) break;
      pos = static_cast<const char*>(nl) - s + 1;
      last = pos;
      while (part < parts && pos >= next_target) {
        if (cuts.empty() || cuts.back() != pos) cuts.push_back(pos);
        ++part;
        next_target = n / parts * part;
      }
    } else {
      const void* qt = std::memchr(s + pos, '"', n - pos);
      if (qt == nullptr) break;
      pos = static_cast<const char*>(qt) - s + 1;
      quoted = false;  // a doubled quote re-enters quoted state at the next '"'
    }
  }
  while (!cuts.empty() && cuts.back() >= last) cuts.pop_back();
  return last;
}

}  // namespace dpeval::govern
