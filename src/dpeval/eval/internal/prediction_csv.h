// The CSV half of the prediction reader (the format is in predictions.h; how a
// file is split across threads is Note [Parallel CSV parse] in
// prediction_csv.cc).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "dpeval/eval/predictions.h"

namespace dpeval::eval::internal {

// Data bytes below which a file is not split further: one chunk per thread, but
// no chunk smaller than this.
inline constexpr size_t kMinChunkBytes = size_t{1} << 16;

// Bytes a thread scans or parses between two calls of CsvParseTuning::release.
inline constexpr size_t kReleaseBlockBytes = size_t{2} << 20;

// Files up to this size keep the first pass's pages mapped for the second
// (Note [Parallel CSV parse]).
inline constexpr size_t kKeepMappedBytes = size_t{128} << 20;

// Knobs for tests and the fuzz target; the defaults are what users get.
struct CsvParseTuning {
  size_t min_chunk_bytes = kMinChunkBytes;  // >= 1
  bool force_serial = false;                // the quoted-file path even without quotes
  size_t release_block_bytes = kReleaseBlockBytes;  // >= 1
  size_t keep_mapped_bytes = kKeepMappedBytes;     // texts this size or smaller: only the second pass releases
  // Called (from the parsing threads) with each byte range [begin, end) of
  // the text that a pass has finished with, so that a mapped file can drop
  // those pages (Note [Parallel CSV parse]); the text must stay readable.
  std::function<void(size_t begin, size_t end)> release = nullptr;
  // Called before a pass reads [begin, end), so that a mapped file can map
  // those pages in one call (MappedFile::populate).
  std::function<void(size_t begin, size_t end)> populate = nullptr;
};

// parse_predictions_csv once the options were checked.
Predictions parse_csv_predictions(std::string_view text, std::string_view source, const ReadOptions& options,
                                  const CsvParseTuning& tuning = {});

}  // namespace dpeval::eval::internal
