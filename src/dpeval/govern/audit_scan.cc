// The audit's single pass over a table; see audit_scan.h and Note [Audit memory].
#include "dpeval/govern/audit_scan.h"

// The hashes of short cells and rows are the scan's hot path: inline XXH3
// (the same functions and output as the library's, without a call per cell).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "dpeval/core/error.h"
#include "dpeval/core/mapped_file.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/data/number.h"
#include "dpeval/data/table.h"
#include "dpeval/data/table_reader.h"
#include "dpeval/data/text.h"
#include "dpeval/govern/image_hash.h"

namespace dpeval::govern {
namespace {

using data::quote_excerpt;

uint64_t mix64(uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

bool in_sample(uint64_t key, double rate) {
  if (rate >= 1) return true;
  return static_cast<double>(mix64(key) >> 11) < rate * 9007199254740992.0;
}

uint64_t number_key(double v) {
  if (v == 0) v = 0;  // -0 is 0
  return mix64(std::bit_cast<uint64_t>(v)) | 1;
}

// Local dictionary of label/group texts in first-seen order.
struct Dict {
  std::unordered_map<std::string, uint32_t> codes;
  std::vector<std::string> values;
  uint32_t code(std::string_view text) {
    // Labels and groups mostly have a few values: comparing with the first
    // kLinear is cheaper than hashing (codes holds them too).
    constexpr size_t kLinear = 8;
    for (size_t i = 0; i < values.size() && i < kLinear; ++i) {
      const std::string& v = values[i];
      // Length and first byte first: most misses end there, without a memcmp call.
      if (v.size() == text.size() && (text.empty() || v[0] == text[0]) && v == text) {
        return static_cast<uint32_t>(i);
      }
    }
    auto it = values.size() <= kLinear ? codes.end() : codes.find(std::string(text));
    if (it != codes.end()) return it->second;
    const uint32_t c = static_cast<uint32_t>(values.size());
    values.emplace_back(text);
    codes.emplace(std::string(text), c);
    return c;
  }
};

void track_value(ColumnStats& c, uint64_t key, std::string_view text, bool numeric, uint64_t count = 1) {
  if (!c.values.add(key, text, numeric, count)) c.untracked += count;
}

void update_first(uint64_t& first, uint64_t row) { first = std::min(first, row); }
// The same for rows that only increase (one piece's): only the first one is stored.
void set_first(uint64_t& first, uint64_t row) {
  if (first == UINT64_MAX) first = row;
}

// Adds b's cell counts and range to a (merging the statistics of two parts of
// a column; the first-row fields are the caller's, as their offsets differ).
void add_counts(ColumnStats& a, const ColumnStats& b) {
  a.missing += b.missing;
  a.nan += b.nan;
  a.inf += b.inf;
  a.numeric += b.numeric;
  a.integer += b.integer;
  a.text += b.text;
  a.min = std::min(a.min, b.min);
  a.max = std::max(a.max, b.max);
}

// v == std::floor(v) for finite v, without the call to floor that a build for
// plain x86-64 makes (no SSE4.1 round instruction): every double of magnitude
// 2^52 or more is an integer, and below that the conversion to int64 is exact.
bool is_integral(double v) {
  return std::fabs(v) >= 0x1p52 || static_cast<double>(static_cast<int64_t>(v)) == v;
}

// A numeric cell's share of a column's statistics (CSV cells and array values alike).
void add_number(ColumnStats& st, double v) {
  ++st.numeric;
  if (std::isinf(v)) {
    ++st.inf;
  } else if (is_integral(v)) {
    ++st.integer;
  }
  st.min = std::min(st.min, v);
  st.max = std::max(st.max, v);
}

// Everything one piece of a CSV block produces, rows numbered from 0 in the piece.
struct Piece {
  TableScan scan;
  Dict labels, groups;
  uint64_t lines = 0;
  // First problem: line within the piece (1-based) and message without the prefix.
  uint64_t error_line = 0;
  std::string error;
};

// Note [Column plan]
// What the per-cell loop does besides the statistics and the row hash (a
// label or group code, an ID hash, a schema rule, the PII scanner) depends
// only on the column, so it is decided once per table, before any row: the
// loop reads one small record per column instead of testing column indices
// and options for every cell.
enum class PiiCells : uint8_t { kNone, kText, kAll };  // which cells of a column the PII scanner sees

struct ColumnPlan {
  bool label = false, group = false;
  int id_slot = -1;                    // index into id_hashes; -1: not an ID-like column
  const SchemaColumn* rule = nullptr;  // --schema rule for the column, if any
  PiiCells pii = PiiCells::kNone;
  bool pii_dob = false;  // dates of birth count in this column
};

struct CsvContext {
  std::string source;
  std::vector<std::string> header;
  const ScanOptions* options = nullptr;
  std::vector<ColumnPlan> plan;  // per column; see Note [Column plan]
  std::vector<int> id_columns;
  double sample_rate = 1;
  size_t sample_columns = 0;
};

// Note [Plain decimals]
// Most numeric cells are plain decimals: an optional '-', digits, and an
// optional '.' with more digits. When there are at most 19 digits, the digits
// as an integer m are at most 2^53 and there are at most 22 after the point, m
// and 10^frac are both exact doubles and one IEEE division gives the correctly
// rounded value (Clinger's fast path), the same double fast_float returns
// (-0 included). Anything else goes to fast_float.
bool parse_plain_decimal(std::string_view s, double* out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const size_t n = s.size();
  const bool negative = s[0] == '-';
  size_t i = negative ? 1 : 0;
  uint64_t m = 0;
  auto digits = [&] {
    const size_t begin = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; ++i) m = m * 10 + static_cast<uint64_t>(s[i] - '0');
    return i - begin;
  };
  const size_t whole = digits();
  if (whole == 0) return false;
  size_t frac = 0;
  if (i < n && s[i] == '.') {
    ++i;
    frac = digits();
    if (frac == 0) return false;
  }
  if (i != n || whole + frac > 19 || m > (uint64_t{1} << 53) || frac > 22) return false;
  const double v = static_cast<double>(m) / kPow10[frac];
  *out = negative ? -v : v;
  return true;
}

// classify_cell, inlined into the scan's per-cell loop (a call per cell showed
// in profiles); the public classify_cell is this.
[[gnu::always_inline]] inline CellKind classify_cell_inline(std::string_view cell, double* number) {
  if (data::is_missing_spelling(cell)) return CellKind::kMissing;
  const char first = cell[0];
  // See Note [Plain decimals].
  if (((first >= '0' && first <= '9') || first == '-') && parse_plain_decimal(cell, number)) {
    return CellKind::kNumber;
  }
  if ((first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.' || first == 'i' ||
      first == 'I' || first == 'n' || first == 'N') {
    if (data::parse_number(cell, number)) {
      return std::isnan(*number) ? CellKind::kMissing : CellKind::kNumber;
    }
  }
  return CellKind::kText;
}

bool is_bool_text(std::string_view s) {
  static constexpr std::string_view kBools[] = {"true", "false", "True", "False", "TRUE", "FALSE", "0", "1",
                                                "yes", "no", "Yes", "No"};
  return std::find(std::begin(kBools), std::end(kBools), s) != std::end(kBools);
}

void check_schema(const SchemaColumn& rule, SchemaFindings& f, uint64_t row, const std::string& column,
                  std::string_view cell, CellKind kind, double v) {
  if (kind == CellKind::kMissing) {
    if (!rule.nullable) f.null_not_allowed.add({row, column, "missing"});
    return;
  }
  bool type_ok = true;
  switch (rule.type) {
    case SchemaType::kInteger:
      type_ok = kind == CellKind::kNumber && std::isfinite(v) && is_integral(v);
      break;
    case SchemaType::kNumber: type_ok = kind == CellKind::kNumber; break;
    case SchemaType::kBool: type_ok = is_bool_text(cell); break;
    default: break;
  }
  if (!type_ok) f.wrong_type.add({row, column, quote_excerpt(cell)});
  if (kind == CellKind::kNumber && ((rule.min && v < *rule.min) || (rule.max && v > *rule.max))) {
    f.out_of_range.add({row, column, quote_excerpt(cell)});
  }
  if (!rule.allowed.empty()) {
    bool ok = std::find(rule.allowed.begin(), rule.allowed.end(), cell) != rule.allowed.end();
    if (!ok && kind == CellKind::kNumber) {
      ok = std::find(rule.allowed_numbers.begin(), rule.allowed_numbers.end(), v) != rule.allowed_numbers.end();
    }
    if (!ok) f.not_allowed.add({row, column, quote_excerpt(cell)});
  }
}

// Note [PII memo]
// A PII scan depends only on the cell's text and its column (the date-of-birth
// flag), and text columns often repeat their values (categories, short
// phrases). Each piece keeps, per scanned column, a direct-mapped table of the
// text keys (XXH3-64 of the trimmed cell, never 0) whose scan found nothing; a
// text cell whose key is there skips the scanner. A cell with PII is scanned
// every time, as each of its rows is reported. The table only saves work: the
// findings are those of scanning every cell, barring a 64-bit hash collision
// between two texts of one column, a risk the value counts take already. Number
// cells (scanned only in --text-cols columns) are not memoized: their key is
// the value, which "1e3" and "1000" share.
constexpr int kPiiMemoBits = 12;
constexpr size_t kPiiMemoSlots = size_t{1} << kPiiMemoBits;

void scan_piece(const CsvContext& ctx, std::string_view text, uint64_t byte_base, Piece& piece) {
  const size_t columns = ctx.header.size();
  const ScanOptions& opt = *ctx.options;
  TableScan& scan = piece.scan;
  scan.columns.resize(columns);
  scan.id_hashes.resize(ctx.id_columns.size());
  data::TableDialect dialect;
  dialect.delimiter = opt.delimiter;
  data::TableRecordReader reader(text, dialect);
  std::string buf;
  std::vector<std::pair<std::string, std::string>> pii_out;
  std::vector<std::vector<uint64_t>> pii_clean(columns);  // per column, kPiiMemoSlots once used
  std::vector<double> sample_numbers(columns);
  std::vector<uint64_t> sample_cells(columns);
  const bool labelled = scan.label_column >= 0;
  uint64_t row = 0;
  while (true) {
    const data::TableStatus status = reader.next();
    if (status == data::TableStatus::kEnd) break;
    if (status != data::TableStatus::kRecord) {
      piece.error_line = reader.line();
      const size_t f = reader.error_field();
      const std::string where = f < columns ? fmt::format("column '{}': ", ctx.header[f]) : std::string();
      piece.error = where + reader.error_text(status) +
                    fmt::format(" (byte {})", byte_base + reader.error_offset());
      return;
    }
    const auto& fields = reader.fields();
    if (fields.size() != columns) {
      piece.error_line = reader.line();
      piece.error = fmt::format("record has {} fields, expected {} (the header's)", fields.size(), columns);
      return;
    }
    const bool sampled = in_sample(byte_base + reader.record_offset(), ctx.sample_rate);
    // The row's normalized cells (Note [Row hash]) go to `buf` through a cursor:
    // each cell takes at most 5 bytes more than its text (which lies within the
    // record, or within it unescaped) or 9 bytes, so this size is never passed.
    const size_t buf_need = 9 * columns + (reader.position() - reader.record_offset());
    if (buf.size() < buf_need) buf.resize(std::max(buf_need, 2 * buf.size()));  // only grows
    char* out = buf.data();
    auto put = [&](const void* bytes, size_t n) {
      std::memcpy(out, bytes, n);
      out += n;
    };
    for (size_t c = 0; c < columns; ++c) {
      const std::string_view cell = fields[c];
      ColumnStats& st = scan.columns[c];
      const ColumnPlan& plan = ctx.plan[c];
      double v = 0;
      const CellKind kind = classify_cell_inline(cell, &v);
      uint64_t key = 0;
      if (kind == CellKind::kMissing) {
        ++st.missing;
        if (cell.size() == 3 && (cell[0] == 'N' || cell[0] == 'n')) ++st.nan;
        set_first(st.first_missing_row, row);
        *out++ = 0;
      } else if (kind == CellKind::kNumber) {
        add_number(st, v);
        set_first(st.first_number_row, row);
        key = number_key(v);
        *out++ = 1;
        const double z = v == 0 ? 0.0 : v;
        put(&z, sizeof z);
        track_value(st, key, cell, true);
      } else {
        ++st.text;
        set_first(st.first_text_row, row);
        key = XXH3_64bits(cell.data(), cell.size()) | 1;
        *out++ = 2;
        const uint32_t n = static_cast<uint32_t>(cell.size());
        put(&n, sizeof n);
        put(cell.data(), cell.size());
        track_value(st, key, cell, false);
      }
      if (plan.label) {
        out -= kind == CellKind::kMissing ? 1 : kind == CellKind::kNumber ? 9 : 5 + cell.size();
        scan.labels.push_back(piece.labels.code(cell));
      }
      if (plan.group) scan.groups.push_back(piece.groups.code(cell));
      if (plan.id_slot >= 0) scan.id_hashes[plan.id_slot].push_back(key);
      if (plan.rule) check_schema(*plan.rule, scan.schema, row, st.name, cell, kind, v);
      if (plan.pii == PiiCells::kAll || (plan.pii == PiiCells::kText && kind == CellKind::kText)) {
        // See Note [PII memo].
        uint64_t* clean = nullptr;
        if (kind == CellKind::kText) {
          std::vector<uint64_t>& memo = pii_clean[c];
          if (memo.empty()) memo.assign(kPiiMemoSlots, 0);
          clean = &memo[key >> (64 - kPiiMemoBits)];
        }
        if (clean == nullptr || *clean != key) {
          pii_out.clear();
          opt.pii->scan(plan.pii_dob, cell, pii_out);
          if (pii_out.empty() && clean != nullptr) *clean = key;
          for (auto& [entity, masked] : pii_out) scan.pii.by_entity[entity].add({row, st.name, std::move(masked)});
        }
      }
      if (sampled) {
        sample_numbers[c] = kind == CellKind::kNumber ? v : std::nan("");
        sample_cells[c] = key;
      }
    }
    const XXH128_hash_t h = XXH3_128bits(buf.data(), static_cast<size_t>(out - buf.data()));
    scan.feature_hashes.push_back({h.low64, h.high64});
    if (sampled) {
      scan.sample.rows.push_back(row);
      scan.sample.numbers.insert(scan.sample.numbers.end(), sample_numbers.begin(), sample_numbers.end());
      scan.sample.cells.insert(scan.sample.cells.end(), sample_cells.begin(), sample_cells.end());
      if (labelled) scan.sample.labels.push_back(scan.labels.back());
    }
    ++row;
  }
  scan.rows = row;
  piece.lines = reader.lines_consumed();
}

void shift_examples(ExampleList& list, uint64_t base) {
  for (Example& e : list.examples) e.row += base;
}

// Appends `piece` (rows numbered from 0) after the rows already in `into`.
void append_piece(TableScan& into, Piece& piece, Dict& labels, Dict& groups) {
  TableScan& p = piece.scan;
  const uint64_t base = into.rows;
  for (size_t c = 0; c < into.columns.size(); ++c) {
    ColumnStats& a = into.columns[c];
    const ColumnStats& b = p.columns[c];
    add_counts(a, b);
    if (b.first_missing_row != UINT64_MAX) update_first(a.first_missing_row, b.first_missing_row + base);
    if (b.first_text_row != UINT64_MAX) update_first(a.first_text_row, b.first_text_row + base);
    if (b.first_number_row != UINT64_MAX) update_first(a.first_number_row, b.first_number_row + base);
    for (size_t i = 0; i < b.values.size(); ++i) {
      const ValueCounts::Item v = b.values.at(i);
      track_value(a, v.key, v.text, v.numeric, v.count);
    }
    a.untracked += b.untracked;
  }
  std::vector<uint32_t> label_map(piece.labels.values.size()), group_map(piece.groups.values.size());
  for (size_t i = 0; i < label_map.size(); ++i) label_map[i] = labels.code(piece.labels.values[i]);
  for (size_t i = 0; i < group_map.size(); ++i) group_map[i] = groups.code(piece.groups.values[i]);
  for (uint32_t l : p.labels) into.labels.push_back(label_map[l]);
  for (uint32_t g : p.groups) into.groups.push_back(group_map[g]);
  into.feature_hashes.insert(into.feature_hashes.end(), p.feature_hashes.begin(), p.feature_hashes.end());
  for (size_t i = 0; i < into.id_hashes.size(); ++i) {
    into.id_hashes[i].insert(into.id_hashes[i].end(), p.id_hashes[i].begin(), p.id_hashes[i].end());
  }
  for (uint64_t r : p.sample.rows) into.sample.rows.push_back(r + base);
  into.sample.numbers.insert(into.sample.numbers.end(), p.sample.numbers.begin(), p.sample.numbers.end());
  into.sample.cells.insert(into.sample.cells.end(), p.sample.cells.begin(), p.sample.cells.end());
  for (uint32_t l : p.sample.labels) into.sample.labels.push_back(label_map[l]);
  for (ExampleList* list : {&p.schema.out_of_range, &p.schema.not_allowed, &p.schema.null_not_allowed,
                            &p.schema.wrong_type}) {
    shift_examples(*list, base);
  }
  into.schema.merge(p.schema);
  for (auto& [entity, list] : p.pii.by_entity) {
    shift_examples(list, base);
    into.pii.by_entity[entity].merge(list);
  }
  into.rows += p.rows;
}

// Label (and group) codes in a stable order: numerically when every value is
// an integer, else bytewise. Rewrites the per-row codes.
void sort_dict(Dict& dict, std::vector<uint32_t>& codes, std::vector<uint32_t>* more, std::vector<std::string>& out) {
  std::vector<uint32_t> order(dict.values.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  bool numeric = true;
  std::vector<double> nums(dict.values.size());
  for (size_t i = 0; i < nums.size(); ++i) numeric = numeric && data::parse_number(dict.values[i], &nums[i]);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (numeric && nums[a] != nums[b]) return nums[a] < nums[b];
    return dict.values[a] < dict.values[b];
  });
  std::vector<uint32_t> remap(order.size());
  out.clear();
  for (uint32_t i = 0; i < order.size(); ++i) {
    remap[order[i]] = i;
    out.push_back(dict.values[order[i]]);
  }
  for (uint32_t& c : codes) c = remap[c];
  if (more) {
    for (uint32_t& c : *more) c = remap[c];
  }
}

// Note [Piece scheduling]
// A block is cut into kPiecesPerThread pieces per thread, and each thread takes
// the next unscanned piece until none is left, so a thread that is preempted
// (or given slower rows) holds up at most one small piece instead of half the
// block. Pieces are merged in file order, so the scan does not depend on which
// thread scanned which piece, nor when. The cut points depend only on the block
// and the thread count.
constexpr size_t kPiecesPerThread = 8;

// Note [Piece merging]
// A scanned piece is merged into the table (append_piece) by the thread that
// scanned it, as soon as every piece before it is merged, instead of all of
// them by one thread once the block is scanned: the merging overlaps the
// scanning of later pieces and the block ends with little left to do. Pieces
// are still merged one at a time, in file order (a try-lock: a thread that
// finds another merging goes back to scanning, and the holder merges what is
// ready; the last check after the scan merges the rest), so the table does not
// depend on which thread merged what. A piece with an error stops the merging,
// and its error is thrown with the lines of the pieces before it counted.
//
// Note [Cut ahead]
// Cutting a block (csv_record_cuts) reads all of it, one thread while the
// others wait. A mapped file's next block is in memory already, so while the
// current block is scanned, the first task taken cuts the next one; the next
// iteration uses those cuts when its block is exactly that text (it always is,
// unless the block had to grow). The cuts are the same as computed later.
//
// Note [Read ahead]
// While a block is scanned, one more thread assembles the next one in
// `ahead_`: the unfinished record at the end of this block (known once the
// block is cut), then the next `block` bytes from `read`. The copy from the
// page cache then overlaps the scan instead of keeping every scan thread
// waiting, and the next block is taken by a swap. Only that thread calls
// `read` while it runs, and it is joined before the swap, so the blocks are
// the same bytes as with synchronous reads.
//
// Note [Block buffers]
// The two block buffers (`buffer_` and `ahead_`) are each allocated once, with
// room for the unfinished record carried into the next block, and only grow
// for a record longer than that: a new allocation per block cost its page
// faults, the zeroing and a copy of the old contents. Reads ask for no more
// than what is left of the file (plus one byte, to see its end), so a file
// smaller than a block is not given a whole zeroed one. The bytes each block
// holds, and so its cuts, are the same as without this.
//
// Note [Mapped blocks]
// A regular file is mapped (core/mapped_file.h) and its blocks are views into
// the mapping: no copy, no buffers, no read-ahead thread. The scan threads map
// a block's pages as they first read them; the next block is prefetched into
// the page cache while the current one is scanned (for a file not cached yet);
// a scanned block's pages are released, so resident memory stays at about a
// block. The blocks are exactly those of streaming the same bytes: the first
// is the first `block` bytes, each next one ends `block` bytes after the one
// before, a long record doubles the block, and a block that would reach past
// the end of the file is the last. So the scan, which depends on the cuts,
// does not depend on whether the file was mapped.
class CsvBlocks {
 public:
  using Read = std::function<size_t(char*, size_t)>;
  // Streams the text from `read` (returns the bytes it put in the buffer
  // given, 0 at the end); `total_bytes` is the expected size, 0 if unknown.
  CsvBlocks(Read read, uint64_t total_bytes, size_t block)
      : read_(std::move(read)), total_bytes_(total_bytes), block_(block) {
    buffer_.reserve(read_size(block) + block / 16);
    fill(block);
  }
  // Walks a mapped file (Note [Mapped blocks]); `file` must outlive this.
  CsvBlocks(const MappedFile& file, size_t block)
      : file_(&file), total_bytes_(file.text().size()), block_(block) {
    set_limit(block);
  }

