// Prediction files for `dpeval eval`: what any model (ours, PyTorch,
// TensorFlow, ...) predicted, read into the flat double columns that the
// metrics core (metrics.h) takes, plus dictionary-encoded key columns for
// slicing and fairness.
//
// CSV (header row; columns in any order; names are those of PredictionColumns):
//   binary      `label` (0 or 1), `score` (probability of class 1)
//   multiclass  `label` (0..K-1), `prob_0` .. `prob_{K-1}` (K >= 2: every header
//               name `prob_<digits>`, contiguous from 0), optionally `logit_0` ..
//               `logit_{K-1}` (read only with want_logits)
//   regression  `label` (target), `prediction`
// Any other column is skipped without being stored unless keep_columns names it.
// Text rules are the table reader's (data/table_reader.h, strict; docs/TABLES.md):
// RFC 4180 quoting, LF, CRLF or bare CR line ends, a UTF-8 BOM and blank lines
// skipped, spaces and tabs around a cell ignored; ',' (or '\t' for .tsv);
// .csv.gz and .tsv.gz are decompressed first.
// Numbers are parsed as double ("1", "1.0", "-2.5e3", "+.5"): a label written
// "1.0" is class 1.
//
// NPY: one 2-D float32 or float64 array, C order: binary [n, 2] = (label,
// score); multiclass [n, 1 + K] = (label, probs...); regression [n, 2] =
// (label, prediction). It has no key columns and no logits.
//
// Validation (every cell, every row): a label outside {0, 1} (binary) or 0..K-1
// (multiclass), a non-finite label or target; a probability that is not a
// number in [0, 1]; a multiclass row whose probabilities do not sum to 1 within
// kProbabilitySumTolerance; a non-finite prediction or logit; an empty or
// non-numeric cell; a row with more or fewer fields than the header; an empty
// file or a header without rows. All of them are InputError
//   "<source>:<line>: column '<name>': got '<value>', expected <what>"
// (NPY: "<source>: element [row, col] (<name>): ..."), the first bad cell by
// line then column, with "(and N more problems)" when there are others. Lines
// are 1-based lines of the file, where the cell starts. Degenerate but valid
// input (one class only, a constant target) is returned as is: the metrics core
// decides what is undefined.
//
// Speed and memory (Note [Parallel CSV parse] in internal/prediction_csv.cc):
// a file without any '"' is split at line boundaries into one chunk per
// thread, parsed in parallel straight into the output columns; a file with a
// quote is parsed serially (a quoted field may hold a line break, so a chunk
// boundary cannot be found without reading from the start). The result is
// bitwise the same either way and for any thread count. Peak memory is the
// output columns plus the file text (mapped, not copied, by read_predictions).
//
// Thread safety: no shared state; concurrent calls are safe (each parse runs
// its own ThreadPool of ReadOptions::threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/huge_pages.h"
#include "dpeval/eval/key_column.h"
#include "dpeval/eval/task_columns.h"

namespace dpeval::eval {

// Task (binary, multiclass, regression) and task_name() are task_columns.h's.
// "binary", "multiclass", "regression" -> Task; anything else throws
// ConfigError naming the value and the three choices.
Task parse_task(std::string_view name);

// Multiclass rows must sum to 1 within this (absolute).
inline constexpr double kProbabilitySumTolerance = 1e-3;

// Column names (the CLI's --label-col, --score-col, --prob-prefix).
struct PredictionColumns {
  std::string label = "label";
  std::string score = "score";            // binary
  std::string prob_prefix = "prob_";      // multiclass: prob_0 .. prob_{K-1}
  std::string prediction = "prediction";  // regression
  std::string logit_prefix = "logit_";    // multiclass with want_logits
};

struct ReadOptions {
  Task task = Task::binary;
  PredictionColumns columns;
  // Columns to keep as KeyColumns (slice and sensitive columns), in this order;
  // a name listed twice is kept once. Each must exist (InputError listing the
  // header otherwise). A role column (the label, say) may be kept too.
  std::vector<std::string> keep_columns;
  // Multiclass only (ConfigError for another task): read logit_0..logit_{K-1}
  // into Predictions::logits; they are then required and the prob columns
  // optional: without them, probs = softmax(logits) per row. With both, the two
  // K must agree.
  bool want_logits = false;
  size_t threads = 0;  // CSV parse threads; 0 = std::thread::hardware_concurrency()
  // CSV field delimiter (',' or '\t'; read_predictions sets it from the
  // extension: .tsv and .tsv.gz are tab-separated).
  char delimiter = ',';
};

// Kept columns are KeyColumns (key_column.h): row i has the text
// values[codes[i]]; here values are the distinct cell texts (trimmed, quotes
// removed), sorted bytewise, the empty text included when present.

// One vector per column, n rows (probs and logits: n x K, row-major). Only
// the columns of the task are filled.
// A column of values; see UninitializedAllocator (core/huge_pages.h).
using Column = std::vector<double, UninitializedAllocator<double>>;

struct Predictions {
  Task task = Task::binary;
  std::string source;               // the path or source name, as in messages
  size_t n = 0;                     // rows, >= 1
  size_t num_classes = 0;           // binary 2, multiclass K, regression 0
  Column labels;       // n: 0/1, class index or regression target
  Column scores;       // binary: n probabilities of class 1
  Column probs;        // multiclass: n x K row-major, rows sum to 1 within 1e-3
  Column predictions;  // regression: n
  Column logits;       // multiclass with want_logits: n x K row-major
  std::vector<KeyColumn> keys;      // keep_columns, in their order (duplicates dropped)

  // The kept column of that name, or nullptr.
  const KeyColumn* find_key(std::string_view name) const;
  // Spans over this object's columns (valid while it lives, unmoved).
  TaskColumns task_columns() const;
};

// Reads FILE.csv, FILE.tsv (either optionally .gz) or FILE.npy (by extension,
// case-insensitive; ConfigError for another). Throws InputError as described above, and "<path>: cannot open:
// <reason>" or "<path>: is a directory"; ConfigError for bad options
// (want_logits with binary or regression, an empty column name or prefix, the
// same prefix for probabilities and logits, one column given two roles).
Predictions read_predictions(const std::filesystem::path& path, const ReadOptions& options);

// The same for CSV text in memory; `source` starts every error message.
Predictions parse_predictions_csv(std::string_view text, std::string_view source, const ReadOptions& options);

// The same for an NPY file in memory (keep_columns must be empty and want_logits
// false: InputError naming the source otherwise, as the file has neither).
Predictions parse_predictions_npy(std::span<const std::byte> bytes, std::string_view source,
                                  const ReadOptions& options);

}  // namespace dpeval::eval
