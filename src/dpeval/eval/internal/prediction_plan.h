// The header of a CSV prediction file read as a PredictionPlan: which column feeds
// which output column with which check, which columns are kept as keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/eval/internal/prediction_cells.h"
#include "dpeval/eval/predictions.h"

namespace dpeval::eval::internal {

// Where a column's numbers go.
enum class ColumnDest : uint8_t { kSkip, kLabel, kValue, kProb, kLogit };

struct ColumnRole {
  ColumnDest dest = ColumnDest::kSkip;
  CellKind kind = CellKind::kFinite;
  uint32_t k = 0;  // the class of a prob or logit column
};

// What the header says, for every row.
struct PredictionPlan {
  Task task = Task::binary;
  uint64_t header_line = 0;
  std::vector<std::string> names;  // header, trimmed
  std::vector<ColumnRole> roles;   // per column
  std::vector<int32_t> key_of;     // per column: index of its KeyColumn, or -1
  std::vector<std::string> keys;   // kept column names, in output order
  size_t num_classes = 0;          // multiclass K
  bool has_probs = false;          // multiclass: prob columns read
  bool has_logits = false;         // multiclass: logit columns read
  std::string prob_columns;        // "'prob_0'..'prob_2'", for the row-sum message

  size_t width() const { return names.size(); }
};

// Throws InputError "<source>:<header_line>: ..." for a missing, duplicated or
// badly numbered column (naming the header and a hint: the option that renames
// it, the task the columns look like, the delimiter); ConfigError when the
// options give one column two roles.
PredictionPlan make_prediction_plan(std::string_view source, const ReadOptions& options,
                                    std::vector<std::string> names, uint64_t header_line);

}  // namespace dpeval::eval::internal