  // The current block: the first one starts with the file, each next one with
  // the record that did not end in the block before.
  std::string_view data() const {
    return file_ != nullptr ? file_->text().substr(begin_, limit_ - begin_) : std::string_view(buffer_);
  }
  // Whether the current block holds the rest of the text.
  bool eof() const { return eof_; }
  // The expected size of the whole text, 0 if unknown.
  uint64_t total_bytes() const { return total_bytes_; }
  // Doubles the current block (a record longer than it); not at eof().
  void grow() {
    if (file_ != nullptr) {
      set_limit(2 * (limit_ - begin_));
    } else {
      fill(2 * buffer_.size());
    }
  }
  // Starts on the next block, data().substr(keep) then `block` more bytes, while
  // the caller scans data()[0, keep); not at eof().
  void start_next(size_t keep) {
    if (file_ != nullptr) {
      file_->prefetch(limit_, limit_ + block_);
      return;
    }
    ahead_thread_.emplace([this, rest = data().substr(keep)] { read_ahead(rest); });
  }
  // Mapped: the block next(keep) will make current, to cut it ahead of time;
  // empty when streamed (its bytes are not read yet) or at eof().
  std::string_view peek_next(size_t keep) const {
    if (file_ == nullptr || eof_) return {};
    const size_t begin = begin_ + keep;
    return file_->text().substr(begin, mapped_limit(begin, limit_ - begin + block_).first - begin);
  }
  // Makes the next block current (after start_next(keep)); false when it is empty.
  bool next(size_t keep) {
    if (file_ != nullptr) {
      file_->release(begin_, begin_ + keep);
      const size_t limit = limit_;
      begin_ += keep;
      set_limit(limit - begin_ + block_);
      return limit_ > begin_;
    }
    ahead_thread_.reset();  // joins
    if (ahead_error_) std::rethrow_exception(ahead_error_);
    buffer_.swap(ahead_);
    eof_ = ahead_eof_;
    return !buffer_.empty();
  }

