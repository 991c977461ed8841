// CSV -> Dataset in two steps: scan (tokenize every record once, parse numbers
// with fast_float straight from the text, keep only non-numeric cells) and decide
// (column types, label kind, the first error). A second tokenizing pass runs only
// for categorical columns that contain some numeric-looking cells, whose text the
// scan did not keep.
//
// Note [CSV column types]
// A column cannot say what it is, and both obvious rules fail someone: "numeric if
// every cell parses" turns a numeric column with one typo ("1.2", "3.4", "n/a")
// silently into a categorical one, dropping a feature without a word; "numeric if
// any cell parses" rejects categorical columns that happen to contain "1". We use
// the majority of non-empty cells: more than half numbers means the author meant
// numbers, so the rest are errors that name their line; otherwise the column is
// categorical and every cell (numbers included) is a category name. Ties go to
// categorical. The same rule chooses integer or string labels.
#include "dpeval/data/csv.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/number.h"
#include "dpeval/data/table.h"
#include "dpeval/data/table_reader.h"
#include "dpeval/data/text.h"

namespace dpeval::data {
namespace {


constexpr uint64_t kMaxRows = std::numeric_limits<uint32_t>::max() - 1;
constexpr int64_t kMaxIntegerLabel = (1 << 20) - 1;

// A cell kept for later: its row, the line it starts on and its trimmed text.
struct Cell {
  uint32_t row = 0;
  uint64_t line = 0;
  std::string_view text;
};

// What the scan learned about one non-label column.
struct ColumnScan {
  std::vector<float> values;  // one per row; 0 where the cell is not a number
  uint64_t numbers = 0;       // cells that parsed as numbers, finite or not
  uint64_t words = 0;         // non-empty cells that did not
  std::vector<Cell> others;   // every cell that is not a number (empty ones too), in row order
  uint64_t non_finite = 0;
  Cell first_non_finite;
};

// The earliest problem seen so far and how many there are in all.
class Problems {
 public:
  void add(uint64_t line, std::string message, uint64_t count = 1) {
    if (count == 0) return;
    total_ += count;
    if (!first_ || line < first_->first) first_.emplace(line, std::move(message));
  }
  void throw_if_any() const {
    if (!first_) return;
    std::string message = first_->second;
    if (total_ > 1) message += fmt::format(" (and {} more bad cell{})", total_ - 1, total_ > 2 ? "s" : "");
    throw InputError(message);
  }

 private:
  std::optional<std::pair<uint64_t, std::string>> first_;
  uint64_t total_ = 0;
};

TableDialect dialect_of(const CsvOptions& options) {
  TableDialect dialect;
  dialect.delimiter = options.delimiter;
  return dialect;
}

class CsvBuilder {
 public:
  CsvBuilder(std::string_view text, std::string_view source, const CsvOptions& options)
      : text_(text), source_(source), options_(options), tokenizer_(text, source, dialect_of(options)) {}

  Dataset build() {
    read_header();
    scan_rows();
    return decide();
  }

 private:
  std::string at(uint64_t line) const { return fmt::format("{}:{}: ", source_, line); }
  std::string column(size_t j) const { return "column " + quote_excerpt(names_[j]); }

  // A view that outlives the current record (copied only for fields with "" escapes).
  std::string_view keep(std::string_view field) { return keep_from(tokenizer_, field); }

