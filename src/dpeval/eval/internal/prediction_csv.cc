// CSV prediction files: the header becomes a PredictionPlan (which column feeds which
// output, which columns are kept as keys), then the rows are parsed in chunks,
// each straight into its own range of the output columns.
//
// Note [Parallel CSV parse]
// A file of tens of millions of rows must parse in about a second, holding no
// more than the output columns. Without any '"' in the text a record is exactly
// one line, so the data after the header is cut into one chunk per thread at
// line boundaries. A first parallel pass counts each chunk's '\n's: that gives
// every chunk its true first line (for messages) and an upper bound on its rows
// (a well-formed row takes at least `width` bytes, so also bytes / width + 1),
// hence where its rows go in the output columns, which are allocated once at
// the total bound. The second parallel pass parses each chunk into its range;
// key columns go through a dictionary per chunk (codes local to the chunk).
// Then: problems are merged in chunk order (each chunk's log holds its first
// problem by line, so the first chunk with one has the file's first), the key
// dictionaries are merged into one sorted list and each chunk's codes remapped
// to it, and chunks are moved down over the rows that blank lines left unused
// (none in the usual file). Every value is parsed from its own cell and every
// row is checked on its own, so the result does not depend on the chunking.
// Both passes walk their chunk in blocks (release_block_bytes, 2 MiB; the
// second pass's blocks end at line ends), asking the tuning's populate hook to
// map each block in one call before reading it and handing it to the release
// hook when done: a mapped file drops those pages, so the reader's resident
// memory is the output columns plus a block or two per thread, not the file.
// Mapping a page costs more than parsing it, so a file of up to
// keep_mapped_bytes (128 MiB) is released by the second pass only: the
// second pass then reads pages the first one mapped, and the file's pages are
// resident for the length of the parse. The first pass also looks for '"'.
// A file with a '"' anywhere may have line breaks inside quoted fields, which a
// chunk cut cannot see: it goes through data/'s table reader (TableRecords,
// data/table_reader.h) in one chunk, with the same row code (tests compare the
// two paths bitwise). So does a file with a bare CR (a line end to the table
// reader, which the line path does not split at) or a cell over the table
// reader's bound: the line path stops and hands the file to the reader, which
// makes the same decision as every other command.
//
// Note [Plain rows]
// Nearly every line of a real prediction file is plain: numbers with no blanks
// around them, one per column. The line path first tries such a line in one
// walk (ChunkParser::add_plain_row): each number column is parsed where it
// starts (data::parse_number_prefix), which must stop exactly at the delimiter
// or the line's end; text columns (kept keys, skipped columns) run to the next delimiter.
// The first thing that is not plain (a blank, a '+', an empty or bad cell, a
// value the column does not take, a field too many or too few) gives the line
// to the general split and add_row, which trims, reports and counts as
// always. The fast path takes no row, logs nothing and codes no key before it
// has accepted the whole line, and what it accepts it reads as add_row would:
// a number that parse_number_prefix reads up to the delimiter is the same
// number that data::parse_number reads from the cell. Tests and the fuzz target compare
// the line path with the table reader's path bitwise.
#include "dpeval/eval/internal/prediction_csv.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <atomic>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/huge_pages.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/data/table_reader.h"
#include "dpeval/data/text.h"
#include "dpeval/eval/internal/prediction_cells.h"
#include "dpeval/eval/internal/prediction_plan.h"

