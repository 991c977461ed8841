// Streaming CSV PII scan and redaction. The file is read in batches of
// kBatchBytes; each batch is cut after its last complete record and into one
// piece per thread at record boundaries by the table reader's quote-aware
// chunker (data/table_reader.h); every piece is read by its own
// TableRecordReader and scanned by its own PiiScanner, and its output, counts
// and findings are merged in order.
#include "dpeval/govern/redact.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/data/table.h"
#include "dpeval/data/table_reader.h"

namespace dpeval::govern {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kBatchBytes = size_t{16} << 20;
constexpr size_t kEntityCount = 7;
using EntityCounts = std::array<uint64_t, kEntityCount>;

struct Column {
  std::string name;
  bool scan = true;
  bool dob = false;
};

void append_field(std::string& out, std::string_view value, char delimiter) {
  if (value.find_first_of(std::string{delimiter} + "\"\r\n") == std::string_view::npos) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

struct LocalFinding {
  uint64_t row;
  size_t column;
  PiiEntity entity;
  std::string masked;
};

// What one piece produced. A malformed or (strict) ragged record stops the
// piece: error_status / ragged_fields say which, at line error_line of the piece.
struct PieceResult {
  std::string out;
  uint64_t rows = 0, cells_scanned = 0, cells_with_pii = 0;
  std::vector<EntityCounts> by_column;
  std::vector<LocalFinding> findings;
  uint64_t lines = 0;  // line ends consumed
  data::TableStatus error_status = data::TableStatus::kRecord;
  std::string error_text;
  size_t error_field = 0, error_offset = 0, ragged_fields = 0;
  uint64_t error_line = 0;
  bool ragged = false;
};

void scan_piece(std::string_view text, const std::vector<Column>& columns, bool scan_extra, const PiiScanner& scanner,
                const RedactOptions& options, bool write, PieceResult& r) {
  std::string masked;
  std::vector<PiiMatch> matches;
  size_t copied = 0;
  if (write) r.out.reserve(text.size() + text.size() / 16);
  data::TableDialect dialect;
  dialect.delimiter = options.delimiter;
  dialect.mode = options.mode;
  data::TableRecordReader reader(text, dialect);
  reader.keep_spans(true);
  const bool strict = options.mode == data::TableMode::kStrict;
  while (true) {
    const data::TableStatus status = reader.next();
    if (status == data::TableStatus::kEnd) break;
    if (status != data::TableStatus::kRecord) {
      r.error_status = status;
      r.error_text = reader.error_text(status);
      r.error_line = reader.line();
      r.error_field = reader.error_field();
      r.error_offset = reader.error_offset();
      return;
    }
    const auto& fields = reader.fields();
    if (strict && fields.size() != columns.size()) {
      r.ragged = true;
      r.ragged_fields = fields.size();
      r.error_line = reader.line();
      return;
    }
    ++r.rows;
    for (size_t index = 0; index < fields.size(); ++index) {
      const bool known = index < columns.size();
      if (known ? !columns[index].scan : !scan_extra) continue;
      const std::string_view value = fields[index];
      ++r.cells_scanned;
      matches.clear();
      scanner.scan(value, known && columns[index].dob, matches);
      if (matches.empty()) continue;
      ++r.cells_with_pii;
      if (r.by_column.size() <= index) r.by_column.resize(index + 1, EntityCounts{});
      masked.clear();
      size_t at = 0;
      for (const PiiMatch& m : matches) {
        const std::string mask = mask_pii(value.substr(m.begin, m.end - m.begin), m.entity);
        ++r.by_column[index][static_cast<size_t>(m.entity)];
        if (r.findings.size() < options.max_findings) r.findings.push_back({r.rows, index, m.entity, mask});
        masked.append(value.substr(at, m.begin - at));
        masked.append(mask);
        at = m.end;
      }
      masked.append(value.substr(at));
      if (write) {
        const data::TableRecordReader::Span span = reader.spans()[index];
        r.out.append(text.substr(copied, span.begin - copied));
        append_field(r.out, masked, options.delimiter);
        copied = span.end;
      }
    }
  }
  r.lines = reader.lines_consumed();
  if (write) r.out.append(text.substr(copied));
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// Appends up to `want` bytes from fd (or, for a .gz table, from its content
// already in `inflated`) to buffer; returns false at end of file. `offset`
// counts the bytes read so far (for messages, and the position in `inflated`).
bool read_more(int fd, const fs::path& path, std::string& buffer, size_t want, uint64_t& offset,
               const std::string* inflated = nullptr) {
  if (inflated != nullptr) {
    const size_t got = std::min<size_t>(want, inflated->size() - offset);
    buffer.append(*inflated, offset, got);
    offset += got;
    return got > 0;
  }
  const size_t old = buffer.size();
  buffer.resize(old + want);
  size_t got = 0;
  while (got < want) {
    const ssize_t n = ::read(fd, buffer.data() + old + got, want - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(fmt::format("{}: cannot read at byte {}: {}", path.string(), offset + got, std::strerror(errno)));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buffer.resize(old + got);
  offset += got;
  return got > 0;
}

}  // namespace

uint64_t PiiReport::total() const {
  uint64_t sum = 0;
  for (const auto& [e, n] : counts) sum += n;
  return sum;
}

json PiiReport::to_json() const {
  json c = json::object();
  for (const auto& [e, n] : counts) c[std::string(pii_entity_name(e))] = n;
  json cols = json::object();
  for (const auto& [name, per] : by_column) {
    json j = json::object();
    for (const auto& [e, n] : per) j[std::string(pii_entity_name(e))] = n;
    cols[name] = j;
  }
  json f = json::array();
  for (const PiiFinding& x : findings) {
    f.push_back({{"row", x.row}, {"column", x.column}, {"entity", pii_entity_name(x.entity)}, {"masked", x.masked}});
  }
  return {{"rows", rows},         {"cells_scanned", cells_scanned}, {"cells_with_pii", cells_with_pii},
          {"total", total()},     {"counts", c},                    {"by_column", cols},
          {"findings", f}};
}

PiiReport redact_csv(const fs::path& in, const std::optional<fs::path>& out, const RedactOptions& options) {
  data::TableDialect dialect;
  dialect.delimiter = options.delimiter;
  dialect.mode = options.mode;
  data::check_table_dialect(dialect);
  const std::string source = in.string();
  const int fd = ::open(in.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("{}: cannot open: {}", source, std::strerror(errno)));
  FdCloser closer{fd};
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  const bool strict = options.mode == data::TableMode::kStrict;
  // A .csv.gz / .tsv.gz table is read from its content (data/table.h; the copy is written uncompressed).
  std::string lower = in.filename().string();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string inflated;
  const std::string* inflated_ptr = nullptr;
  if (lower.ends_with(".csv.gz") || lower.ends_with(".tsv.gz")) {
    inflated = data::read_table_file(in);
    inflated_ptr = &inflated;
  }

  std::string buffer;
  uint64_t offset = 0;
  bool more = read_more(fd, in, buffer, kBatchBytes, offset, inflated_ptr);
  if (buffer.empty()) throw InputError(source + ": file is empty; expected a header row");
  // Lenient text may flip the quote parity the cuts rely on: read it whole, as one piece.
  while (!strict && more) more = read_more(fd, in, buffer, kBatchBytes, offset, inflated_ptr);
  // The header: the first record (grow the buffer until a record ends in it).
  const size_t bom = data::table_bom_bytes(buffer);
  std::vector<size_t> cuts;
  while (more && data::table_record_cuts(std::string_view(buffer).substr(bom), 1, cuts) == 0) {
    more = read_more(fd, in, buffer, kBatchBytes, offset, inflated_ptr);
  }
  std::vector<Column> columns;
  std::vector<std::string> names;
  size_t header_end = 0;
  uint64_t line_base = 0;
  {
    data::TableRecordReader reader(std::string_view(buffer).substr(bom), dialect);
    const data::TableStatus status = reader.next();
    if (status == data::TableStatus::kEnd) throw InputError(source + ": file is empty; expected a header row");
    if (status != data::TableStatus::kRecord) {
      throw InputError(data::table_error_message(source, reader.line(), bom + reader.error_offset(), nullptr,
                                                 reader.error_field(), reader.error_text(status)));
    }
    for (std::string_view name : reader.fields()) {
      names.emplace_back(name);
      columns.push_back({std::string(name), true, is_dob_column(name)});
    }
    header_end = bom + reader.position();
    line_base = reader.lines_consumed();
  }
  for (const std::string& wanted : options.columns) {
    const auto it = std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.name == wanted; });
    if (it == columns.end()) throw InputError(fmt::format("{}: no column '{}' in the header", source, wanted));
  }
  if (!options.columns.empty()) {
    for (Column& c : columns) {
      c.scan = std::find(options.columns.begin(), options.columns.end(), c.name) != options.columns.end();
    }
  }
  const bool scan_extra = options.columns.empty();

  std::unique_ptr<AtomicFileWriter> writer;
  if (out) {
    writer = std::make_unique<AtomicFileWriter>(*out);
    writer->write(std::string_view(buffer).substr(0, header_end));
  }
  ThreadPool pool(options.threads);
  const size_t threads = strict ? pool.size() : 1;
  // One scanner per piece: RE2 objects are thread-safe, but a private one keeps
  // the threads off each other's DFA cache locks.
  std::vector<PiiScanner> scanners;
  for (size_t t = 0; t < threads; ++t) scanners.emplace_back(options.entities);

  PiiReport report;
  for (PiiEntity e : options.entities) report.counts[e] = 0;
  std::vector<EntityCounts> by_column;
  std::string carry = buffer.substr(header_end);
  uint64_t byte_base = header_end;  // file offset of carry[0]
  buffer.clear();
  bool need_more = false;
  for (;;) {
    if (more && (carry.size() < kBatchBytes || need_more)) more = read_more(fd, in, carry, kBatchBytes, offset, inflated_ptr);
    need_more = false;
    if (carry.empty() && !more) break;
    // The batch ends after its last complete record and splits at record
    // boundaries (table_record_cuts); a bare-CR file has no cut: one piece.
    size_t end = data::table_record_cuts(carry, threads, cuts);
    if (!more) end = carry.size();
    if (end == 0) {  // one record longer than the batch so far: read on
      need_more = true;
      continue;
    }
    const std::string_view batch = std::string_view(carry).substr(0, end);
    std::vector<size_t> bounds = {0};
    for (size_t c : cuts) {
      if (c > bounds.back() && c < end) bounds.push_back(c);
    }
    bounds.push_back(end);
    const size_t pieces = bounds.size() - 1;
    std::vector<PieceResult> results(pieces);
    pool.parallel_for(pieces, [&](size_t begin, size_t stop) {
      for (size_t t = begin; t < stop; ++t) {
        scan_piece(batch.substr(bounds[t], bounds[t + 1] - bounds[t]), columns, scan_extra, scanners[t % threads],
                   options, writer != nullptr, results[t]);
      }
    });
    for (size_t t = 0; t < pieces; ++t) {
      PieceResult& r = results[t];
      if (r.ragged) {
        throw InputError(data::table_ragged_message(source, line_base + r.error_line, r.ragged_fields, names, 1));
      }
      if (r.error_status != data::TableStatus::kRecord) {
        throw InputError(data::table_error_message(source, line_base + r.error_line,
                                                   byte_base + bounds[t] + r.error_offset, &names, r.error_field,
                                                   r.error_text));
      }
      line_base += r.lines;
      if (writer) writer->write(r.out);
      for (LocalFinding& f : r.findings) {
        if (report.findings.size() >= options.max_findings) break;
        report.findings.push_back({report.rows + f.row,
                                   f.column < columns.size() ? columns[f.column].name : fmt::format("#{}", f.column + 1),
                                   f.entity, std::move(f.masked)});
      }
      report.rows += r.rows;
      report.cells_scanned += r.cells_scanned;
      report.cells_with_pii += r.cells_with_pii;
      if (by_column.size() < r.by_column.size()) by_column.resize(r.by_column.size(), EntityCounts{});
      for (size_t c = 0; c < r.by_column.size(); ++c) {
        for (size_t e = 0; e < kEntityCount; ++e) by_column[c][e] += r.by_column[c][e];
      }
    }
    carry.erase(0, end);
    byte_base += end;
    if (!more && carry.empty()) break;
  }
  // A file with text but no record after the header is refused, never reported
  // as a clean scan of 0 rows (a reader that missed every line end would say so).
  if (report.rows == 0) {
    throw InputError(fmt::format("{}: the file has a header but no data rows; expected at least one row", source));
  }
  for (size_t c = 0; c < by_column.size(); ++c) {
    for (size_t e = 0; e < kEntityCount; ++e) {
      if (by_column[c][e] == 0) continue;
      const PiiEntity entity = static_cast<PiiEntity>(e);
      const std::string name = c < columns.size() ? columns[c].name : fmt::format("#{}", c + 1);
      report.by_column[name][entity] += by_column[c][e];
      report.counts[entity] += by_column[c][e];
    }
  }
  if (writer) writer->commit();
  return report;
}

}  // namespace dpeval::govern