  void read_header() {
    if (!tokenizer_.next()) {
      throw InputError(std::string(source_) + ": file is empty; expected a header row and data rows");
    }
    header_line_ = tokenizer_.line();
    for (std::string_view field : tokenizer_.fields()) names_.emplace_back(field);
    tokenizer_.set_column_names(&names_);
    std::vector<std::pair<std::string_view, size_t>> sorted;
    for (size_t j = 0; j < names_.size(); ++j) {
      if (names_[j].empty()) {
        throw InputError(at(header_line_) +
                         fmt::format("column {} has an empty name; expected a header row of "
                                     "distinct, non-empty column names",
                                     j + 1));
      }
      sorted.emplace_back(names_[j], j);
    }
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 1; i < sorted.size(); ++i) {
      if (sorted[i].first == sorted[i - 1].first) {
        throw InputError(at(header_line_) + fmt::format("column name {} appears twice (columns {} and {}); "
                                                        "expected distinct names",
                                                        quote_excerpt(sorted[i].first),
                                                        sorted[i - 1].second + 1, sorted[i].second + 1));
      }
    }
    const auto it = std::find(names_.begin(), names_.end(), options_.label_col);
    if (it == names_.end()) throw_missing_label();
    label_ = static_cast<size_t>(it - names_.begin());
  }

  [[noreturn]] void throw_missing_label() const {
    std::string found;
    for (size_t j = 0; j < names_.size() && j < 20; ++j) found += (j ? ", " : "") + quote_excerpt(names_[j]);
    if (names_.size() > 20) found += fmt::format(", ... ({} in all)", names_.size());
    std::string hint = "choose the label column with --label-col";
    if (names_.size() == 1) {
      for (char d : {';', '\t', ',', '|'}) {
        if (d != options_.delimiter && names_[0].find(d) != std::string::npos) {
          hint = fmt::format("the header has a single column: is the file delimited by {}?",
                             quote_excerpt(std::string_view(&d, 1)));
          break;
        }
      }
    }
    throw InputError(at(header_line_) + fmt::format("no label column {}; the header has {} ({})",
                                                    quote_excerpt(options_.label_col), found, hint));
  }

  void scan_rows() {
    const size_t width = names_.size();
    scans_.resize(width);
    // Reserve for the number of lines left: an upper bound on the rows.
    const auto lines = static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n')) + 1;
    for (size_t j = 0; j < width; ++j) {
      if (j != label_) scans_[j].values.reserve(lines);
    }
    labels_.reserve(lines);
    uint32_t row = 0;
    while (tokenizer_.next()) {
      const auto& fields = tokenizer_.fields();
      if (fields.size() != width) {
        throw InputError(at(tokenizer_.line()) + fmt::format("expected {} fields as in the header (line {}), "
                                                             "got {}",
                                                             width, header_line_, fields.size()));
      }
      if (row == kMaxRows) {
        throw InputError(at(tokenizer_.line()) +
                         fmt::format("more than {} data rows; split the file", kMaxRows));
      }
      for (size_t j = 0; j < width; ++j) {
        const std::string_view cell = fields[j];
        if (j == label_) {
          labels_.push_back({row, tokenizer_.field_line(j), keep(cell)});
          continue;
        }
        ColumnScan& scan = scans_[j];
        float value;
        if (parse_number(cell, &value)) {
          scan.values.push_back(value);
          ++scan.numbers;
          if (!std::isfinite(value) && scan.non_finite++ == 0) {
            scan.first_non_finite = {row, tokenizer_.field_line(j), keep(cell)};
          }
        } else {
          scan.values.push_back(0.0f);
          scan.words += !cell.empty();
          scan.others.push_back({row, tokenizer_.field_line(j), keep(cell)});
        }
      }
      ++row;
    }
    rows_ = row;
    if (rows_ == 0) throw InputError(at(header_line_) + "the file has a header but no data rows");
  }

