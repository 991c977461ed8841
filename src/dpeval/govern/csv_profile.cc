// The streaming CSV profiler: a byte state machine (quotes may span add()
// calls) that hands each finished cell to its column's running statistics.
#include "dpeval/govern/csv_profile.h"

#include <cmath>

#include <fast_float/fast_float.h>

#include "dpeval/core/hash.h"

namespace dpeval::govern {

std::string ColumnProfile::type() const {
  if (non_empty == 0) return "empty";
  if (numeric != non_empty) return "string";
  return integer == non_empty ? "integer" : "number";
}

nlohmann::json ColumnProfile::to_json() const {
  nlohmann::json j = {{"name", name},       {"type", type()},         {"non_empty", non_empty},
                      {"missing", missing}, {"distinct", distinct}, {"distinct_capped", distinct_capped}};
  const std::string t = type();
  if (t == "integer" || t == "number") {
    j["min"] = min;
    j["max"] = max;
    j["mean"] = sum / static_cast<double>(numeric);
  }
  return j;
}

nlohmann::json CsvProfile::columns_json() const {
  nlohmann::json j = nlohmann::json::array();
  for (const ColumnProfile& c : columns) j.push_back(c.to_json());
  return j;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void add_cell(ColumnProfile& c, std::string_view cell) {
  if (cell.empty()) {
    ++c.missing;
    return;
  }
  ++c.non_empty;
  if (!c.distinct_capped) {
    if (c.seen_.insert(hash64(cell)).second) ++c.distinct;
    if (c.distinct > ColumnProfile::kDistinctCap) {
      c.distinct_capped = true;
      c.distinct = ColumnProfile::kDistinctCap;
      c.seen_.clear();
    }
  }
  const char* first = cell.data();
  const char* last = first + cell.size();
  if (*first == '+') ++first;  // fast_float refuses a leading '+'
  double value = 0;
  const auto [ptr, ec] = fast_float::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || !std::isfinite(value)) return;
  if (c.numeric == 0) {
    c.min = c.max = value;
  } else {
    c.min = std::min(c.min, value);
    c.max = std::max(c.max, value);
  }
  ++c.numeric;
  c.sum += value;
  if (cell.find_first_of(".eE") == std::string_view::npos) ++c.integer;
}

}  // namespace

void CsvProfiler::end_field() {
  const std::string_view cell = field_quoted_ ? std::string_view(field_) : trim(field_);
  if (!header_done_) {
    profile_.columns.emplace_back();
    profile_.columns.back().name = std::string(cell);
  } else if (column_ < profile_.columns.size()) {
    add_cell(profile_.columns[column_], cell);
  }
  ++column_;
  field_.clear();
  field_quoted_ = false;
}

void CsvProfiler::end_record() {
  if (record_empty_) {  // a blank line
    field_.clear();
    column_ = 0;
    return;
  }
  end_field();
  if (!header_done_) {
    header_done_ = true;
  } else {
    ++profile_.rows;
    if (column_ != profile_.columns.size()) {
      ++profile_.ragged_rows;
      for (size_t c = column_; c < profile_.columns.size(); ++c) ++profile_.columns[c].missing;
    }
  }
  column_ = 0;
  record_empty_ = true;
}

void CsvProfiler::add(std::string_view bytes) {
  if (at_file_start_ && !bytes.empty()) {
    // A BOM split over two add() calls is not worth handling: callers read in large pieces.
    if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
    at_file_start_ = false;
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    switch (state_) {
      case State::kFieldStart:
      case State::kUnquoted:
        if (c == delimiter_) {
          record_empty_ = false;
          end_field();
          state_ = State::kFieldStart;
        } else if (c == '\n') {
          end_record();
          state_ = State::kFieldStart;
        } else if (c == '\r') {
          // Dropped: CRLF ends a line at the LF; a lone CR inside a cell is kept out.
        } else if (c == '"' && trim(field_).empty()) {
          field_.clear();
          field_quoted_ = true;
          record_empty_ = false;
          state_ = State::kQuoted;
        } else {
          // The common case: copy the run up to the next special byte at once.
          size_t j = i;
          while (j < bytes.size() && bytes[j] != delimiter_ && bytes[j] != '\n' && bytes[j] != '\r') ++j;
          field_.append(bytes.data() + i, j - i);
          record_empty_ = false;
          state_ = State::kUnquoted;
          i = j - 1;
        }
        break;
      case State::kQuoted:
        if (c == '"') {
          state_ = State::kQuoteInQuoted;
        } else {
          const size_t q = bytes.find('"', i);
          const size_t j = q == std::string_view::npos ? bytes.size() : q;
          field_.append(bytes.data() + i, j - i);
          i = j - 1;
        }
        break;
      case State::kQuoteInQuoted:
        if (c == '"') {
          field_.push_back('"');
          state_ = State::kQuoted;
        } else if (c == delimiter_) {
          end_field();
          state_ = State::kFieldStart;
        } else if (c == '\n') {
          end_record();
          state_ = State::kFieldStart;
        } else if (c != '\r') {
          field_.push_back(c);  // text after a closing quote: kept, as a lenient reader would
          state_ = State::kUnquoted;
        }
        break;
    }
  }
}

CsvProfile CsvProfiler::finish() {
  if (!record_empty_ || !field_.empty()) {
    record_empty_ = false;
    end_record();
  }
  for (ColumnProfile& c : profile_.columns) c.seen_.clear();
  return std::move(profile_);
}

}  // namespace dpeval::govern