 private:
  // Mapped: where a block of `want` bytes from `begin` ends, and whether it is
  // the last (it would reach past the end of the file).
  std::pair<size_t, bool> mapped_limit(size_t begin, size_t want) const {
    const size_t n = file_->text().size();
    const bool last = want > n - begin;
    return {last ? n : begin + want, last};
  }
  // Mapped: the current block is the next `want` bytes from begin_, or the rest.
  void set_limit(size_t want) { std::tie(limit_, eof_) = mapped_limit(begin_, want); }
  // Streamed: how much a read of up to `want` bytes asks for (Note [Block buffers]).
  size_t read_size(size_t want) const {
    if (total_bytes_ == 0) return want;
    const uint64_t left = total_bytes_ > bytes_read_ ? total_bytes_ - bytes_read_ : 0;
    return static_cast<size_t>(std::min<uint64_t>(want, std::max<uint64_t>(left + 1, 1 << 16)));
  }
  // Streamed: reads until the current block holds `want` bytes or the text ends.
  void fill(size_t want) {
    while (!eof_ && buffer_.size() < want) {
      const size_t old = buffer_.size();
      buffer_.resize(old + read_size(std::max<size_t>(want - old, 1 << 16)));
      const size_t got = read_(buffer_.data() + old, buffer_.size() - old);
      buffer_.resize(old + got);
      bytes_read_ += got;
      if (got == 0) eof_ = true;
    }
  }
  // Streamed, on the read-ahead thread: assembles the next block in ahead_
  // (Note [Read ahead], Note [Block buffers]).
  void read_ahead(std::string_view rest) {
    try {
      const size_t want = rest.size() + read_size(block_);
      if (ahead_.capacity() < want) {
        ahead_.clear();  // nothing to copy into the new allocation
        ahead_.reserve(want + block_ / 16);
      }
      ahead_.resize(want);
      std::memcpy(ahead_.data(), rest.data(), rest.size());
      size_t size = rest.size();
      while (size < ahead_.size()) {
        const size_t got = read_(ahead_.data() + size, ahead_.size() - size);
        bytes_read_ += got;
        if (got == 0) {
          ahead_eof_ = true;
          break;
        }
        size += got;
      }
      ahead_.resize(size);
    } catch (...) {
      ahead_error_ = std::current_exception();
    }
  }

