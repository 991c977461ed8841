// libFuzzer target for the one table reader (data/table_reader.h, data/table.h)
// in both modes. The first byte picks the dialect (bit 0: lenient, bit 1: tab
// delimiter, bit 2: a 16-byte cell bound); the rest is the text. Checked:
// every field lies in the text or the reader's scratch, spans and lines only
// move forward, parse_table agrees with the reader, and (strict, well-formed
// text) the chunker's parts read separately give exactly the records of the
// whole. Typed dpeval errors are the expected outcome for bad input;
// InternalError or a crash is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/data/table.h"
#include "dpeval/data/table_reader.h"

namespace {

using namespace dpeval::data;

// Every record of `text`, or false at the first error status.
bool read_all(std::string_view text, const TableDialect& dialect,
              std::vector<std::vector<std::string>>& out) {
  TableRecordReader reader(text, dialect);
  reader.keep_spans(true);
  uint64_t last_line = 0;
  size_t last_position = 0;
  while (true) {
    const TableStatus status = reader.next();
    if (status == TableStatus::kEnd) return true;
    if (status != TableStatus::kRecord) {
      if (reader.error_offset() > text.size()) std::abort();
      if (reader.error_text(status).empty()) std::abort();
      return false;
    }
    if (reader.line() < last_line || reader.position() <= last_position) std::abort();
    last_line = reader.line();
    last_position = reader.position();
    if (reader.spans().size() != reader.fields().size()) std::abort();
    size_t span_end = reader.record_offset();
    for (size_t i = 0; i < reader.fields().size(); ++i) {
      const auto span = reader.spans()[i];
      if (span.begin < span_end || span.end < span.begin || span.end > text.size()) std::abort();
      span_end = span.end;
      if (reader.fields()[i].size() > dialect.max_cell_bytes) std::abort();
    }
    out.emplace_back(reader.fields().begin(), reader.fields().end());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  TableDialect dialect;
  dialect.mode = (data[0] & 1) ? TableMode::kLenient : TableMode::kStrict;
  dialect.delimiter = (data[0] & 2) ? '\t' : ',';
  if (data[0] & 4) dialect.max_cell_bytes = 16;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<std::vector<std::string>> whole;
  const bool ok = read_all(text, dialect, whole);

  std::vector<size_t> cuts;
  const size_t end = table_record_cuts(text, 4, cuts);
  if (end > text.size()) std::abort();
  size_t previous = 0;
  for (size_t c : cuts) {
    if (c <= previous || c >= end || text[c - 1] != '\n') std::abort();
    previous = c;
  }
  if (ok && dialect.mode == TableMode::kStrict && end > 0) {
    std::vector<std::vector<std::string>> prefix, parts;
    if (!read_all(text.substr(0, end), dialect, prefix)) std::abort();
    std::vector<size_t> bounds = {0};
    bounds.insert(bounds.end(), cuts.begin(), cuts.end());
    bounds.push_back(end);
    for (size_t i = 0; i + 1 < bounds.size(); ++i) {
      if (!read_all(text.substr(bounds[i], bounds[i + 1] - bounds[i]), dialect, parts)) std::abort();
    }
    if (parts != prefix) std::abort();
  }

  try {
    const Table t = parse_table(text, "fuzz.csv", dialect);
    if (dialect.mode == TableMode::kStrict && t.ragged_rows() != 0) std::abort();
    for (size_t c = 0; c < t.columns(); ++c) {
      const Table::Numbers n = t.numbers(c);
      if (n.values.size() != t.rows()) std::abort();
    }
  } catch (const dpeval::InternalError&) {
    throw;
  } catch (const dpeval::Error&) {
  }
  return 0;
}
