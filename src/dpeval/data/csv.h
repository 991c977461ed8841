// CSV tables as classification datasets.
//
// The rules, in the order they apply:
// - Text: the one table reader's, strict (data/table_reader.h, docs/TABLES.md):
//   RFC 4180. The first record is the header. Fields are separated by
//   `delimiter`; a double-quoted field may contain the delimiter, line breaks and
//   quotes written "". LF, CRLF or bare CR line endings; a UTF-8 BOM and blank
//   lines are skipped. Spaces and tabs around a cell are ignored. A '"' inside an
//   unquoted field, text after a closing quote, an unterminated quote and a cell
//   over 1 MiB are errors naming the line, column and byte. Line numbers in
//   messages are 1-based lines of the file (the line where the offending cell starts).
// - Header: names must be non-empty and distinct; one of them is the label column.
// - Every record must have as many fields as the header.
// - Column types (Note [CSV column types] in csv.cc): a column is numeric when more
//   than half of its non-empty cells parse as numbers (fast_float: "1", "-2.5e3",
//   "+.5"; also "nan"/"inf", which are then rejected); otherwise it is categorical.
//   In a numeric column every cell must be a finite number: an empty cell, a word
//   or NaN/Inf is an error naming the line and column. A column whose cells are
//   all empty is an error.
// - Features: the numeric columns other than the label, in file order, as float32;
//   sample_shape is [F] and feature_names() are their header names. At least one
//   is required.
// - Categorical columns: every other column becomes a CategoricalColumn (values =
//   the sorted distinct cell texts, empty included); they are not features.
// - Labels: if more than half of the label cells are numbers, every label must be
//   an integer class index 0..1048575 (written "3" or "3.0"), used as-is, with
//   num_classes = max + 1 and class names "0".."K-1"; a negative, fractional or
//   non-numeric label is an error naming the line. Otherwise labels are strings:
//   class names are the sorted distinct label texts and a label is its index there.
//   An empty label is always an error.
// All errors are InputError "<source>:<line>: column '<name>': <what>, expected <what>";
// when more than one cell is bad the message counts the others.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "dpeval/data/dataset.h"

namespace dpeval::data {

struct CsvOptions {
  std::string label_col = "label";
  char delimiter = ',';  // any byte except '"', '\n' and '\r' (ConfigError otherwise)
};

// Parses CSV text into a Dataset named `source_name` (which also starts every
// error message). Throws InputError (see the rules above) or ConfigError for a bad
// delimiter. An empty text, a header without data rows, more than 2^32 - 2 rows
// or no numeric feature column are errors too.
Dataset parse_csv_dataset(std::string_view text, std::string_view source_name, const CsvOptions& options);
// read_table_file(path) (a .gz file is decompressed, data/table.h) then
// parse_csv_dataset with the path as the source name.
Dataset read_csv_dataset(const std::filesystem::path& path, const CsvOptions& options);

}  // namespace dpeval::data