  Read read_;
  const MappedFile* file_ = nullptr;
  uint64_t total_bytes_ = 0;
  size_t block_ = 0;
  bool eof_ = false;
  size_t begin_ = 0, limit_ = 0;  // mapped: the current block in the file
  std::string buffer_, ahead_;    // streamed
  uint64_t bytes_read_ = 0;
  bool ahead_eof_ = false;
  std::exception_ptr ahead_error_;
  std::optional<std::jthread> ahead_thread_;  // last: joined before the buffers go
};

// Scans the blocks of a CSV text.
TableScan scan_csv_blocks(CsvBlocks& blocks, std::string_view source, const ScanOptions& options) {
  ThreadPool pool(options.threads);
  const size_t parts = pool.size() * kPiecesPerThread;
  size_t start = 0;
  if (blocks.data().starts_with("\xEF\xBB\xBF")) start = 3;

  CsvContext ctx;
  ctx.source = std::string(source);
  ctx.options = &options;
  // The header: the first record (grow the buffer until it is complete).
  uint64_t line_base = 0;
  {
    std::vector<size_t> cuts;
    while (!blocks.eof() && data::table_record_cuts(blocks.data().substr(start), 1, cuts) == 0) blocks.grow();
    data::TableDialect dialect;
    dialect.delimiter = options.delimiter;
    data::check_table_dialect(dialect);
    data::TableRecordReader reader(blocks.data().substr(start), dialect);
    const data::TableStatus status = reader.next();
    if (status == data::TableStatus::kEnd) {
      throw InputError(fmt::format("{}: empty file, expected a header row", source));
    }
    if (status != data::TableStatus::kRecord) {
      throw InputError(data::table_error_message(source, reader.line(), start + reader.error_offset(), nullptr,
                                                 reader.error_field(), reader.error_text(status)));
    }
    for (std::string_view f : reader.fields()) ctx.header.emplace_back(f);
    line_base = reader.lines_consumed();
    start += reader.position();
  }
  TableScan scan;
  scan.source = std::string(source);
  const size_t columns = ctx.header.size();
  scan.columns.resize(columns);
  for (size_t c = 0; c < columns; ++c) {
    if (ctx.header[c].empty()) throw InputError(fmt::format("{}:1: column {} has an empty name", source, c + 1));
    for (size_t d = 0; d < c; ++d) {
      if (ctx.header[d] == ctx.header[c]) {
        throw InputError(fmt::format("{}:1: column '{}' appears twice in the header", source, ctx.header[c]));
      }
    }
    scan.columns[c].name = ctx.header[c];
  }
  auto find_column = [&](const std::string& name, const char* option) {
    for (size_t c = 0; c < columns; ++c) {
      if (ctx.header[c] == name) return static_cast<int>(c);
    }
    std::string known;
    for (const auto& h : ctx.header) known += (known.empty() ? "" : ", ") + h;
    throw InputError(fmt::format("{}:1: no column '{}' ({}), the header has: {}", source, name, option, known));
  };
  if (!options.label_col.empty()) scan.label_column = find_column(options.label_col, "--label-col");
  if (!options.group_col.empty()) scan.group_column = find_column(options.group_col, "--group-col");
  ctx.plan.resize(columns);  // See Note [Column plan].
  if (scan.label_column >= 0) ctx.plan[scan.label_column].label = true;
  if (scan.group_column >= 0) ctx.plan[scan.group_column].group = true;
  if (options.schema) {
    for (size_t c = 0; c < columns; ++c) ctx.plan[c].rule = options.schema->find(ctx.header[c]);
    for (const SchemaColumn& rule : options.schema->columns) {
      if (std::find(ctx.header.begin(), ctx.header.end(), rule.name) == ctx.header.end()) {
        scan.schema.missing_columns.push_back(rule.name);
      }
    }
  }
  for (size_t c = 0; c < columns && options.pii; ++c) {
    ctx.plan[c].pii_dob = options.pii->dob_column(ctx.header[c]);
  }
  // PII: every cell of the --text-cols columns, else the text cells of every column but the label.
  const bool pii_all_text = options.text_cols.empty();
  std::vector<bool> pii_listed(columns, false);
  for (const std::string& name : options.text_cols) pii_listed[find_column(name, "--text-cols")] = true;
  for (size_t c = 0; c < columns; ++c) {
    ColumnPlan& plan = ctx.plan[c];
    if (options.pii && !plan.label) {
      plan.pii = pii_listed[c] ? PiiCells::kAll : pii_all_text ? PiiCells::kText : PiiCells::kNone;
    }
    if (!plan.label && is_id_like_name(ctx.header[c])) {
      plan.id_slot = static_cast<int>(ctx.id_columns.size());
      ctx.id_columns.push_back(static_cast<int>(c));
    }
  }
  scan.id_columns = ctx.id_columns;
  scan.id_hashes.resize(ctx.id_columns.size());
  // Sample rate from the bytes per line of the first block.
  {
    const std::string_view head = blocks.data().substr(start);
    // Counted on every thread: the scan cannot start before this.
    std::vector<uint64_t> part_lines(pool.size());
    pool.parallel_for(pool.size(), [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        const std::string_view part = head.substr(head.size() * t / part_lines.size(),
                                                  head.size() * (t + 1) / part_lines.size() -
                                                      head.size() * t / part_lines.size());
        part_lines[t] = static_cast<uint64_t>(std::count(part.begin(), part.end(), '\n'));
      }
    });
    uint64_t lines = 0;
    for (uint64_t l : part_lines) lines += l;
    lines = std::max<uint64_t>(1, lines);
    const uint64_t bytes = std::max<uint64_t>(blocks.total_bytes(), blocks.data().size());
    const double est_rows = static_cast<double>(bytes) / head.size() * lines;
    const double cap = static_cast<double>(std::min(kSampleRows, kSampleCells / std::max<size_t>(columns, 1)));
    ctx.sample_rate = head.empty() || est_rows <= cap ? 1.0 : cap / est_rows;
  }

