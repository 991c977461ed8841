// Table files (plain or gzip) and the in-memory Table; see table.h.
#include "dpeval/data/table.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <span>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/internal/gzip_reader.h"
#include "dpeval/data/number.h"
#include "dpeval/data/text.h"

namespace dpeval::data {

std::string read_table_file(const std::filesystem::path& path, uint64_t max_inflated) {
  std::string raw = read_file(path);
  const auto bytes = std::as_bytes(std::span(raw.data(), raw.size()));
  if (!internal::is_gzip(bytes)) return raw;
  internal::GzipReader gzip(bytes, path.string());
  std::string out;
  constexpr size_t kPiece = size_t{1} << 20;
  while (true) {
    const size_t old = out.size();
    out.resize(old + kPiece);
    const size_t got = gzip.read(std::as_writable_bytes(std::span(out.data() + old, kPiece)));
    out.resize(old + got);
    if (out.size() > max_inflated) {
      throw InputError(
          fmt::format("{}: gzip content is larger than {} (the bound on a decompressed table); "
                      "expected a smaller file, or decompress it first",
                      path.string(), human_bytes(static_cast<double>(max_inflated))));
    }
    if (got < kPiece) break;
  }
  return out;
}

TableDialect table_dialect_for(std::string_view path) {
  TableDialect dialect;
  dialect.delimiter = table_delimiter_for(path);
  return dialect;
}

Table::Numbers Table::numbers(size_t c) const {
  Numbers out;
  out.values.resize(rows());
  out.is_number.resize(rows());
  for (size_t r = 0; r < rows(); ++r) {
    double v = 0;
    if (parse_number(cell(r, c), &v)) {
      out.values[r] = v;
      out.is_number[r] = 1;
      ++out.count;
    }
  }
  return out;
}

std::vector<std::string_view> Table::texts(size_t c) const {
  std::vector<std::string_view> out(rows());
  for (size_t r = 0; r < rows(); ++r) out[r] = cell(r, c);
  return out;
}

Table parse_table(std::string_view text, std::string_view source, const TableDialect& dialect) {
  check_table_dialect(dialect);
  Table t;
  t.source_ = std::string(source);
  const size_t bom = table_bom_bytes(text);
  const std::string_view body = text.substr(bom);
  TableRecordReader reader(body, dialect);
  auto throw_status = [&](TableStatus status) {
    throw InputError(table_error_message(source, reader.line(), bom + reader.error_offset(),
                                         t.names_.empty() ? nullptr : &t.names_, reader.error_field(),
                                         reader.error_text(status)));
  };
  TableStatus status = reader.next();
  if (status == TableStatus::kEnd) {
    throw InputError(fmt::format("{}: file is empty; expected a header row", source));
  }
  if (status != TableStatus::kRecord) throw_status(status);
  for (std::string_view name : reader.fields()) t.names_.emplace_back(name);
  t.header_line_ = reader.line();
  const size_t width = t.names_.size();
  while ((status = reader.next()) == TableStatus::kRecord) {
    const auto& fields = reader.fields();
    if (fields.size() != width) {
      if (dialect.mode == TableMode::kStrict) {
        throw InputError(
            table_ragged_message(source, reader.line(), fields.size(), t.names_, t.header_line_));
      }
      ++t.ragged_rows_;
      if (fields.size() > width) t.extra_fields_ += fields.size() - width;
    }
    t.row_lines_.push_back(reader.line());
    for (size_t c = 0; c < width; ++c) {
      std::string_view cell = c < fields.size() ? fields[c] : std::string_view();
      if (!cell.empty() && !reader.in_text(cell)) cell = t.copies_.emplace_back(cell);
      t.cells_.push_back(cell);
    }
  }
  if (status != TableStatus::kEnd) throw_status(status);
  return t;
}

std::vector<std::string> read_table_header(const std::filesystem::path& path) {
  // Only the first record is needed: read until a line end outside quotes (or
  // the end of the file); a gzip file is read whole (read_table_file).
  std::string text;
  if (path.string().ends_with(".gz")) {
    text = read_table_file(path);
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path.string() + ": cannot open: " + std::strerror(errno));
    std::vector<size_t> cuts;
    constexpr size_t kPiece = size_t{1} << 16;
    while (in) {
      const size_t old = text.size();
      text.resize(old + kPiece);
      in.read(text.data() + old, static_cast<std::streamsize>(kPiece));
      text.resize(old + static_cast<size_t>(in.gcount()));
      if (in.bad()) throw InputError(path.string() + ": read failed");
      if (text.size() >= 2 && internal::is_gzip(std::as_bytes(std::span(text.data(), 2)))) {
        text = read_table_file(path);
        break;
      }
      const size_t end = table_record_cuts(std::string_view(text).substr(table_bom_bytes(text)), 1, cuts);
      if (end > 0) {
        text.resize(table_bom_bytes(text) + end);
        break;
      }
    }
  }
  const TableDialect dialect = table_dialect_for(path.string());
  const size_t bom = table_bom_bytes(text);
  TableRecordReader reader(std::string_view(text).substr(bom), dialect);
  const TableStatus status = reader.next();
  if (status == TableStatus::kEnd)
    throw InputError(fmt::format("{}: file is empty; expected a header row", path.string()));
  if (status != TableStatus::kRecord) {
    throw InputError(table_error_message(path.string(), reader.line(), bom + reader.error_offset(), nullptr,
                                         reader.error_field(), reader.error_text(status)));
  }
  return std::vector<std::string>(reader.fields().begin(), reader.fields().end());
}

}  // namespace dpeval::data
