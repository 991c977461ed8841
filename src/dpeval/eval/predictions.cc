// read_predictions and what is not CSV-specific: task names, option checks,
// mapping the file, NPY arrays. The CSV parse is internal/prediction_csv.cc.
#include "dpeval/eval/predictions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <span>
#include <utility>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/mapped_file.h"
#include "dpeval/data/table.h"
#include "dpeval/data/text.h"
#include "dpeval/data/npy.h"
#include "dpeval/eval/internal/prediction_cells.h"
#include "dpeval/eval/internal/prediction_csv.h"

namespace dpeval::eval {

namespace internal {

std::string cell_expected(CellKind kind, size_t num_classes) {
  switch (kind) {
    case CellKind::kBinaryLabel:
      return "0 or 1 (a binary label)";
    case CellKind::kClassLabel:
      return fmt::format("a class index 0..{} (K = {} classes)", num_classes - 1, num_classes);
    case CellKind::kFinite:
      return "a finite number";
    case CellKind::kProbability:
      return "a probability in [0, 1]";
  }
  return "a number";
}

void ProblemLog::throw_if_any() const {
  if (count_ == 0) return;
  if (count_ == 1) throw InputError(first_);
  throw InputError(first_ + fmt::format(" (and {} more problem{})", count_ - 1, count_ > 2 ? "s" : ""));
}

}  // namespace internal

namespace {

using data::quote_excerpt;

void check_read_options(const ReadOptions& options) {
  const PredictionColumns& c = options.columns;
  const std::pair<std::string_view, const std::string*> names[] = {{"label column", &c.label},
                                                                   {"score column", &c.score},
                                                                   {"prediction column", &c.prediction},
                                                                   {"probability prefix", &c.prob_prefix},
                                                                   {"logit prefix", &c.logit_prefix}};
  for (const auto& [what, name] : names) {
    if (name->empty()) throw ConfigError(fmt::format("the {} name is empty; expected a column name", what));
  }
  data::TableDialect dialect;
  dialect.delimiter = options.delimiter;
  data::check_table_dialect(dialect);
  if (options.want_logits && options.task != Task::multiclass) {
    throw ConfigError(fmt::format("logits are read for multiclass predictions only, not for --task {}",
                                  task_name(options.task)));
  }
  if (options.want_logits && c.prob_prefix == c.logit_prefix) {
    throw ConfigError(
        fmt::format("the probability and logit prefixes are both {}; expected two different ones",
                    quote_excerpt(c.prob_prefix)));
  }
}

// A file's bytes: mapped read-only when it is a regular file (no copy, and the
// pages are the page cache's), read into memory otherwise (a pipe, say).
class FileBytes {
 public:
  explicit FileBytes(const std::filesystem::path& path) : map_(path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      throw InputError(path.string() + ": is a directory; expected a predictions file (.csv or .npy)");
    }
    if (!map_.mapped()) copy_ = read_file(path);  // and its error when the file cannot be opened
  }

  // Drops the mapped pages wholly inside text()[begin, end) from memory (they
  // come back from the page cache if read again); nothing for a copy.
  void release(size_t begin, size_t end) const { map_.release(begin, end); }
  void populate(size_t begin, size_t end) const { map_.populate(begin, end); }

  std::string_view text() const { return map_.mapped() ? map_.text() : std::string_view(copy_); }

 private:
  MappedFile map_;
  std::string copy_;
};

// The NPY layout of a task, for messages.
std::string npy_layout(Task task) {
  switch (task) {
    case Task::binary:
      return "[n, 2] = (label, score)";
    case Task::multiclass:
      return "[n, 1 + K] = (label, prob_0 .. prob_{K-1}), K >= 2";
    case Task::regression:
      return "[n, 2] = (label, prediction)";
  }
  return "";
}

}  // namespace

Task parse_task(std::string_view name) {
  if (name == "binary") return Task::binary;
  if (name == "multiclass") return Task::multiclass;
  if (name == "regression") return Task::regression;
  throw ConfigError(
      fmt::format("unknown task {}; expected binary, multiclass or regression", quote_excerpt(name)));
}