  Dict labels, groups;
  uint64_t byte_base = start;
  std::vector<size_t> cuts;
  // See Note [Cut ahead]: the next block and its cuts, when cut during the scan.
  std::string_view ahead_text;
  std::vector<size_t> ahead_cuts;
  size_t ahead_end = 0;
  while (true) {
    std::string_view text = blocks.data().substr(start);
    size_t end = 0;
    if (!ahead_text.empty() && ahead_text.data() == text.data() && ahead_text.size() == text.size()) {
      cuts.swap(ahead_cuts);
      end = ahead_end;
    } else {
      end = data::table_record_cuts(text, parts, cuts);
    }
    ahead_text = {};
    while (!blocks.eof() && end == 0) {  // a record longer than the block: read more
      blocks.grow();
      text = blocks.data().substr(start);
      end = data::table_record_cuts(text, parts, cuts);
    }
    const bool eof = blocks.eof();
    if (eof) end = text.size();
    std::vector<size_t> bounds{0};
    for (size_t c : cuts) {
      if (c < end) bounds.push_back(c);
    }
    bounds.push_back(end);
    std::vector<Piece> pieces(bounds.size() - 1);
    for (Piece& p : pieces) {
      p.scan.label_column = scan.label_column;
      p.scan.group_column = scan.group_column;
      for (size_t c = 0; c < columns; ++c) p.scan.columns.emplace_back().name = ctx.header[c];
    }
    if (!eof) {
      blocks.start_next(start + end);
      ahead_text = blocks.peek_next(start + end);
    }
    // See Note [Piece scheduling] and Note [Piece merging]. Task 0 cuts the
    // next block when it is already in memory (Note [Cut ahead]).
    const size_t first_piece = ahead_text.empty() ? 0 : 1;
    const size_t tasks = first_piece + pieces.size();
    std::atomic<size_t> next_task{0};
    const auto scanned = std::make_unique<std::atomic<bool>[]>(pieces.size());  // all false
    std::mutex merge_mutex;
    size_t merged = 0;  // pieces[0, merged) are in `scan`; guarded by merge_mutex
    auto merge_scanned = [&] {
      std::unique_lock lock(merge_mutex, std::try_to_lock);
      if (!lock.owns_lock()) return;  // the thread that holds it merges
      for (; merged < pieces.size() && scanned[merged].load(std::memory_order_acquire); ++merged) {
        Piece& p = pieces[merged];
        if (!p.error.empty()) return;  // thrown below, after the pieces before it
        append_piece(scan, p, labels, groups);
        line_base += p.lines;
        p = Piece();  // its tables are no longer needed
      }
    };
    pool.parallel_for(pool.size(), [&](size_t, size_t) {
      for (size_t t; (t = next_task.fetch_add(1)) < tasks;) {
        if (t < first_piece) {
          ahead_end = data::table_record_cuts(ahead_text, parts, ahead_cuts);
          continue;
        }
        const size_t i = t - first_piece;
        scan_piece(ctx, text.substr(bounds[i], bounds[i + 1] - bounds[i]), byte_base + bounds[i], pieces[i]);
        scanned[i].store(true, std::memory_order_release);
        merge_scanned();
      }
    });
    merge_scanned();  // whatever a busy lock left
    if (merged < pieces.size()) {
      const Piece& p = pieces[merged];
      throw InputError(fmt::format("{}:{}: {}", source, line_base + p.error_line, p.error));
    }
    byte_base += end;
    if (eof || !blocks.next(start + end)) break;
    start = 0;
  }
  if (scan.rows == 0) throw InputError(fmt::format("{}: the file has a header but no data rows; expected at least one row", source));
  if (scan.label_column >= 0) sort_dict(labels, scan.labels, &scan.sample.labels, scan.label_values);
  if (scan.group_column >= 0) sort_dict(groups, scan.groups, nullptr, scan.group_values);
  for (size_t c = 0; c < columns; ++c) {
    const bool listed = pii_listed[c];
    const std::string type = scan.columns[c].inferred_type();
    if (static_cast<int>(c) != scan.label_column &&
        (listed || (pii_all_text && (type == "text" || type == "categorical" || scan.columns[c].text > 0)))) {
      scan.pii.columns_scanned.push_back(ctx.header[c]);
    }
  }
  return scan;
}

}  // namespace