namespace dpeval::eval::internal {
namespace {

using data::quote_excerpt;
using data::TableRecords;

constexpr char kBom[] = "\xEF\xBB\xBF";

// trim_blanks (spaces and tabs), inlined for the row loop.
inline std::string_view trim_cell(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

// ---------------------------------------------------------------------------
// Rows

// Equal texts; an inline loop, as key texts are short (a call to memcmp per
// row cost more than the compare).
inline bool same_text(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// FNV-1a, inline for the same reason.
inline uint32_t hash_text(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// A kept column's distinct texts within one chunk, coded in first-seen order:
// an open-addressing table (linear probing, load <= 1/2) of (hash, code).
class KeyDictionary {
 public:
  KeyDictionary() : slots_(16) {}

  // `stable`: the text outlives the parse (it points into the file text);
  // otherwise a new value is copied.
  uint32_t code(std::string_view text, bool stable) {
    if (last_code_ != kNoCode && same_text(text, values_[last_code_])) return last_code_;
    const uint32_t hash = hash_text(text);
    const size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    for (; slots_[i].code != kNoCode; i = (i + 1) & mask) {
      if (slots_[i].hash == hash && same_text(text, values_[slots_[i].code])) {
        last_code_ = slots_[i].code;
        return last_code_;
      }
    }
    DPEVAL_CHECK(values_.size() < kNoCode - 1) << "more than 2^32 - 2 distinct key values in a chunk";
    if (!stable) text = copies_.emplace_back(text);
    last_code_ = static_cast<uint32_t>(values_.size());
    values_.push_back(text);
    slots_[i] = {hash, last_code_};
    if (values_.size() * 2 > slots_.size()) grow();
    return last_code_;
  }
  const std::vector<std::string_view>& values() const { return values_; }

 private:
  static constexpr uint32_t kNoCode = std::numeric_limits<uint32_t>::max();
  struct Slot {
    uint32_t hash = 0;
    uint32_t code = kNoCode;
  };

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.code == kNoCode) continue;
      size_t i = s.hash & mask;
      while (slots_[i].code != kNoCode) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;  // size a power of 2
  std::vector<std::string_view> values_;
  std::deque<std::string> copies_;
  uint32_t last_code_ = kNoCode;
};

// Raw pointers to the output columns (sized for the bound on rows).
struct OutputColumns {
  double* labels = nullptr;
  double* values = nullptr;  // scores or predictions
  double* probs = nullptr;   // n x K
  double* logits = nullptr;  // n x K
  std::vector<uint32_t*> codes;
};

// Parses one chunk's rows into rows [first_row, first_row + rows()) of the output.
class ChunkParser {
 public:
  ChunkParser(const PredictionPlan& plan, const OutputColumns& out, std::string_view source, size_t first_row)
      : plan_(plan), out_(out), source_(source), first_row_(first_row), keys_(plan.keys.size()) {}

  // One record. `tokenizer` is the serial path's (for field lines and to know
  // which texts are stable), nullptr on the line path.
  void add_row(std::span<const std::string_view> fields, uint64_t line, const TableRecords* tokenizer) {
    const size_t width = plan_.width();
    if (fields.size() != width) {
      report_ragged(fields.size(), line);
      return;  // takes no row (see Note [Parallel CSV parse]: a row's bound assumes `width` bytes)
    }
    const size_t r = first_row_ + rows_++;
    const size_t num_classes = plan_.num_classes;
    bool row_ok = true;
    for (size_t j = 0; j < width; ++j) {
      const ColumnRole role = plan_.roles[j];
      const int32_t key = plan_.key_of[j];
      if (role.dest == ColumnDest::kSkip && key < 0) continue;
      const std::string_view cell = trim_cell(fields[j]);
      if (key >= 0) {
        out_.codes[key][r] = keys_[key].code(cell, tokenizer == nullptr || tokenizer->in_text(cell));
      }
      if (role.dest == ColumnDest::kSkip) continue;
      double v;
      if (!parse_cell_number(cell, &v) || !cell_ok(role.kind, v, num_classes)) {
        row_ok = false;
        report_cell(j, cell, tokenizer != nullptr ? tokenizer->field_line(j) : line);
        v = 0.0;
      }
      put(role, v, r);
    }
    if (plan_.has_probs && row_ok) check_sum(r, line);
  }

  // The fast path for one line of the line path, s..e without its line end
  // (Note [Plain rows]). Returns false, having taken no row, logged nothing and
  // coded no key, when the line needs add_row.
  bool add_plain_row(const char* s, const char* e, uint64_t line, char delimiter) {
    const size_t width = plan_.width();
    const size_t r = first_row_ + rows_;
    const char* p = s;
    for (size_t j = 0; j < width; ++j) {
      const ColumnRole role = plan_.roles[j];
      const int32_t key = plan_.key_of[j];
      const char* stop;
      if (key < 0 && role.dest != ColumnDest::kSkip) {
        double v;
        stop = data::parse_number_prefix(p, e, &v);
        if (stop == nullptr || (stop != e && *stop != delimiter) || !store(role, v, r)) return false;
      } else {
        stop = static_cast<const char*>(std::memchr(p, delimiter, static_cast<size_t>(e - p)));
        if (stop == nullptr) stop = e;
        if (key >= 0 || role.dest != ColumnDest::kSkip) {
          const std::string_view cell = trim_cell(std::string_view(p, static_cast<size_t>(stop - p)));
          if (key >= 0) key_cells_[static_cast<size_t>(key)] = cell;
          double v;
          if (role.dest != ColumnDest::kSkip && !(parse_cell_number(cell, &v) && store(role, v, r))) return false;
        }
      }
      if (j + 1 == width) {
        if (stop != e) return false;  // more fields than columns
      } else {
        if (stop == e) return false;  // fewer
        p = stop + 1;
      }
    }
    for (size_t m = 0; m < key_cells_.size(); ++m) out_.codes[m][r] = keys_[m].code(key_cells_[m], true);
    ++rows_;
    if (plan_.has_probs) check_sum(r, line);
    return true;
  }

  // A problem found outside the rows (the tokenizer's), after those so far.
  void add_problem(const std::string& message) {
    problems_.add([&] { return message; });
  }

  size_t first_row() const { return first_row_; }
  size_t rows() const { return rows_; }
  const ProblemLog& problems() const { return problems_; }
  const KeyDictionary& key(size_t m) const { return keys_[m]; }

 private:
  // v into row r of its column, when it is what the column takes.
  bool store(ColumnRole role, double v, size_t r) const {
    if (!cell_ok(role.kind, v, plan_.num_classes)) return false;
    put(role, v, r);
    return true;
  }

  // v into row r of its column.
  void put(ColumnRole role, double v, size_t r) const {
    const size_t num_classes = plan_.num_classes;
    switch (role.dest) {
      case ColumnDest::kLabel:
        out_.labels[r] = v;
        break;
      case ColumnDest::kValue:
        out_.values[r] = v;
        break;
      case ColumnDest::kProb:
        out_.probs[r * num_classes + role.k] = v;
        break;
      case ColumnDest::kLogit:
        out_.logits[r * num_classes + role.k] = v;
        break;
      case ColumnDest::kSkip:
        break;
    }
  }

  void report_cell(size_t j, std::string_view cell, uint64_t line) {
    problems_.add([&] {
      return fmt::format("{}:{}: column {}: {}, expected {}", source_, line, quote_excerpt(plan_.names[j]),
                         cell.empty() ? std::string("empty cell") : "got " + quote_excerpt(cell),
                         cell_expected(plan_.roles[j].kind, plan_.num_classes));
    });
  }

  void report_ragged(size_t got, uint64_t line) {
    problems_.add([&] {
      const size_t width = plan_.width();
      std::string which =
          got < width
              ? fmt::format("; column {} and those after it are missing", quote_excerpt(plan_.names[got]))
              : fmt::format("; field {} has no column (an unquoted ',' inside a value?)", width + 1);
      return fmt::format("{}:{}: got {} field{}, expected {} as in the header (line {}){}", source_, line,
                         got, got == 1 ? "" : "s", width, plan_.header_line, which);
    });
  }

  void check_sum(size_t r, uint64_t line) {
    const double* p = out_.probs + r * plan_.num_classes;
    double sum = 0.0;
    for (size_t k = 0; k < plan_.num_classes; ++k) sum += p[k];
    if (std::abs(sum - 1.0) <= kProbabilitySumTolerance) return;
    problems_.add([&] {
      return fmt::format("{}:{}: columns {}: the class probabilities sum to {:.6g}, expected 1 within {}",
                         source_, line, plan_.prob_columns, sum, kProbabilitySumTolerance);
    });
  }

  const PredictionPlan& plan_;
  const OutputColumns& out_;
  std::string_view source_;
  size_t first_row_;
  size_t rows_ = 0;
  ProblemLog problems_;
  std::vector<KeyDictionary> keys_;
  std::vector<std::string_view> key_cells_ = std::vector<std::string_view>(keys_.size());  // add_plain_row's
};

// The line path: rows of text[begin, end) (no '"' anywhere), whose first line is
// `first_line`. Splits exactly as the table reader (data/table_reader.h) does
// on unquoted text whose lines end in LF or CRLF. A bare CR (a line end to the
// table reader) or a cell over the bound sets *needs_serial and stops: the
// caller then reads the file with the table reader.
// Returns the number of the line after the last one.
// kCheckCr: the chunk holds a '\r' somewhere (the first pass says), so each
// line is checked for one that is not its CRLF's; files without any CR (the
// usual) skip the check.
template <bool kCheckCr>
uint64_t parse_lines(std::string_view text, size_t begin, size_t end, uint64_t first_line, ChunkParser& parser,
                     size_t width, char delimiter, bool* needs_serial) {
  const char* t = text.data();
  std::vector<std::string_view> fields;
  fields.reserve(width + 1);
  uint64_t line = first_line;
  size_t pos = begin;
  while (pos < end) {
    const auto* newline = static_cast<const char*>(std::memchr(t + pos, '\n', end - pos));
    const size_t stop = newline != nullptr ? static_cast<size_t>(newline - t) : end;
    const size_t next = newline != nullptr ? stop + 1 : end;
    // Blank: empty, or a lone '\r' (before '\n', or a bare CR at the end of the text). The table reader
    // skips both.
    if (!(stop == pos || (stop == pos + 1 && t[pos] == '\r'))) {
      const char* s = t + pos;
      const char* e = t + stop;
      if (e > s && e[-1] == '\r') --e;
      // A line that may hold a cell over the bound, or a bare CR: the reader decides.
      if (static_cast<size_t>(e - s) > data::kMaxTableCellBytes ||
          (kCheckCr && std::memchr(s, '\r', static_cast<size_t>(e - s)) != nullptr)) {
        *needs_serial = true;
        return line;
      }
      if (parser.add_plain_row(s, e, line, delimiter)) {
        ++line;
        pos = next;
        continue;
      }
      fields.clear();
      for (const char* p = s;; ++p) {
        if (p == e || *p == delimiter) {
          fields.emplace_back(s, static_cast<size_t>(p - s));
          if (p == e) break;
          s = p + 1;
        }
      }
      parser.add_row(fields, line, nullptr);
    }
    ++line;
    pos = next;
  }
  return line;
}

// What the first pass learns of a block of bytes.
struct BlockScan {
  size_t newlines = 0;
  bool quote = false;  // a '"' somewhere
  bool cr = false;     // a '\r' somewhere
};

// One read of [p, e), 16 bytes at a time with SSE2 (every x86-64 has it),
// where three library scans (two memchr, a count) read it three times. The
// '\n' matches are summed in byte lanes for up to 255 steps, then widened.
BlockScan scan_block(const char* p, const char* e) {
  BlockScan scan;
#if defined(__SSE2__)
  const __m128i newline = _mm_set1_epi8('\n'), quote = _mm_set1_epi8('"'), cr = _mm_set1_epi8('\r');
  __m128i quotes = _mm_setzero_si128(), crs = _mm_setzero_si128();
  while (e - p >= 16) {
    __m128i lanes = _mm_setzero_si128();  // per byte lane: '\n's so far, <= 255
    for (int step = 0; step < 255 && e - p >= 16; ++step, p += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(v, newline));  // a match is -1
      quotes = _mm_or_si128(quotes, _mm_cmpeq_epi8(v, quote));
      crs = _mm_or_si128(crs, _mm_cmpeq_epi8(v, cr));
    }
    const __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());  // two 64-bit sums
    scan.newlines += static_cast<size_t>(_mm_cvtsi128_si64(sums)) +
                     static_cast<size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
  scan.quote = _mm_movemask_epi8(quotes) != 0;
  scan.cr = _mm_movemask_epi8(crs) != 0;
#endif
  for (; p < e; ++p) {
    scan.newlines += *p == '\n' ? 1 : 0;
    scan.quote = scan.quote || *p == '"';
    scan.cr = scan.cr || *p == '\r';
  }
  return scan;
}

// ---------------------------------------------------------------------------
// Putting it together

class CsvReader {
 public:
  CsvReader(std::string_view text, std::string_view source, const ReadOptions& options,
            const CsvParseTuning& tuning)
      : text_(text), source_(source), options_(options), tuning_(tuning) {}

  Predictions read() {
    if (tuning_.force_serial) return read_serial();
    return read_lines();  // which turns to read_serial() when it meets a '"'
  }

 private:
  [[noreturn]] void throw_empty() const {
    throw InputError(
        fmt::format("{}: file is empty; expected a header row and one row per prediction", source_));
  }

  PredictionPlan make_plan(std::vector<std::string> names, uint64_t header_line) const {
    return make_prediction_plan(source_, options_, std::move(names), header_line);
  }

  // A bound on the well-formed rows in `bytes` bytes holding `newlines` '\n's.
  static size_t row_bound(size_t bytes, size_t newlines, size_t width) {
    return std::min(newlines + 1, bytes / width + 1);
  }

  Predictions read_lines() {
    const char* t = text_.data();
    const size_t n = text_.size();
    size_t pos = text_.starts_with(kBom) ? 3 : 0;
    uint64_t line = 1;
    while (pos < n && (t[pos] == '\n' || t[pos] == '\r')) {
      if (t[pos] == '\r' && !(pos + 1 < n && t[pos + 1] == '\n')) return read_serial();  // a bare CR
      pos += t[pos] == '\n' ? 1 : 2;
      ++line;
    }
    if (pos >= n) throw_empty();
    const auto* newline = static_cast<const char*>(std::memchr(t + pos, '\n', n - pos));
    const size_t header_end = newline != nullptr ? static_cast<size_t>(newline - t) : n;
    std::string_view header = text_.substr(pos, header_end - pos);
    if (header.find('"') != std::string_view::npos) return read_serial();
    if (header.ends_with('\r')) header.remove_suffix(1);
    if (header.find('\r') != std::string_view::npos || header.size() > data::kMaxTableCellBytes) {
      return read_serial();  // a bare CR ends a record; a long header may hold a cell over the bound
    }
    std::vector<std::string> names;
    for (size_t b = 0;;) {
      const size_t comma = header.find(delimiter_, b);
      names.emplace_back(data::table_trim(header.substr(b, comma == std::string_view::npos ? comma : comma - b)));
      if (comma == std::string_view::npos) break;
      b = comma + 1;
    }
    const PredictionPlan plan = make_plan(std::move(names), line);
    const size_t data_begin = newline != nullptr ? header_end + 1 : n;

    // Chunks at line boundaries.
    size_t threads =
        options_.threads != 0 ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    const size_t by_size = (n - data_begin) / std::max<size_t>(1, tuning_.min_chunk_bytes);
    const size_t chunks = std::clamp<size_t>(by_size, 1, threads);
    std::vector<size_t> cut(chunks + 1, n);
    cut[0] = data_begin;
    for (size_t c = 1; c < chunks; ++c) {
      const size_t p = std::max(cut[c - 1], data_begin + (n - data_begin) / chunks * c);
      const auto* q = p < n ? static_cast<const char*>(std::memchr(t + p, '\n', n - p)) : nullptr;
      cut[c] = q != nullptr ? static_cast<size_t>(q - t) + 1 : n;
    }
    ThreadPool pool(chunks);
    std::vector<size_t> newlines(chunks);
    const auto has_cr = std::make_unique<bool[]>(chunks);  // all false; a chunk with a '\r' checks its lines
    std::atomic<bool> quoted{false};
    for_each_chunk(pool, chunks, [&](size_t c) {
      for (size_t b = cut[c]; b < cut[c + 1] && !quoted.load(std::memory_order_relaxed);) {
        const size_t e = std::min(cut[c + 1], b + tuning_.release_block_bytes);
        populate(b, e);
        const BlockScan scan = scan_block(t + b, t + e);
        if (scan.quote) quoted.store(true, std::memory_order_relaxed);
        has_cr[c] = has_cr[c] || scan.cr;
        newlines[c] += scan.newlines;
        if (n > tuning_.keep_mapped_bytes) release(b, e);
        b = e;
      }
    });
    if (quoted.load()) return read_serial();
    std::vector<size_t> first_row(chunks + 1, 0);
    std::vector<uint64_t> first_line(chunks, line + 1);
    for (size_t c = 0; c < chunks; ++c) {
      first_row[c + 1] = first_row[c] + row_bound(cut[c + 1] - cut[c], newlines[c], plan.width());
      if (c + 1 < chunks) first_line[c + 1] = first_line[c] + newlines[c];
    }
    Predictions out = allocate(plan, first_row[chunks]);
    const OutputColumns columns = columns_of(out);
    std::vector<ChunkParser> parsers;
    parsers.reserve(chunks);
    // All false. At least one element: GCC 12 warns (-Warray-bounds) on the
    // memset of a zero-length array it cannot rule out.
    const auto needs_serial = std::make_unique<bool[]>(std::max<size_t>(chunks, 1));
    for (size_t c = 0; c < chunks; ++c) parsers.emplace_back(plan, columns, source_, first_row[c]);
    for_each_chunk(pool, chunks, [&](size_t c) {
      // Blocks of whole lines, each released once parsed.
      uint64_t block_line = first_line[c];
      for (size_t b = cut[c]; b < cut[c + 1];) {
        size_t e = std::min(cut[c + 1], b + tuning_.release_block_bytes);
        if (e < cut[c + 1]) {
          const auto* q = static_cast<const char*>(std::memchr(t + e, '\n', cut[c + 1] - e));
          e = q != nullptr ? static_cast<size_t>(q - t) + 1 : cut[c + 1];
        }
        populate(b, e);
        block_line = has_cr[c] ? parse_lines<true>(text_, b, e, block_line, parsers[c], plan.width(), delimiter_,
                                                   &needs_serial[c])
                               : parse_lines<false>(text_, b, e, block_line, parsers[c], plan.width(), delimiter_,
                                                    &needs_serial[c]);
        if (needs_serial[c]) break;
        release(b, e);
        b = e;
      }
    });
    for (size_t c = 0; c < chunks; ++c) {
      if (needs_serial[c]) return read_serial();
    }
    finish(plan, out, parsers, pool);
    return out;
  }

  Predictions read_serial() {
    data::TableDialect dialect;
    dialect.delimiter = delimiter_;
    TableRecords tokenizer(text_, source_, dialect);
    if (!tokenizer.next()) throw_empty();
    std::vector<std::string> names;
    for (std::string_view field : tokenizer.fields()) names.emplace_back(data::table_trim(field));
    const PredictionPlan plan = make_plan(std::move(names), tokenizer.line());
    tokenizer.set_column_names(&plan.names);
    // Line ends of every kind bound the records ('\r' counted too: bare-CR files).
    const size_t newlines = static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n')) +
                            static_cast<size_t>(std::count(text_.begin(), text_.end(), '\r'));
    Predictions out = allocate(plan, row_bound(text_.size(), newlines, plan.width()));
    const OutputColumns columns = columns_of(out);
    std::vector<ChunkParser> parsers;
    parsers.emplace_back(plan, columns, source_, 0);
    try {
      while (tokenizer.next()) parsers[0].add_row(tokenizer.fields(), tokenizer.line(), &tokenizer);
    } catch (const InputError& e) {  // a broken quote: it ends the parse, after the problems before it
      if (parsers[0].problems().count() == 0) throw;
      parsers[0].add_problem(e.what());
    }
    ThreadPool pool(1);
    finish(plan, out, parsers, pool);
    return out;
  }

  void release(size_t begin, size_t end) const {
    if (tuning_.release) tuning_.release(begin, end);
  }
  void populate(size_t begin, size_t end) const {
    if (tuning_.populate) tuning_.populate(begin, end);
  }

  template <typename Fn>
  static void for_each_chunk(ThreadPool& pool, size_t chunks, Fn&& fn) {
    pool.parallel_for(chunks, [&](size_t begin, size_t end) {
      for (size_t c = begin; c < end; ++c) fn(c);
    });
  }

  // The output columns at the bound on rows: Columns are huge-page buffers left
  // uninitialised (their allocator's doing; the parsing threads fault them in),
  // the key codes are advised here (Note [Huge pages for big columns]).
  Predictions allocate(const PredictionPlan& plan, size_t rows) const {
    Predictions out;
    out.task = plan.task;
    out.source = std::string(source_);
    out.labels.resize(rows);
    const size_t k = plan.num_classes;
    switch (plan.task) {
      case Task::binary:
        out.num_classes = 2;
        out.scores.resize(rows);
        break;
      case Task::regression:
        out.predictions.resize(rows);
        break;
      case Task::multiclass:
        out.num_classes = k;
        if (plan.has_probs) out.probs.resize(rows * k);
        if (plan.has_logits) out.logits.resize(rows * k);
        break;
    }
    for (const std::string& name : plan.keys) {
      out.keys.push_back({name, {}, {}});
      resize_on_huge_pages(out.keys.back().codes, rows);
    }
    return out;
  }

  static OutputColumns columns_of(Predictions& out) {
    OutputColumns c;
    c.labels = out.labels.data();
    c.values = out.task == Task::binary ? out.scores.data() : out.predictions.data();
    c.probs = out.probs.data();
    c.logits = out.logits.data();
    for (KeyColumn& key : out.keys) c.codes.push_back(key.codes.data());
    return c;
  }

  // Problems, then keys, then the rows moved together, then softmax.
  void finish(const PredictionPlan& plan, Predictions& out, const std::vector<ChunkParser>& parsers,
              ThreadPool& pool) const {
    ProblemLog problems;
    size_t rows = 0;
    for (const ChunkParser& p : parsers) {
      problems.append(p.problems());
      rows += p.rows();
    }
    problems.throw_if_any();
    if (rows == 0) {
      throw InputError(
          fmt::format("{}:{}: the file has a header but no data rows; expected one row per "
                      "prediction",
                      source_, plan.header_line));
    }
    const size_t chunks = parsers.size();
    // Merge the dictionaries: values sorted, each chunk's codes remapped.
    std::vector<std::vector<std::vector<uint32_t>>> remap(
        chunks, std::vector<std::vector<uint32_t>>(plan.keys.size()));
    for (size_t m = 0; m < plan.keys.size(); ++m) {
      std::vector<std::string_view> all;
      for (const ChunkParser& p : parsers)
        all.insert(all.end(), p.key(m).values().begin(), p.key(m).values().end());
      std::sort(all.begin(), all.end());
      all.erase(std::unique(all.begin(), all.end()), all.end());
      out.keys[m].values.assign(all.begin(), all.end());
      for (size_t c = 0; c < chunks; ++c) {
        for (std::string_view v : parsers[c].key(m).values()) {
          remap[c][m].push_back(
              static_cast<uint32_t>(std::lower_bound(all.begin(), all.end(), v) - all.begin()));
        }
      }
    }
    if (!plan.keys.empty()) {
      for_each_chunk(pool, chunks, [&](size_t c) {
        const size_t begin = parsers[c].first_row(), end = begin + parsers[c].rows();
        for (size_t m = 0; m < plan.keys.size(); ++m) {
          uint32_t* codes = out.keys[m].codes.data();
          const std::vector<uint32_t>& table = remap[c][m];
          for (size_t r = begin; r < end; ++r) codes[r] = table[codes[r]];
        }
      });
    }
    // Close the gaps between chunks (rows the bound allowed for but that were blank).
    const size_t k = plan.num_classes;
    size_t dst = 0;
    for (const ChunkParser& p : parsers) {
      if (p.first_row() != dst) {
        move_rows(out.labels, p.first_row(), dst, p.rows(), 1);
        move_rows(out.scores, p.first_row(), dst, p.rows(), 1);
        move_rows(out.predictions, p.first_row(), dst, p.rows(), 1);
        move_rows(out.probs, p.first_row(), dst, p.rows(), k);
        move_rows(out.logits, p.first_row(), dst, p.rows(), k);
        for (KeyColumn& key : out.keys) move_rows(key.codes, p.first_row(), dst, p.rows(), 1);
      }
      dst += p.rows();
    }
    out.n = rows;
    shrink(out.labels, rows);
    shrink(out.scores, rows);
    shrink(out.predictions, rows);
    shrink(out.probs, rows * k);
    shrink(out.logits, rows * k);
    for (KeyColumn& key : out.keys) shrink(key.codes, rows);
    if (plan.task == Task::multiclass && !plan.has_probs) {
      out.probs.resize(rows * k);
      pool.parallel_for(rows, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) softmax(&out.logits[i * k], k, &out.probs[i * k]);
      });
    }
  }

