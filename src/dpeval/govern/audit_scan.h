// One pass over a dataset for the audit: everything the checks need, and no
// more than the per-row hashes and per-column statistics (see Note [Audit
// memory]). A CSV file is streamed in blocks and each block parsed in parallel;
// an image or array dataset (IDX, NPY, Fashion-MNIST) is scanned from memory.
//
// Note [Audit memory]
// Per row: the 128-bit feature hash (16 bytes), the label code (4), the group
// code (4, with a group column), the image hash (32, images only) and one
// 64-bit cell hash per ID-like column. Per column: counts, min/max and the
// counts of at most kTrackedValues distinct values. A bounded sample of at most
// kSampleRows rows (kSampleCells cells) feeds the single-feature and shift tests.
// Nothing else of the table is kept.
//
// Note [Row hash]
// A CSV row's feature hash is XXH3-128 over its normalized feature cells (every
// column but the label, in file order): per cell a tag byte, then for a missing
// cell nothing (tag 0), for a number the 8 bytes of its double value with -0
// written as 0 (tag 1: "1", "1.0" and "1e0" are the same cell), for text its
// length (uint32) and its bytes after trimming blanks (tag 2). An array row's
// feature hash is XXH3-128 over its raw bytes, so two images are equal exactly
// when their pixels are. Exact duplicates are equal (feature hash, label).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dpeval/data/dataset.h"
#include "dpeval/govern/audit_example.h"
#include "dpeval/govern/audit_schema.h"

namespace dpeval::govern {

// What the scan asks of a PII scanner (implemented over govern/pii.h by the
// pii checks): every match in one cell as (entity name, masked sample).
// Must be safe to call from several threads at once.
class PiiCellScanner {
 public:
  virtual ~PiiCellScanner() = default;
  // Whether dates of birth count in this column (asked once per column).
  virtual bool dob_column(std::string_view column) const = 0;
  virtual void scan(bool dob_column, std::string_view cell,
                    std::vector<std::pair<std::string, std::string>>& out) const = 0;
};

inline constexpr size_t kTrackedValues = 1000;
inline constexpr size_t kSampleRows = 100000;
inline constexpr size_t kSampleCells = 4000000;

struct Hash128 {
  uint64_t lo = 0, hi = 0;
  auto operator<=>(const Hash128&) const = default;
};

// A cell's normalized form: missing (empty, NA, N/A, NaN, nan, null, NULL,
// None), a finite or infinite number, or text.
enum class CellKind : uint8_t { kMissing, kNumber, kText };

// The counts of at most kTrackedValues distinct keys (64-bit cell hashes, never
// 0 or 1), in first-seen order: the scan's hot path. See Note [Value table].
class ValueCounts {
 public:
  struct Item {
    uint64_t key = 0;
    uint64_t count = 0;
    std::string_view text;  // the first spelling seen (trimmed), at most 200 bytes
    bool numeric = false;
  };
  // Adds `count` to `key`; a new key is inserted with `text` (at most 200 bytes
  // kept) unless kTrackedValues keys are there already: then returns false.
  bool add(uint64_t key, std::string_view text, bool numeric, uint64_t count = 1) {
    // A full table first asks the filter, which stays in L1, so a new key in a
    // column of distinct values never touches the slots (see Note [Value table]).
    if (entries_.size() >= kTrackedValues && !filter_has(key)) return false;
    if (!slots_.empty()) {  // most hits are in the key's own slot
      Slot& home = slots_[home_slot(key)];
      if (home.key == key) {
        home.count += count;
        return true;
      }
    }
    return add_probed(key, text, numeric, count);
  }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // The i-th key first seen, 0 <= i < size(); text valid while this table lives.
  Item at(size_t i) const {
    const Entry& e = entries_[i];
    return {slots_[e.slot].key, slots_[e.slot].count, e.text, e.numeric};
  }