bool ValueCounts::add_probed(uint64_t key, std::string_view text, bool numeric, uint64_t count) {
  if (slots_.empty()) slots_.resize(kSlots);
  size_t slot = home_slot(key);
  while (true) {
    Slot& at = slots_[slot];
    if (at.key == key) {
      at.count += count;
      return true;
    }
    if (at.key == 0) break;
    slot = (slot + 1) & (kSlots - 1);
  }
  if (entries_.size() >= kTrackedValues) return false;
  slots_[slot] = {key, count};
  entries_.push_back({static_cast<uint32_t>(slot), numeric, std::string(text.substr(0, 200))});
  const uint64_t bit = key >> (64 - kFilterBits);
  filter_[bit >> 6] |= uint64_t{1} << (bit & 63);
  return true;
}

std::string ColumnStats::inferred_type() const {
  if (non_missing() == 0) return "empty";
  if (numeric >= text) return integer + inf == numeric && inf == 0 ? "integer" : "numeric";
  if (!track_values || untracked > 0) return "text";
  return "categorical";
}

bool is_id_like_name(std::string_view name) {
  std::string lower;
  for (char ch : name) lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  if (lower == "id" || lower == "uuid" || lower == "guid" || lower == "key" || lower == "index") return true;
  if (lower.ends_with("_id") || lower.ends_with("-id") || lower.ends_with("uuid")) return true;
  return name.size() > 2 && name.ends_with("Id");
}

