// CSV reader: column typing, labels, RFC 4180 quoting, line endings, and every
// kind of bad input, each an InputError naming the file, line and column.
#include "dpeval/data/csv.h"

#include <gtest/gtest.h>

#include "data_test_util.h"

namespace dpeval::data {
namespace {

using testing::throws_input_error;

Dataset parse(std::string_view text, const CsvOptions& options = {}) {
  return parse_csv_dataset(text, "t.csv", options);
}

std::vector<float> features_of(const Dataset& d) {
  return {d.f32_features().begin(), d.f32_features().end()};
}
std::vector<int32_t> labels_of(const Dataset& d) { return {d.labels().begin(), d.labels().end()}; }

TEST(Csv, NumericFeaturesIntegerLabelsAndCategories) {
  const Dataset d = parse(
      "x1,color,x2,label\n"
      "1.5,red,-2,0\n"
      "+3,blue,1e3,2\n"
      " 0.25 , red ,.5,2\n");
  EXPECT_EQ(d.name(), "t.csv");
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.sample_shape(), (Shape{2}));
  EXPECT_EQ(features_of(d), (std::vector<float>{1.5f, -2.0f, 3.0f, 1000.0f, 0.25f, 0.5f}));
  EXPECT_EQ(labels_of(d), (std::vector<int32_t>{0, 2, 2}));
  EXPECT_EQ(d.num_classes(), 3);  // max + 1, even though class 1 never occurs
  EXPECT_EQ(d.class_names(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(d.feature_names(), (std::vector<std::string>{"x1", "x2"}));
  ASSERT_EQ(d.categorical_columns().size(), 1u);
  const CategoricalColumn& color = d.categorical_columns()[0];
  EXPECT_EQ(color.name, "color");
  EXPECT_EQ(color.values, (std::vector<std::string>{"blue", "red"}));
  EXPECT_EQ(color.codes, (std::vector<uint32_t>{1, 0, 1}));
}

TEST(Csv, StringLabelsBecomeSortedClassNames) {
  const Dataset d = parse("a,label\n1,dog\n2,cat\n3,dog\n4,bird\n");
  EXPECT_EQ(d.class_names(), (std::vector<std::string>{"bird", "cat", "dog"}));
  EXPECT_EQ(labels_of(d), (std::vector<int32_t>{2, 1, 2, 0}));
  EXPECT_EQ(d.num_classes(), 3);
}

TEST(Csv, IntegralFloatLabelsAreIndices) {
  EXPECT_EQ(labels_of(parse("a,label\n1,1.0\n2,0.0\n")), (std::vector<int32_t>{1, 0}));
}

TEST(Csv, OtherLabelColumnAndDelimiter) {
  CsvOptions options;
  options.label_col = "y";
  options.delimiter = '\t';
  const Dataset d = parse("y\ta\tb\n1\t2\t3\n0\t4\t5\n", options);
  EXPECT_EQ(features_of(d), (std::vector<float>{2, 3, 4, 5}));
  EXPECT_EQ(labels_of(d), (std::vector<int32_t>{1, 0}));
  options.delimiter = '"';
  EXPECT_THROW(parse("y\n1\n", options), ConfigError);
}

TEST(Csv, QuotingCrlfBomAndBlankLines) {
  const Dataset d = parse(
      "\xEF\xBB\xBF"
      "\"x\",\"name\",label\r\n"
      "\r\n"
      "1,\"Smith, \"\"Jr\"\"\",0\r\n"
      "\n"
      "2,\"two\nlines\",1\r\n"
      "\"3\",plain,1");  // no final newline; a quoted number is a number
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(features_of(d), (std::vector<float>{1, 2, 3}));
  const CategoricalColumn* name = d.find_categorical_column("name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->values, (std::vector<std::string>{"Smith, \"Jr\"", "plain", "two\nlines"}));
  EXPECT_EQ(name->codes, (std::vector<uint32_t>{0, 2, 1}));
}

TEST(Csv, CategoricalColumnKeepsNumericLookingCells) {
  // Mostly words: categorical, and "7" is a category name (the second pass keeps its text).
  const Dataset d = parse("x,size,label\n1,S,0\n2,M,0\n3,7,1\n4,L,1\n5,\"M\",0\n");
  const CategoricalColumn* size = d.find_categorical_column("size");
  ASSERT_NE(size, nullptr);
  EXPECT_EQ(size->values, (std::vector<std::string>{"7", "L", "M", "S"}));
  EXPECT_EQ(size->codes, (std::vector<uint32_t>{3, 2, 0, 1, 2}));
  // Empty cells are a category of their own in a categorical column.
  const Dataset e = parse("x,c,label\n1,a,0\n2,,0\n3,b,1\n");
  EXPECT_EQ(e.find_categorical_column("c")->values, (std::vector<std::string>{"", "a", "b"}));
}

TEST(Csv, ReadsFromFile) {
  const auto dir = testing::fresh_dir();
  write_file_atomic(dir / "d.csv", "a,label\n1,0\n2,1\n");
  const Dataset d = read_csv_dataset(dir / "d.csv", {});
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.name(), (dir / "d.csv").string());
  EXPECT_TRUE(
      throws_input_error([&] { read_csv_dataset(dir / "missing.csv", {}); }, {"missing.csv", "cannot open"}));
}

TEST(Csv, RejectsEmptyFilesAndHeaderOnly) {
  EXPECT_TRUE(throws_input_error([] { parse(""); }, {"t.csv: file is empty"}));
  EXPECT_TRUE(throws_input_error([] { parse("\n\r\n"); }, {"t.csv: file is empty"}));
  EXPECT_TRUE(
      throws_input_error([] { parse("a,label\n"); }, {"t.csv:1: the file has a header but no data rows"}));
}