const KeyColumn* Predictions::find_key(std::string_view name) const {
  for (const KeyColumn& key : keys) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

TaskColumns Predictions::task_columns() const {
  TaskColumns c;
  c.task = task;
  c.labels = labels;
  c.scores = scores;
  c.probs = probs;
  c.num_classes = task == Task::multiclass ? num_classes : 0;
  c.predictions = predictions;
  return c;
}

Predictions parse_predictions_csv(std::string_view text, std::string_view source,
                                  const ReadOptions& options) {
  check_read_options(options);
  return internal::parse_csv_predictions(text, source, options);
}

Predictions parse_predictions_npy(std::span<const std::byte> bytes, std::string_view source,
                                  const ReadOptions& options) {
  using internal::CellKind;
  check_read_options(options);
  if (!options.keep_columns.empty()) {
    throw InputError(
        fmt::format("{}: an NPY array has no named columns, so no column {} to keep for slicing; "
                    "write the predictions as CSV to slice them",
                    source, quote_excerpt(options.keep_columns.front())));
  }
  if (options.want_logits) {
    throw InputError(
        fmt::format("{}: an NPY array of predictions holds no logits; expected a CSV with columns "
                    "{}0 .. {}{{K-1}}",
                    source, options.columns.logit_prefix, options.columns.logit_prefix));
  }
  const data::NpyArray array = data::parse_npy(bytes, source);
  const Task task = options.task;
  if (array.dtype != data::NpyArray::DType::kF32 && array.dtype != data::NpyArray::DType::kF64) {
    throw InputError(fmt::format("{}: dtype {}; expected a float32 or float64 array ('<f4' or '<f8') {}",
                                 source, quote_excerpt(data::npy_descr(array.dtype)), npy_layout(task)));
  }
  const bool multiclass = task == Task::multiclass;
  if (array.shape.size() != 2 || (multiclass ? array.shape[1] < 3 : array.shape[1] != 2)) {
    throw InputError(fmt::format("{}: shape ({}); expected a 2-D array {} for --task {}", source,
                                 data::join_dims(array.shape.data(), array.shape.size()),
                                 npy_layout(task), task_name(task)));
  }
  const auto rows = static_cast<size_t>(array.shape[0]);
  const auto cols = static_cast<size_t>(array.shape[1]);
  if (rows == 0)
    throw InputError(fmt::format("{}: the array has no rows; expected one row per prediction", source));

  Predictions out;
  out.task = task;
  out.source = std::string(source);
  out.n = rows;
  out.num_classes = task == Task::binary ? 2 : multiclass ? cols - 1 : 0;
  const size_t k = out.num_classes;
  out.labels.resize(rows);
  Column& values = task == Task::binary ? out.scores : out.predictions;
  if (multiclass) {
    out.probs.resize(rows * k);
  } else {
    values.resize(rows);
  }
  const bool f32 = array.dtype == data::NpyArray::DType::kF32;
  const std::byte* data = array.data.data();
  const auto element = [&](size_t i) {
    if (f32) {
      float v;
      std::memcpy(&v, data + i * sizeof v, sizeof v);
      return static_cast<double>(v);
    }
    double v;
    std::memcpy(&v, data + i * sizeof v, sizeof v);
    return v;
  };
  const CellKind label_kind = task == Task::binary ? CellKind::kBinaryLabel
                              : multiclass         ? CellKind::kClassLabel
                                                   : CellKind::kFinite;
  const CellKind value_kind = task == Task::regression ? CellKind::kFinite : CellKind::kProbability;
  const auto column_name = [&](size_t j) -> std::string {
    if (j == 0) return "label";
    if (multiclass) return fmt::format("prob_{}", j - 1);
    return task == Task::binary ? "score" : "prediction";
  };
  internal::ProblemLog problems;
  for (size_t i = 0; i < rows; ++i) {
    bool row_ok = true;
    for (size_t j = 0; j < cols; ++j) {
      const double v = element(i * cols + j);
      const CellKind kind = j == 0 ? label_kind : value_kind;
      if (!internal::cell_ok(kind, v, k)) {
        row_ok = false;
        problems.add([&] {
          return fmt::format("{}: element [{}, {}] ({}): got {}, expected {}", source, i, j, column_name(j),
                             v, internal::cell_expected(kind, k));
        });
      }
      if (j == 0) {
        out.labels[i] = v;
      } else if (multiclass) {
        out.probs[i * k + j - 1] = v;
      } else {
        values[i] = v;
      }
    }
    if (multiclass && row_ok) {
      double sum = 0.0;
      for (size_t c = 0; c < k; ++c) sum += out.probs[i * k + c];
      if (!(std::abs(sum - 1.0) <= kProbabilitySumTolerance)) {
        problems.add([&] {
          return fmt::format(
              "{}: row {} (elements [{}, 1..{}]): the class probabilities sum to {:.6g}, expected "
              "1 within {}",
              source, i, i, k, sum, kProbabilitySumTolerance);
        });
      }
    }
  }
  problems.throw_if_any();
  return out;
}

Predictions read_predictions(const std::filesystem::path& path, const ReadOptions& options) {
  std::string name = path.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string extension = path.extension().string().empty() ? "" : name.substr(name.rfind('.'));
  const bool gzip = name.ends_with(".csv.gz") || name.ends_with(".tsv.gz");
  if (extension != ".csv" && extension != ".tsv" && extension != ".npy" && !gzip) {
    throw ConfigError(fmt::format("predictions file {}: expected a name ending in .csv, .tsv, .csv.gz, .tsv.gz or "
                                  ".npy",
                                  quote_excerpt(path.string(), 200)));
  }
  check_read_options(options);
  ReadOptions csv_options = options;
  csv_options.delimiter = data::table_delimiter_for(name);
  if (gzip) {
    const std::string text = data::read_table_file(path);
    return internal::parse_csv_predictions(text, path.string(), csv_options);
  }
  const FileBytes file(path);
  if (extension == ".npy") {
    return parse_predictions_npy(std::as_bytes(std::span(file.text().data(), file.text().size())),
                                 path.string(), options);
  }
  internal::CsvParseTuning tuning;
  tuning.release = [&file](size_t begin, size_t end) { file.release(begin, end); };
  tuning.populate = [&file](size_t begin, size_t end) { file.populate(begin, end); };
  return internal::parse_csv_predictions(file.text(), path.string(), csv_options, tuning);
}

}  // namespace dpeval::eval