  template <typename Vector>
  static void move_rows(Vector& v, size_t from, size_t to, size_t rows, size_t stride) {
    if (v.empty() || rows == 0) return;
    std::copy(v.begin() + static_cast<ptrdiff_t>(from * stride),
              v.begin() + static_cast<ptrdiff_t>((from + rows) * stride),
              v.begin() + static_cast<ptrdiff_t>(to * stride));
  }

  // Drops the rows past `size`, giving the memory back when they were many.
  template <typename Vector>
  static void shrink(Vector& v, size_t size) {
    if (v.empty()) return;
    const bool slack = v.size() - size > v.size() / 8;
    v.resize(size);
    if (slack) v.shrink_to_fit();
  }

  static void softmax(const double* logits, size_t k, double* probs) {
    const double top = *std::max_element(logits, logits + k);
    double sum = 0.0;
    for (size_t i = 0; i < k; ++i) sum += probs[i] = std::exp(logits[i] - top);
    for (size_t i = 0; i < k; ++i) probs[i] /= sum;
  }

  std::string_view text_;
  std::string_view source_;
  const ReadOptions& options_;
  const CsvParseTuning& tuning_;
  char delimiter_ = options_.delimiter;
};

}  // namespace

Predictions parse_csv_predictions(std::string_view text, std::string_view source, const ReadOptions& options,
                                  const CsvParseTuning& tuning) {
  return CsvReader(text, source, options, tuning).read();
}

}  // namespace dpeval::eval::internal