 private:
  // Note [Value table]
  // Linear probing over slots that hold a key and its count (key 0 = empty;
  // keys are never 0), so a hit reads and writes one cache line; the spelling
  // and the first-seen order live apart in entries_, read only on insertion and
  // at the end. Once the table is full, most keys are new ones that will not be
  // kept (a column of distinct numbers or texts): a filter of one bit per
  // key's top kFilterBits (set on insertion) rejects ~97 % of them with one load
  // from 4 KB, before any probe.
  struct Slot {
    uint64_t key = 0;
    uint64_t count = 0;
  };
  struct Entry {
    uint32_t slot = 0;
    bool numeric = false;
    std::string text;
  };
  static constexpr int kSlotBits = 12;
  static constexpr size_t kSlots = size_t{1} << kSlotBits;  // a power of two above 4 * kTrackedValues
  static constexpr int kFilterBits = 15;
  static size_t home_slot(uint64_t key) { return (key * 0x9e3779b97f4a7c15ull) >> (64 - kSlotBits); }
  bool filter_has(uint64_t key) const {
    const uint64_t bit = key >> (64 - kFilterBits);
    return (filter_[bit >> 6] >> (bit & 63)) & 1;
  }
  bool add_probed(uint64_t key, std::string_view text, bool numeric, uint64_t count);
  std::vector<Slot> slots_;
  std::vector<Entry> entries_;
  std::array<uint64_t, (size_t{1} << kFilterBits) / 64> filter_{};
};

struct ColumnStats {
  std::string name;
  uint64_t missing = 0;  // cells that are missing (see CellKind)
  uint64_t nan = 0;      // of those, spelled NaN/nan
  uint64_t inf = 0;      // numbers that are +-inf
  uint64_t numeric = 0;  // number cells, inf included
  uint64_t integer = 0;  // finite numbers with no fractional part
  uint64_t text = 0;     // text cells
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  uint64_t first_missing_row = UINT64_MAX;
  uint64_t first_text_row = UINT64_MAX, first_number_row = UINT64_MAX;
  // Counts of the first kTrackedValues distinct non-missing values (key: a 64-bit
  // hash of the normalized cell); later new values are counted in untracked.
  ValueCounts values;
  uint64_t untracked = 0;
  bool track_values = true;  // false for array columns (no distinct values kept)

  uint64_t non_missing() const { return numeric + text; }
  // "numeric", "integer", "categorical", "text", "empty", per docs/AUDIT.md.
  std::string inferred_type() const;
  bool mixed() const { return numeric > 0 && text > 0; }
};

// PII found in one table: per entity name, the hits.
struct PiiHits {
  std::unordered_map<std::string, ExampleList> by_entity;  // "email" -> hits (detail: masked sample)
  std::vector<std::string> columns_scanned;
};

struct Sample {
  std::vector<uint64_t> rows;    // row numbers, increasing
  std::vector<double> numbers;   // rows x columns: the number, NaN when not a number
  std::vector<uint64_t> cells;   // rows x columns: 64-bit hash of the normalized cell (0: missing)
  std::vector<uint32_t> labels;  // label codes
};

struct TableScan {
  std::string source;
  bool is_image = false;
  std::vector<int64_t> image_shape;  // [H, W] when is_image
  uint64_t rows = 0;
  std::vector<ColumnStats> columns;  // every column, label and group included, in file order
  int label_column = -1;             // index into columns, -1 when no label
  int group_column = -1;
  std::vector<std::string> label_values;  // label code -> text, sorted (numerically when all integers)
  std::vector<uint32_t> labels;           // per row; empty when no label
  std::vector<std::string> group_values;
  std::vector<uint32_t> groups;  // per row, with a group column
  std::vector<Hash128> feature_hashes;              // per row
  std::vector<std::array<uint64_t, 6>> image_hashes;   // per row, images only (see image_hash.h)
  std::vector<int> id_columns;                      // columns whose names look like identifiers
  std::vector<std::vector<uint64_t>> id_hashes;     // per id column, per row: cell hash (0 missing)
  Sample sample;
  SchemaFindings schema;
  PiiHits pii;
};

struct ScanOptions {
  std::string label_col = "label";
  std::string group_col;
  char delimiter = ',';
  const AuditSchema* schema = nullptr;
  const PiiCellScanner* pii = nullptr;
  std::vector<std::string> text_cols;  // PII: these columns; empty = every text column
  size_t threads = 0;
  size_t block_bytes = 64 << 20;  // CSV block size
};

// Streams a CSV file (.tsv: tab-separated; .csv.gz and .tsv.gz are decompressed
// into memory first) through the table reader (data/table_reader.h). Throws InputError "<path>:<line>: ..." for
// malformed text or a record with the wrong number of fields, "<path>: ..." for
// an empty file or one without data rows, or a missing label/group column.
TableScan scan_csv_file(const std::filesystem::path& path, const ScanOptions& options);
// The same for text in memory (tests, fuzzing); `source` starts messages.
TableScan scan_csv_text(std::string_view text, std::string_view source, const ScanOptions& options);

// An array dataset (images [N,1,H,W] or [N,H,W], or rows of numbers) already in
// memory: one column per element, labels from the dataset.
TableScan scan_dataset(const data::Dataset& dataset, const ScanOptions& options);

// True for column names that look like identifiers: id, uuid, guid, key,
// index, or ending in _id/-id/Id (case-insensitive for the whole names).
bool is_id_like_name(std::string_view name);

// Normalization helpers (Note [Row hash]).
CellKind classify_cell(std::string_view cell, double* number);
uint64_t cell_hash(std::string_view cell);

}  // namespace dpeval::govern
