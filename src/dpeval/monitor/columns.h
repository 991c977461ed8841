// A dataset read for drift: each column's numbers and category counts, or for
// images the pixel rows and two per-image summary columns. What `dpeval
// profile` and `dpeval drift` read their --data, --reference and --current
// arguments into (docs/DRIFT.md).
//
// Note [Drift sources]
//   "<path>.csv|.tsv[.gz]"   a table with a header row; every column is read
//                            (numbers, text and missing cells counted apart).
//   "<path>.npy"             images: N x 28 x 28 or N x 784 (any N x H x W or
//                            N x F), uint8 (scaled by 1/255) or float in [0, 1].
//   "fashion-mnist"          the train split of Debian's Fashion-MNIST;
//   "fashion-mnist-test"     its test split. Both with their labels.
// An image source has the columns mean_intensity and std_intensity (per image,
// population std) and, from Fashion-MNIST, label; its pixels feed the domain
// classifier (domain_classifier.h).
//
// Note [Missing cells]
// A cell is missing when it is one of data::is_missing_spelling's spellings
// (empty, NA, N/A, NaN, nan, null, NULL, None) or a number that is NaN. A
// number that is +-inf, or beyond +-kMaxMagnitude, is counted apart
// (non_finite) and left out of the statistics: distances and quantiles are not
// defined over infinities, and beyond 1e150 squares and sums of differences
// overflow to them.
//
// Note [Text cells are UTF-8]
// Text cells and column names become JSON (the profile, the drift document),
// which holds only valid UTF-8. A cell that is not (Latin-1, binary bytes) is
// read with each byte that starts no well-formed sequence replaced by U+FFFD,
// the same way for the reference, the current data and a profile, so the
// categories of all three still compare.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dpeval/core/enum_text.h"
#include "dpeval/core/huge_pages.h"
#include "dpeval/data/dataset.h"

namespace dpeval::monitor {

inline constexpr double kMaxMagnitude = 1e150;

// A column's numbers: millions of them, on huge pages, and not zeroed when
// sized (the readers write every number before anything reads it; zeroing
// 8 MB of fresh pages twice, by the kernel and by the vector, cost more than
// the sort of them).
using Numbers = std::vector<double, UninitializedAllocator<double>>;

enum class SourceKind : uint8_t { kCsv, kNpy, kFashionMnist, kFashionMnistTest, kProfile };
inline constexpr EnumText<SourceKind> kSourceKindTexts[] = {
    {SourceKind::kCsv, "csv"},
    {SourceKind::kNpy, "npy"},
    {SourceKind::kFashionMnist, "fashion-mnist"},
    {SourceKind::kFashionMnistTest, "fashion-mnist-test"},
    {SourceKind::kProfile, "profile"}};
constexpr const auto& enum_texts(SourceKind) { return kSourceKindTexts; }

struct ColumnValues {
  std::string name;
  Numbers numbers;  // the finite numeric cells, ascending once read_source returns
  std::unordered_map<std::string, uint64_t> texts;  // cells that are neither numbers nor missing -> count
  uint64_t missing = 0;
  uint64_t non_finite = 0;  // +-inf cells
  uint64_t text_cells = 0;
  uint64_t first_text_line = 0;    // 1-based file line of the first text cell (0: none)
  uint64_t first_number_line = 0;  // ... of the first number
  bool numeric() const { return text_cells == 0 && !numbers.empty(); }
  uint64_t count() const { return numbers.size() + non_finite + text_cells; }  // non-missing cells
};

struct SourceData {
  std::string source;  // as the user named it
  SourceKind kind = SourceKind::kCsv;
  std::string sha256;  // of the file's bytes (Fashion-MNIST: of its images file)
  uint64_t rows = 0;
  std::vector<ColumnValues> columns;  // file order
  data::Dataset images;               // image sources only (0 rows otherwise)
  bool is_image() const { return images.size() > 0; }
  const ColumnValues* find(std::string_view name) const;
};

struct ReadOptions {
  size_t threads = 0;  // 0: every core
  bool allow_fashion_mnist_test = true;
};

// Reads a source (Note [Drift sources]). Throws InputError naming the file,
// line and column for anything malformed (ragged rows, an empty file, a
// header without rows, a duplicate column name, an NPY of the wrong shape or
// values outside [0, 1]), ConfigError for a spec that names nothing readable.
SourceData read_source(std::string_view spec, const ReadOptions& options);

// The same for CSV text in memory (tests); `source` starts messages.
SourceData read_csv_text(std::string_view text, std::string_view source, const ReadOptions& options);

// An image's mean and population std of intensity: its mean_intensity and
// std_intensity cells (Note [Drift sources]). Requires pixels non-empty.
struct ImageSummary {
  double mean = 0, std = 0;
};
ImageSummary summarize_image(std::span<const float> pixels);

// Sorts ascending (an LSD radix sort above a few thousand values). No NaN.
void sort_values(Numbers& values);

}  // namespace dpeval::monitor