CellKind classify_cell(std::string_view cell, double* number) { return classify_cell_inline(cell, number); }

uint64_t cell_hash(std::string_view cell) {
  double v = 0;
  switch (classify_cell(cell, &v)) {
    case CellKind::kMissing: return 0;
    case CellKind::kNumber: return number_key(v);
    case CellKind::kText: return XXH3_64bits(cell.data(), cell.size()) | 1;
  }
  return 0;
}

TableScan scan_csv_text(std::string_view text, std::string_view source, const ScanOptions& options) {
  size_t pos = 0;
  auto read = [&](char* dst, size_t cap) {
    const size_t n = std::min(cap, text.size() - pos);
    std::memcpy(dst, text.data() + pos, n);
    pos += n;
    return n;
  };
  CsvBlocks blocks(read, text.size(), std::max<size_t>(options.block_bytes, 1 << 16));
  return scan_csv_blocks(blocks, source, options);
}

TableScan scan_csv_file(const std::filesystem::path& path, const ScanOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory", path.string()));
  ScanOptions opt = options;
  opt.delimiter = data::table_delimiter_for(path.string());
  if (path.extension() == ".gz") {  // .csv.gz, .tsv.gz: decompressed into memory (data/table.h)
    const std::string text = data::read_table_file(path);
    return scan_csv_text(text, path.string(), opt);
  }
  const size_t block = std::max<size_t>(options.block_bytes, 1 << 16);
  // See Note [Mapped blocks]; other files (a pipe, say) are streamed.
  const MappedFile mapped(path);
  if (mapped.mapped()) {
    CsvBlocks blocks(mapped, block);
    return scan_csv_blocks(blocks, path.string(), opt);
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw InputError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  const uint64_t size = std::filesystem::file_size(path, ec);
  auto read = [&](char* dst, size_t cap) {
    const size_t n = std::fread(dst, 1, cap, file.get());
    if (n == 0 && std::ferror(file.get())) throw InputError(fmt::format("{}: read error", path.string()));
    return n;
  };
  CsvBlocks blocks(read, ec ? 0 : size, block);
  return scan_csv_blocks(blocks, path.string(), opt);
}

TableScan scan_dataset(const data::Dataset& dataset, const ScanOptions& options) {
  TableScan scan;
  scan.source = dataset.name();
  const size_t n = dataset.size();
  const size_t f = static_cast<size_t>(dataset.sample_numel());
  const Shape& shape = dataset.sample_shape();
  const bool u8 = dataset.feature_type() == data::FeatureType::kU8;
  if (u8 && (shape.rank() == 2 || (shape.rank() == 3 && shape[0] == 1))) {
    scan.is_image = true;
    scan.image_shape = {shape[shape.rank() - 2], shape[shape.rank() - 1]};
  }
  scan.rows = n;
  const auto& names = dataset.feature_names();
  scan.columns.resize(f + 1);
  for (size_t c = 0; c < f; ++c) {
    scan.columns[c].name = names.empty() ? fmt::format("x{}", c) : names[c];
    scan.columns[c].track_values = u8;
  }
  scan.columns[f].name = options.label_col.empty() ? "label" : options.label_col;
  scan.label_column = static_cast<int>(f);
  scan.label_values = dataset.class_names();
  scan.labels.assign(dataset.labels().begin(), dataset.labels().end());
  scan.feature_hashes.resize(n);
  if (scan.is_image) scan.image_hashes.resize(n);
  ThreadPool pool(options.threads);
  const auto u8f = dataset.u8_features();
  const auto f32f = dataset.f32_features();
  const float scale = dataset.u8_scale();
  const size_t threads = pool.size();
  // Per thread: u8 value histograms per column, or float stats per column.
  std::vector<std::vector<uint64_t>> hist(threads);
  std::vector<std::vector<ColumnStats>> fstats(threads);
  pool.parallel_for(threads, [&](size_t tb, size_t te) {
    for (size_t t = tb; t < te; ++t) {
      const size_t r0 = n * t / threads, r1 = n * (t + 1) / threads;
      if (u8) {
        hist[t].assign(f * 256, 0);
      } else {
        fstats[t].resize(f);
      }
      for (size_t r = r0; r < r1; ++r) {
        if (u8) {
          const uint8_t* row = u8f.data() + r * f;
          const XXH128_hash_t h = XXH3_128bits(row, f);
          scan.feature_hashes[r] = {h.low64, h.high64};
          for (size_t c = 0; c < f; ++c) ++hist[t][c * 256 + row[c]];
          if (scan.is_image) {
            scan.image_hashes[r] = image_dhash(std::span(row, f), scan.image_shape[0], scan.image_shape[1]);
          }
        } else {
          const float* row = f32f.data() + r * f;
          const XXH128_hash_t h = XXH3_128bits(row, f * sizeof(float));
          scan.feature_hashes[r] = {h.low64, h.high64};
          for (size_t c = 0; c < f; ++c) {
            ColumnStats& st = fstats[t][c];
            const double v = row[c];
            if (std::isnan(v)) {
              ++st.missing;
              ++st.nan;
              update_first(st.first_missing_row, r);
              continue;
            }
            add_number(st, v);
          }
        }
      }
    }
  });
  for (size_t c = 0; c < f; ++c) {
    ColumnStats& st = scan.columns[c];
    if (u8) {
      for (size_t v = 0; v < 256; ++v) {
        uint64_t count = 0;
        for (size_t t = 0; t < threads; ++t) count += hist[t].empty() ? 0 : hist[t][c * 256 + v];
        if (count == 0) continue;
        const double value = static_cast<double>(v) * scale;
        st.numeric += count;
        if (is_integral(value)) st.integer += count;
        st.min = std::min(st.min, value);
        st.max = std::max(st.max, value);
        track_value(st, number_key(value), fmt::format("{}", value), true, count);
      }
      st.first_number_row = 0;
    } else {
      for (size_t t = 0; t < threads; ++t) {
        if (fstats[t].empty()) continue;
        const ColumnStats& b = fstats[t][c];
        add_counts(st, b);
        update_first(st.first_missing_row, b.first_missing_row);
      }
    }
  }
  ColumnStats& label = scan.columns[f];
  label.numeric = label.integer = n;
  for (size_t k = 0; k < scan.label_values.size(); ++k) {
    const uint64_t count = std::count(scan.labels.begin(), scan.labels.end(), static_cast<uint32_t>(k));
    if (count == 0) continue;
    label.min = std::min(label.min, static_cast<double>(k));
    label.max = std::max(label.max, static_cast<double>(k));
    track_value(label, number_key(static_cast<double>(k)), std::to_string(k), true, count);
  }
  // Sample: every row up to the cap, else rows picked by a hash of their index.
  const size_t cap = std::min(kSampleRows, kSampleCells / std::max<size_t>(f, 1));
  const double rate = n <= cap ? 1.0 : static_cast<double>(cap) / n;
  for (size_t r = 0; r < n; ++r) {
    if (!in_sample(r, rate)) continue;
    scan.sample.rows.push_back(r);
    for (size_t c = 0; c <= f; ++c) {
      const double v = c == f ? scan.labels[r] : u8 ? u8f[r * f + c] * static_cast<double>(scale) : f32f[r * f + c];
      scan.sample.numbers.push_back(v);
      scan.sample.cells.push_back(std::isnan(v) ? 0 : number_key(v));
    }
    scan.sample.labels.push_back(scan.labels[r]);
  }
  return scan;
}

}  // namespace dpeval::govern
