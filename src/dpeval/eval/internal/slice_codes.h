// The row partition of one slice column (one key column, or the cross of two):
// a compact code per row, 0..values.size()-1, over the values that occur, in
// code order (a cross: by first code, then second). Shared by compute_slices()
// and bootstrap_intervals() so both number the slices alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dpeval/eval/key_column.h"

namespace dpeval::eval::internal {

struct SliceCodes {
  std::vector<uint32_t> codes;      // one per row
  std::vector<std::string> values;  // one per slice
  std::vector<int64_t> sizes;       // rows per slice
};

// Checks each key column against `rows` (InputError naming the column and the
// first bad row). parts: one or two key columns.
SliceCodes slice_codes(std::span<const KeyColumn* const> parts, size_t rows);

// The key indices of each slice column of `slice_by` (and its pairs with
// `cross`): ConfigError on an unknown or repeated name.
struct SliceColumnSpec {
  std::string name;
  std::vector<size_t> key_columns;
};
std::vector<SliceColumnSpec> slice_column_specs(std::span<const KeyColumn> keys,
                                                std::span<const std::string> slice_by, bool cross);

}  // namespace dpeval::eval::internal
