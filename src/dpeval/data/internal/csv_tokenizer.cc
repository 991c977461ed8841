#include "dpeval/data/internal/csv_tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "dpeval/core/error.h"
#include "dpeval/data/internal/text.h"

namespace dpeval::data::internal {

std::string_view trim_blanks(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
  return text.substr(b, e - b);
}

CsvTokenizer::CsvTokenizer(std::string_view text, char delimiter, std::string_view source_name)
    : text_(text), delimiter_(delimiter), source_(source_name) {
  if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
}

bool CsvTokenizer::in_text(std::string_view field) const {
  const std::less_equal<const char*> le;
  return le(text_.data(), field.data()) && le(field.data() + field.size(), text_.data() + text_.size());
}

std::string CsvTokenizer::describe_field(size_t index) const {
  if (names_ != nullptr && index < names_->size()) return "column " + quote_excerpt((*names_)[index]);
  return fmt::format("field {}", index + 1);
}

bool CsvTokenizer::next() {
  const size_t n = text_.size();
  const char* t = text_.data();
  pieces_.clear();
  field_lines_.clear();
  scratch_.clear();
  // Skip blank lines (LF or CRLF with nothing before them).
  while (pos_ < n) {
    if (t[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (t[pos_] == '\r' && pos_ + 1 < n && t[pos_ + 1] == '\n') {
      pos_ += 2;
      ++line_;
    } else {
      break;
    }
  }
  if (pos_ >= n) {
    fields_.clear();
    return false;
  }
  record_line_ = line_;
  while (true) {
    const size_t index = pieces_.size();
    field_lines_.push_back(line_);
    if (pos_ < n && t[pos_] == '"') {
      const uint64_t open_line = line_;
      const size_t begin = ++pos_;
      bool escaped = false;
      size_t close = 0;
      while (true) {
        const void* q = pos_ < n ? std::memchr(t + pos_, '"', n - pos_) : nullptr;
        if (q == nullptr) {
          throw InputError(
              fmt::format("{}:{}: {}: unterminated quoted field; expected a closing '\"' before the "
                          "end of the file",
                          source_, open_line, describe_field(index)));
        }
        const size_t at = static_cast<size_t>(static_cast<const char*>(q) - t);
        line_ += static_cast<uint64_t>(std::count(t + pos_, t + at, '\n'));
        if (at + 1 < n && t[at + 1] == '"') {
          escaped = true;
          pos_ = at + 2;
          continue;
        }
        close = at;
        pos_ = at + 1;
        break;
      }
      if (escaped) {
        const size_t start = scratch_.size();
        for (size_t i = begin; i < close; ++i) {
          scratch_.push_back(t[i]);
          if (t[i] == '"') ++i;  // "" -> "
        }
        pieces_.push_back({start, scratch_.size() - start, true});
      } else {
        pieces_.push_back({begin, close - begin, false});
      }
      while (pos_ < n && (t[pos_] == ' ' || t[pos_] == '\t')) ++pos_;
      const bool at_end = pos_ == n || t[pos_] == delimiter_ || t[pos_] == '\n' ||
                          (t[pos_] == '\r' && (pos_ + 1 == n || t[pos_ + 1] == '\n'));
      if (!at_end) {
        throw InputError(
            fmt::format("{}:{}: {}: unexpected {} after the closing quote of a quoted field; "
                        "expected the delimiter or the end of the line",
                        source_, line_, describe_field(index), quote_excerpt(text_.substr(pos_, 1))));
      }
      if (pos_ < n && t[pos_] == '\r') ++pos_;
    } else {
      const size_t begin = pos_;
      while (pos_ < n && t[pos_] != delimiter_ && t[pos_] != '\n') ++pos_;
      size_t end = pos_;
      if (end > begin && t[end - 1] == '\r' && (pos_ == n || t[pos_] == '\n')) --end;
      pieces_.push_back({begin, end - begin, false});
    }
    if (pos_ < n && t[pos_] == delimiter_) {
      ++pos_;
      continue;
    }
    if (pos_ < n) {  // '\n'
      ++pos_;
      ++line_;
    }
    break;
  }
  fields_.resize(pieces_.size());
  for (size_t i = 0; i < pieces_.size(); ++i) {
    const Piece& p = pieces_[i];
    fields_[i] =
        p.scratch ? std::string_view(scratch_).substr(p.begin, p.size) : text_.substr(p.begin, p.size);
  }
  return true;
}

}  // namespace dpeval::data::internal
