// The streaming CSV profiler: whole records, read by the table reader
// (data/table_reader.h), hand each cell to its column's running statistics.
#include "dpeval/govern/csv_profile.h"

#include <cmath>

#include <fmt/format.h>

#include <cstring>

#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/data/number.h"

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
  double value = 0;
  if (!data::parse_finite_number(cell, &value)) return;
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

CsvProfiler::CsvProfiler(const data::TableDialect& dialect, std::string source)
    : dialect_(dialect), source_(std::move(source)) {
  data::check_table_dialect(dialect_);
}

void CsvProfiler::read_records(std::string_view text) {
  data::TableRecordReader reader(text, dialect_);
  const bool strict = dialect_.mode == data::TableMode::kStrict;
  while (true) {
    const data::TableStatus status = reader.next();
    if (status == data::TableStatus::kEnd) break;
    if (status != data::TableStatus::kRecord) {
      throw InputError(data::table_error_message(source_, line_base_ + reader.line(),
                                                 byte_base_ + reader.error_offset(),
                                                 names_.empty() ? nullptr : &names_, reader.error_field(),
                                                 reader.error_text(status)));
    }
    const auto& fields = reader.fields();
    if (!header_done_) {
      header_done_ = true;
      header_line_ = line_base_ + reader.line();
      for (std::string_view name : fields) {
        names_.emplace_back(name);
        profile_.columns.emplace_back().name = std::string(name);
      }
      continue;
    }
    const size_t width = profile_.columns.size();
    if (fields.size() != width) {
      if (strict) {
        throw InputError(
            data::table_ragged_message(source_, line_base_ + reader.line(), fields.size(), names_, header_line_));
      }
      ++profile_.ragged_rows;
    }
    ++profile_.rows;
    for (size_t c = 0; c < width; ++c) {
      if (c < fields.size()) {
        add_cell(profile_.columns[c], fields[c]);
      } else {
        ++profile_.columns[c].missing;
      }
    }
  }
  line_base_ += reader.lines_consumed();
  byte_base_ += text.size();
}

void CsvProfiler::add(std::string_view bytes) {
  if (at_file_start_ && !bytes.empty()) {
    // A BOM split over two add() calls is not worth handling: callers read in large pieces.
    const size_t bom = data::table_bom_bytes(bytes);
    bytes.remove_prefix(bom);
    byte_base_ += bom;
    at_file_start_ = false;
  }
  // Lenient text may flip the quote parity the split relies on (a '"' inside an
  // unquoted field): it is read whole, at finish().
  if (dialect_.mode == data::TableMode::kLenient) {
    tail_.append(bytes);
    return;
  }
  // The end of the last complete record in tail_ + bytes: the last '\n' with an
  // even number of '"' before it (counting from tail_'s start, a record start).
  size_t end = 0;  // in bytes: records end before bytes[end]
  bool quoted = tail_quoted_;
  for (size_t pos = 0; pos < bytes.size();) {
    const void* q = std::memchr(bytes.data() + pos, '"', bytes.size() - pos);
    const size_t stop = q != nullptr ? static_cast<size_t>(static_cast<const char*>(q) - bytes.data()) : bytes.size();
    if (!quoted) {
      const void* nl = stop > pos ? memrchr(bytes.data() + pos, '\n', stop - pos) : nullptr;
      if (nl != nullptr) end = static_cast<size_t>(static_cast<const char*>(nl) - bytes.data()) + 1;
    }
    if (q == nullptr) break;
    quoted = !quoted;
    pos = stop + 1;
  }
  const bool quoted_after_end = quoted;
  if (end == 0) {
    tail_.append(bytes);
    tail_quoted_ = quoted_after_end;
    return;
  }
  if (tail_.empty()) {
    read_records(bytes.substr(0, end));
  } else {
    tail_.append(bytes.substr(0, end));
    read_records(tail_);
  }
  tail_.assign(bytes.substr(end));
  // The parity of the new tail: '"' after `end` in bytes.
  bool tail_quoted = false;
  for (char c : tail_) tail_quoted ^= c == '"';
  tail_quoted_ = tail_quoted;
}

CsvProfile CsvProfiler::finish() {
  if (!tail_.empty()) read_records(tail_);
  tail_.clear();
  if (!header_done_) throw InputError(fmt::format("{}: file is empty; expected a header row", source_));
  if (profile_.rows == 0 && dialect_.mode == data::TableMode::kStrict) {
    throw InputError(fmt::format("{}:{}: the file has a header but no data rows; expected at least one row", source_,
                                 header_line_));
  }
  for (ColumnProfile& c : profile_.columns) c.seen_.clear();
  return std::move(profile_);
}

}  // namespace dpeval::govern