  Dataset decide() {
    Problems problems;
    std::vector<size_t> numeric, categorical;
    for (size_t j = 0; j < names_.size(); ++j) {
      if (j == label_) continue;
      const ColumnScan& scan = scans_[j];
      if (scan.numbers + scan.words == 0) {
        problems.add(header_line_,
                     at(header_line_) + column(j) +
                         ": every cell is empty; expected numbers or categories (drop the column)");
      } else if (scan.numbers > scan.words) {
        numeric.push_back(j);
        check_numeric(j, problems);
      } else {
        categorical.push_back(j);
      }
    }
    std::vector<int32_t> labels(rows_);
    std::vector<std::string> class_names;
    const int num_classes = decide_labels(labels, class_names, problems);
    problems.throw_if_any();
    if (numeric.empty()) {
      std::string which;
      for (size_t j : categorical) which += (which.empty() ? "" : ", ") + quote_excerpt(names_[j]);
      throw InputError(at(header_line_) +
                       "no numeric feature columns; expected at least one besides the label " +
                       quote_excerpt(options_.label_col) +
                       (which.empty() ? std::string() : " (categorical columns: " + which + ")"));
    }

    const size_t f = numeric.size();
    std::vector<float> features(rows_ * f);
    for (size_t k = 0; k < f; ++k) {
      const std::vector<float>& values = scans_[numeric[k]].values;
      for (size_t r = 0; r < rows_; ++r) features[r * f + k] = values[r];
    }
    Dataset dataset = Dataset::from_f32(std::string(source_), Shape{static_cast<int64_t>(f)},
                                        std::move(features), std::move(labels), num_classes);
    std::vector<std::string> feature_names;
    for (size_t j : numeric) feature_names.push_back(names_[j]);
    dataset.set_feature_names(std::move(feature_names));
    if (!class_names.empty()) dataset.set_class_names(std::move(class_names));
    for (CategoricalColumn& c : build_categorical(categorical)) dataset.add_categorical_column(std::move(c));
    return dataset;
  }

  void check_numeric(size_t j, Problems& problems) const {
    const ColumnScan& scan = scans_[j];
    if (!scan.others.empty()) {
      const Cell& cell = scan.others.front();
      std::string message =
          cell.text.empty()
              ? ": empty cell, expected a number (missing values are not supported; fill or drop them first)"
              : fmt::format(
                    ": expected a number, got {} (the column is numeric: {} of its {} non-empty cells "
                    "are numbers)",
                    quote_excerpt(cell.text), scan.numbers, scan.numbers + scan.words);
      problems.add(cell.line, at(cell.line) + column(j) + message, scan.others.size());
    }
    if (scan.non_finite > 0) {
      const Cell& cell = scan.first_non_finite;
      const bool overflow =
          std::any_of(cell.text.begin(), cell.text.end(), [](char c) { return c >= '0' && c <= '9'; });
      problems.add(
          cell.line,
          at(cell.line) + column(j) +
              fmt::format(": expected a finite number, got {} ({})", quote_excerpt(cell.text),
                          overflow ? "out of float32 range" : "NaN and infinity are not allowed in features"),
          scan.non_finite);
    }
  }

  // Fills labels; returns num_classes. class_names stays empty for integer labels.
  int decide_labels(std::vector<int32_t>& labels, std::vector<std::string>& class_names, Problems& problems) {
    const std::string label_column = column(label_);
    std::vector<double> values(rows_);
    std::vector<uint8_t> is_number(rows_);
    uint64_t numbers = 0, words = 0;
    for (const Cell& cell : labels_) {
      if (cell.text.empty()) {
        problems.add(cell.line, at(cell.line) + label_column + ": empty label, expected a class");
        continue;
      }
      is_number[cell.row] = parse_number(cell.text, &values[cell.row]);
      (is_number[cell.row] ? numbers : words) += 1;
    }
    if (numbers > words) {
      int64_t max_label = 0;
      for (const Cell& cell : labels_) {
        if (cell.text.empty()) continue;
        const double v = values[cell.row];
        std::string what;
        if (!is_number[cell.row]) {
          what = fmt::format(
              "expected an integer class index, got {} (the labels are numeric: {} of {} are "
              "numbers)",
              quote_excerpt(cell.text), numbers, numbers + words);
        } else if (!(v == std::floor(v))) {
          what = fmt::format("expected an integer class index, got {}", quote_excerpt(cell.text));
        } else if (v < 0) {
          what = fmt::format("label {} is negative; expected a class index 0..K-1", quote_excerpt(cell.text));
        } else if (v > kMaxIntegerLabel) {
          what = fmt::format("label {} is too large; integer labels are class indices, expected at most {}",
                             quote_excerpt(cell.text), kMaxIntegerLabel);
        } else {
          labels[cell.row] = static_cast<int32_t>(v);
          max_label = std::max<int64_t>(max_label, labels[cell.row]);
          continue;
        }
        problems.add(cell.line, at(cell.line) + label_column + ": " + what);
      }
      return static_cast<int>(max_label + 1);
    }
    std::vector<std::string_view> distinct;
    for (const Cell& cell : labels_) distinct.push_back(cell.text);
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (const Cell& cell : labels_) {
      labels[cell.row] = static_cast<int32_t>(std::lower_bound(distinct.begin(), distinct.end(), cell.text) -
                                              distinct.begin());
    }
    if (distinct.size() > static_cast<size_t>(kMaxIntegerLabel) + 1) {
      problems.add(header_line_, at(header_line_) + label_column +
                                     fmt::format(": {} distinct labels; expected at most {} classes",
                                                 distinct.size(), kMaxIntegerLabel + 1));
      return 1;
    }
    class_names.assign(distinct.begin(), distinct.end());
    return static_cast<int>(class_names.size());
  }

