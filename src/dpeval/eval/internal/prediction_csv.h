// The CSV half of the prediction reader (the format is in predictions.h; how a
// file is split across threads is Note [Parallel CSV parse] in
// prediction_csv.cc).
#pragma once

#include <cstddef>
#include <string_view>

#include "dpeval/eval/predictions.h"

namespace dpeval::eval::internal {

// Data bytes below which a file is not split further: one chunk per thread, but
// no chunk smaller than this.
inline constexpr size_t kMinChunkBytes = size_t{1} << 16;

// Knobs for tests and the fuzz target; the defaults are what users get.
struct CsvParseTuning {
  size_t min_chunk_bytes = kMinChunkBytes;  // >= 1
  bool force_serial = false;                // the quoted-file path even without quotes
};

// parse_predictions_csv once the options were checked.
Predictions parse_csv_predictions(std::string_view text, std::string_view source, const ReadOptions& options,
                                  const CsvParseTuning& tuning = {});

}  // namespace dpeval::eval::internal
