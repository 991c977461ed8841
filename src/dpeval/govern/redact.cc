// Streaming CSV PII scan and redaction. The file is read in batches of
// kBatchBytes; each batch is cut after its last complete record (quote-aware)
// and into one piece per thread at record boundaries; every piece is scanned
// by its own PiiScanner and its output, counts and findings are merged in
// order. See Note [Record boundaries].
#include "dpeval/govern/redact.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/thread_pool.h"

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

// Note [Record boundaries]
// A record ends at a '\n' outside quotes. A batch always starts at a record
// start, so the quote parity at a byte is the parity of the number of '"'
// before it in the batch (RFC 4180's "" escape adds two). The quote positions
// are collected once per batch (few in typical text columns), and a newline's
// parity is a binary search.
class QuoteIndex {
 public:
  explicit QuoteIndex(std::string_view text) {
    for (const char* p = text.data(); (p = static_cast<const char*>(
                                           std::memchr(p, '"', text.size() - static_cast<size_t>(p - text.data()))));
         ++p) {
      quotes_.push_back(static_cast<size_t>(p - text.data()));
    }
  }
  bool quoted_at(size_t pos) const {
    return (std::lower_bound(quotes_.begin(), quotes_.end(), pos) - quotes_.begin()) % 2 == 1;
  }

 private:
  std::vector<size_t> quotes_;
};

// The end (one past its '\n') of the first record ending at or after `from`, or npos.
size_t record_end_after(std::string_view text, const QuoteIndex& quotes, size_t from) {
  for (size_t nl = text.find('\n', from); nl != std::string_view::npos; nl = text.find('\n', nl + 1)) {
    if (!quotes.quoted_at(nl)) return nl + 1;
  }
  return std::string_view::npos;
}

// The end of the last complete record in text, 0 when there is none.
size_t last_record_end(std::string_view text, const QuoteIndex& quotes) {
  for (size_t nl = text.rfind('\n'); nl != std::string_view::npos; nl = nl == 0 ? std::string_view::npos : text.rfind('\n', nl - 1)) {
    if (!quotes.quoted_at(nl)) return nl + 1;
  }
  return 0;
}

// The first delimiter or '\n' at or after pos (text.size() if none), eight
// bytes at a time: a byte equal to one of them makes a zero byte in x ^ pattern,
// found with the classic has-zero-byte test (SWAR).
size_t find_field_end(std::string_view text, size_t pos, char delimiter) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  const uint64_t delims = kOnes * static_cast<unsigned char>(delimiter), newlines = kOnes * '\n';
  while (pos + 8 <= text.size()) {
    uint64_t word;
    std::memcpy(&word, text.data() + pos, 8);
    const uint64_t a = word ^ delims, b = word ^ newlines;
    const uint64_t hits = ((a - kOnes) & ~a & kHighs) | ((b - kOnes) & ~b & kHighs);
    if (hits != 0) return pos + static_cast<size_t>(__builtin_ctzll(hits) / 8);
    pos += 8;
  }
  while (pos < text.size() && text[pos] != delimiter && text[pos] != '\n') ++pos;
  return pos;
}

// One field of a record: raw bytes [raw_begin, raw_end) and its value.
struct Field {
  size_t raw_begin = 0, raw_end = 0;
  std::string_view value;
};