TEST(Csv, RejectsBadHeaders) {
  EXPECT_TRUE(
      throws_input_error([] { parse("a,,label\n1,2,3\n"); }, {"t.csv:1: column 2 has an empty name"}));
  EXPECT_TRUE(throws_input_error([] { parse("a,b,a,label\n1,2,3,4\n"); },
                                 {"t.csv:1: column name 'a' appears twice (columns 1 and 3)"}));
  EXPECT_TRUE(
      throws_input_error([] { parse("x1,x2,target\n1,2,3\n"); },
                         {"t.csv:1: no label column 'label'", "'x1', 'x2', 'target'", "--label-col"}));
  EXPECT_TRUE(throws_input_error([] { parse("x1;x2;label\n1;2;3\n"); }, {"delimited by ';'"}));
}

TEST(Csv, RejectsRaggedRowsNamingTheLine) {
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1,2,0\n\n1,2\n"); },
                                 {"t.csv:4: expected 3 fields as in the header (line 1), got 2"}));
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1,2,0,\n"); }, {"t.csv:2:", "got 4"}));
  // A quoted line break does not start a new line for counting records, but does count as a file line.
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1,\"x\ny\",0\n1,2\n"); }, {"t.csv:4:"}));
}

TEST(Csv, RejectsQuotingErrors) {
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1,2,0\n3,\"open,0\n5,6,0\n"); },
                                 {"t.csv:3: column 'b': unterminated quoted field"}));
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1,\"2\"x,0\n"); },
                                 {"t.csv:2: column 'b': unexpected 'x' after the closing quote"}));
}

TEST(Csv, RejectsStrayWordInNumericColumn) {
  EXPECT_TRUE(throws_input_error([] { parse("x1,x3,label\n1,2,0\n1,3,0\n1,abc,1\n1,4,1\n1,n/a,1\n"); },
                                 {"t.csv:4: column 'x3': expected a number, got 'abc'",
                                  "3 of its 5 non-empty cells", "(and 1 more bad cell)"}));
}

TEST(Csv, RejectsEmptyNumericCells) {
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1,2,0\n3,,1\n"); },
                                 {"t.csv:3: column 'b': empty cell, expected a number"}));
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1,,0\n3,,1\n"); },
                                 {"t.csv:1: column 'b': every cell is empty"}));
}

TEST(Csv, RejectsNonFiniteFeatures) {
  EXPECT_TRUE(
      throws_input_error([] { parse("a,b,label\n1,2,0\n3,nan,1\n"); },
                         {"t.csv:3: column 'b': expected a finite number, got 'nan'", "NaN and infinity"}));
  EXPECT_TRUE(
      throws_input_error([] { parse("a,b,label\n1,-Inf,0\n3,2,1\n"); }, {"t.csv:2: column 'b'", "'-Inf'"}));
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1e39,1,0\n3,2,1\n"); },
                                 {"t.csv:2: column 'a'", "'1e39'", "out of float32 range"}));
}

TEST(Csv, ReportsTheEarliestProblemAcrossColumns) {
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1,2,0\n3,4,0\n5,x,1\n6,7,1\ny,8,0\n9,9,0\n"); },
                                 {"t.csv:4: column 'b'", "(and 1 more bad cell)"}));
}

TEST(Csv, RejectsBadLabels) {
  EXPECT_TRUE(throws_input_error([] { parse("a,label\n1,0\n2,-1\n"); },
                                 {"t.csv:3: column 'label': label '-1' is negative"}));
  EXPECT_TRUE(throws_input_error([] { parse("a,label\n1,0\n2,1.5\n3,1\n"); },
                                 {"t.csv:3: column 'label': expected an integer class index, got '1.5'"}));
  EXPECT_TRUE(
      throws_input_error([] { parse("a,label\n1,0\n2,\n"); }, {"t.csv:3: column 'label': empty label"}));
  EXPECT_TRUE(throws_input_error([] { parse("a,label\n1,0\n2,1\n3,cat\n"); },
                                 {"t.csv:4: column 'label': expected an integer class index, got 'cat'"}));
  EXPECT_TRUE(throws_input_error([] { parse("a,label\n1,0\n2,99999999\n"); }, {"t.csv:3:", "too large"}));
}

TEST(Csv, RejectsTablesWithoutNumericFeatures) {
  EXPECT_TRUE(throws_input_error([] { parse("color,label\nred,0\nblue,1\n"); },
                                 {"t.csv:1: no numeric feature columns", "categorical columns: 'color'"}));
  EXPECT_TRUE(throws_input_error([] { parse("label\n0\n1\n"); }, {"no numeric feature columns"}));
}

TEST(Csv, MessagesStayOneLineForHostileCells) {
  EXPECT_TRUE(throws_input_error([] { parse("a,b,label\n1,2,0\n1,3,0\n1,\"bad\nword\",0\n"); },
                                 {"t.csv:4: column 'b'", "'bad\\x0aword'"}));
}

TEST(Csv, ParsesALargeTableQuickly) {
  std::string text = "f0,f1,f2,f3,f4,f5,f6,f7,label\n";
  for (int r = 0; r < 20000; ++r) {
    for (int c = 0; c < 8; ++c) text += std::to_string(r * 0.001 + c) + ",";
    text += std::to_string(r % 10) + "\n";
  }
  const Dataset d = parse(text);
  EXPECT_EQ(d.size(), 20000u);
  EXPECT_EQ(d.num_classes(), 10);
  EXPECT_FLOAT_EQ(d.f32_features()[8 * 19999 + 7], 19999 * 0.001f + 7);
}

}  // namespace
}  // namespace dpeval::data