  std::vector<CategoricalColumn> build_categorical(const std::vector<size_t>& columns) {
    // Columns whose numeric-looking cells were not kept need a second pass for their text.
    std::vector<std::vector<std::string_view>> texts(names_.size());
    bool second_pass = false;
    for (size_t j : columns) {
      if (scans_[j].numbers > 0) {
        texts[j].reserve(rows_);
        second_pass = true;
      } else {
        for (const Cell& cell : scans_[j].others) texts[j].push_back(cell.text);
      }
    }
    if (second_pass) {
      TableRecords again(text_, source_, dialect_of(options_));
      again.next();  // header
      while (again.next()) {
        for (size_t j : columns) {
          if (scans_[j].numbers > 0) {
            texts[j].push_back(keep_from(again, again.fields()[j]));
          }
        }
      }
    }
    std::vector<CategoricalColumn> out;
    for (size_t j : columns) {
      std::vector<std::string_view> distinct = texts[j];
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      CategoricalColumn c{names_[j], std::vector<std::string>(distinct.begin(), distinct.end()), {}};
      c.codes.reserve(rows_);
      for (std::string_view t : texts[j]) {
        c.codes.push_back(
            static_cast<uint32_t>(std::lower_bound(distinct.begin(), distinct.end(), t) - distinct.begin()));
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  std::string_view keep_from(const TableRecords& tokenizer, std::string_view field) {
    if (tokenizer.in_text(field)) return field;
    return arena_.emplace_back(field);
  }

  std::string_view text_;
  std::string_view source_;
  const CsvOptions& options_;
  TableRecords tokenizer_;
  std::deque<std::string> arena_;  // unescaped copies of fields that had "" in them
  std::vector<std::string> names_;
  uint64_t header_line_ = 0;
  size_t label_ = 0;
  size_t rows_ = 0;
  std::vector<ColumnScan> scans_;
  std::vector<Cell> labels_;
};

}  // namespace

Dataset parse_csv_dataset(std::string_view text, std::string_view source_name, const CsvOptions& options) {
  if (options.delimiter == '"' || options.delimiter == '\n' || options.delimiter == '\r') {
    throw ConfigError(
        fmt::format("CSV delimiter {} is not allowed; expected a character other than a quote or a "
                    "line break",
                    quote_excerpt(std::string_view(&options.delimiter, 1))));
  }
  return CsvBuilder(text, source_name, options).build();
}

Dataset read_csv_dataset(const std::filesystem::path& path, const CsvOptions& options) {
  const std::string text = read_table_file(path);
  return parse_csv_dataset(text, path.string(), options);
}

}  // namespace dpeval::data