// Walks the record starting at `pos`, calling on_field(index, field) for each
// field; returns the position after the record (after its '\n', or text.size()).
template <typename OnField>
size_t walk_record(std::string_view text, size_t pos, char delimiter, std::string& scratch, OnField&& on_field) {
  size_t index = 0;
  for (;;) {
    Field f;
    f.raw_begin = pos;
    size_t stop;  // position of the delimiter or '\n' ending the field, or text.size()
    if (pos < text.size() && text[pos] == '"') {
      scratch.clear();
      size_t i = pos + 1;
      for (;;) {
        const size_t q = text.find('"', i);
        if (q == std::string_view::npos) {  // unterminated: the rest is the value
          scratch.append(text.substr(i));
          i = text.size();
          break;
        }
        scratch.append(text.substr(i, q - i));
        if (q + 1 < text.size() && text[q + 1] == '"') {
          scratch.push_back('"');
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      stop = i;
      while (stop < text.size() && text[stop] != delimiter && text[stop] != '\n') ++stop;
      if (stop > i) scratch.append(text.substr(i, stop - i));  // lenient: bytes after the closing quote
      f.raw_end = stop;
      if (stop < text.size() && text[stop] == '\n' && f.raw_end > i && text[f.raw_end - 1] == '\r') {
        --f.raw_end;
        scratch.pop_back();
      }
      f.value = scratch;
    } else {
      stop = find_field_end(text, pos, delimiter);
      f.raw_end = stop;
      if (stop < text.size() && text[stop] == '\n' && f.raw_end > pos && text[f.raw_end - 1] == '\r') --f.raw_end;
      f.value = text.substr(pos, f.raw_end - pos);
    }
    on_field(index++, f);
    if (stop >= text.size()) return text.size();
    if (text[stop] == '\n') return stop + 1;
    pos = stop + 1;
  }
}

bool is_blank_line(std::string_view text, size_t pos) {
  return pos < text.size() && (text[pos] == '\n' || (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n'));
}

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

// What one piece produced.
struct PieceResult {
  std::string out;
  uint64_t rows = 0, cells_scanned = 0, cells_with_pii = 0;
  std::vector<EntityCounts> by_column;
  std::vector<LocalFinding> findings;
};

void scan_piece(std::string_view text, const std::vector<Column>& columns, bool scan_extra, const PiiScanner& scanner,
                const RedactOptions& options, bool write, PieceResult& r) {
  std::string scratch, masked;
  std::vector<PiiMatch> matches;
  size_t copied = 0;
  if (write) r.out.reserve(text.size() + text.size() / 16);
  for (size_t pos = 0; pos < text.size();) {
    if (is_blank_line(text, pos)) {
      pos = text.find('\n', pos) + 1;
      continue;
    }
    ++r.rows;
    pos = walk_record(text, pos, options.delimiter, scratch, [&](size_t index, const Field& f) {
      const bool known = index < columns.size();
      if (known ? !columns[index].scan : !scan_extra) return;
      ++r.cells_scanned;
      matches.clear();
      scanner.scan(f.value, known && columns[index].dob, matches);
      if (matches.empty()) return;
      ++r.cells_with_pii;
      if (r.by_column.size() <= index) r.by_column.resize(index + 1, EntityCounts{});
      masked.clear();
      size_t at = 0;
      for (const PiiMatch& m : matches) {
        const std::string mask = mask_pii(f.value.substr(m.begin, m.end - m.begin), m.entity);
        ++r.by_column[index][static_cast<size_t>(m.entity)];
        if (r.findings.size() < options.max_findings) r.findings.push_back({r.rows, index, m.entity, mask});
        masked.append(f.value.substr(at, m.begin - at));
        masked.append(mask);
        at = m.end;
      }
      masked.append(f.value.substr(at));
      if (write) {
        r.out.append(text.substr(copied, f.raw_begin - copied));
        append_field(r.out, masked, options.delimiter);
        copied = f.raw_end;
      }
    });
  }
  if (write) r.out.append(text.substr(copied));
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// Appends up to `want` bytes from fd to buffer; returns false at end of file.
// `offset` counts the bytes read so far (for messages).
bool read_more(int fd, const fs::path& path, std::string& buffer, size_t want, uint64_t& offset) {
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
  if (options.delimiter == '"' || options.delimiter == '\n' || options.delimiter == '\r') {
    throw ConfigError(fmt::format("delimiter {:?}: expected any byte except '\"', '\\n' and '\\r'",
                                  std::string(1, options.delimiter)));
  }
  const int fd = ::open(in.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("{}: cannot open: {}", in.string(), std::strerror(errno)));
  FdCloser closer{fd};
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  std::string buffer;
  uint64_t offset = 0;
  bool more = read_more(fd, in, buffer, kBatchBytes, offset);
  if (buffer.empty()) throw InputError(in.string() + ": empty file, expected a CSV header");
  // The header: the first record (grow the buffer until it is complete).
  std::string scratch;
  size_t header_end;
  for (;;) {
    const QuoteIndex quotes(buffer);
    header_end = record_end_after(buffer, quotes, 0);
    if (header_end != std::string::npos || !more) break;
    more = read_more(fd, in, buffer, kBatchBytes, offset);
  }
  if (header_end == std::string::npos) header_end = buffer.size();
  std::vector<Column> columns;
  walk_record(std::string_view(buffer).substr(0, header_end), 0, options.delimiter, scratch,
              [&](size_t, const Field& f) {
                std::string name(f.value);
                if (columns.empty() && name.starts_with("\xEF\xBB\xBF")) name.erase(0, 3);
                columns.push_back({name, true, is_dob_column(name)});
              });
  for (const std::string& wanted : options.columns) {
    const auto it = std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.name == wanted; });
    if (it == columns.end()) throw InputError(fmt::format("{}: no column '{}' in the header", in.string(), wanted));
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
  const size_t threads = pool.size();
  // One scanner per piece: RE2 objects are thread-safe, but a private one keeps
  // the threads off each other's DFA cache locks.
  std::vector<PiiScanner> scanners;
  for (size_t t = 0; t < threads; ++t) scanners.emplace_back(options.entities);

  PiiReport report;
  for (PiiEntity e : options.entities) report.counts[e] = 0;
  std::vector<EntityCounts> by_column;
  std::string carry = buffer.substr(header_end);
  buffer.clear();
  bool need_more = false;
  for (;;) {
    if (more && (carry.size() < kBatchBytes || need_more)) more = read_more(fd, in, carry, kBatchBytes, offset);
    need_more = false;
    if (carry.empty() && !more) break;
    const QuoteIndex quotes(carry);
    const size_t end = more ? last_record_end(carry, quotes) : carry.size();
    if (end == 0) {  // one record longer than the batch so far: read on
      need_more = true;
      continue;
    }
    const std::string_view batch = std::string_view(carry).substr(0, end);
    std::vector<size_t> cuts = {0};
    for (size_t t = 1; t < threads; ++t) {
      const size_t target = std::max(cuts.back(), batch.size() * t / threads);
      const size_t cut = target == 0 ? 0 : record_end_after(batch, quotes, target - 1);
      cuts.push_back(cut == std::string_view::npos ? batch.size() : cut);
    }
    cuts.push_back(batch.size());
    std::vector<PieceResult> results(threads);
    pool.parallel_for(threads, [&](size_t begin, size_t stop) {
      for (size_t t = begin; t < stop; ++t) {
        scan_piece(batch.substr(cuts[t], cuts[t + 1] - cuts[t]), columns, scan_extra, scanners[t], options,
                   writer != nullptr, results[t]);
      }
    });
    for (PieceResult& r : results) {
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
    if (!more && carry.empty()) break;
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
