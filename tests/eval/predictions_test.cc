// The prediction-file reader: good files of each task (CSV and NPY), every kind
// of bad input with the file, line and column its message must name, text
// details (CRLF, BOM, quotes, blank lines), key encoding, and the chunked
// parallel parse against the serial one, bitwise, over 1..8 threads.
#include "dpeval/eval/predictions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/npy.h"
#include "dpeval/eval/internal/prediction_csv.h"

// fresh_dir and throws_input_error are shared with the data tests.
#include "../data/data_test_util.h"

namespace dpeval::eval {
namespace {

namespace fs = std::filesystem;
using data::testing::fresh_dir;
using data::testing::throws_input_error;
using internal::CsvParseTuning;

ReadOptions options_for(Task task, std::vector<std::string> keep = {}) {
  ReadOptions o;
  o.task = task;
  o.keep_columns = std::move(keep);
  return o;
}

Predictions parse(std::string_view text, const ReadOptions& options) {
  return parse_predictions_csv(text, "p.csv", options);
}

Predictions parse(std::string_view text, Task task, std::vector<std::string> keep = {}) {
  return parse(text, options_for(task, std::move(keep)));
}

::testing::AssertionResult bad_csv(std::string_view text, Task task,
                                   const std::vector<std::string_view>& pieces,
                                   std::vector<std::string> keep = {}) {
  return throws_input_error([&] { parse(text, task, keep); }, pieces);
}

template <typename Vector>
bool bitwise_equal(const Vector& a, const Vector& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0);
}

::testing::AssertionResult same(const Predictions& a, const Predictions& b) {
  if (a.task != b.task || a.n != b.n || a.num_classes != b.num_classes) {
    return ::testing::AssertionFailure() << "n " << a.n << " vs " << b.n;
  }
  if (!bitwise_equal(a.labels, b.labels)) return ::testing::AssertionFailure() << "labels differ";
  if (!bitwise_equal(a.scores, b.scores)) return ::testing::AssertionFailure() << "scores differ";
  if (!bitwise_equal(a.probs, b.probs)) return ::testing::AssertionFailure() << "probs differ";
  if (!bitwise_equal(a.predictions, b.predictions))
    return ::testing::AssertionFailure() << "predictions differ";
  if (!bitwise_equal(a.logits, b.logits)) return ::testing::AssertionFailure() << "logits differ";
  if (a.keys.size() != b.keys.size()) return ::testing::AssertionFailure() << "key counts differ";
  for (size_t m = 0; m < a.keys.size(); ++m) {
    if (a.keys[m].name != b.keys[m].name || a.keys[m].values != b.keys[m].values ||
        a.keys[m].codes != b.keys[m].codes) {
      return ::testing::AssertionFailure() << "key " << a.keys[m].name << " differs";
    }
  }
  return ::testing::AssertionSuccess();
}

std::vector<std::byte> npy_f64(std::vector<int64_t> shape, const std::vector<double>& values) {
  data::NpyArray a;
  a.shape = std::move(shape);
  a.dtype = data::NpyArray::DType::kF64;
  a.data.resize(values.size() * sizeof(double));
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());  // no memcpy from null (UBSan)
  return data::encode_npy(a);
}

// ---------------------------------------------------------------------------
// Good files

TEST(PredictionsTask, ParsesTheThreeNames) {
  EXPECT_EQ(parse_task("binary"), Task::binary);
  EXPECT_EQ(parse_task("multiclass"), Task::multiclass);
  EXPECT_EQ(parse_task("regression"), Task::regression);
  EXPECT_THROW(parse_task("Binary"), ConfigError);
  EXPECT_THROW(parse_task(""), ConfigError);
  try {
    parse_task("ranking");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'ranking'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("binary, multiclass or regression"), std::string::npos);
  }
}

TEST(PredictionsCsv, Binary) {
  const Predictions p = parse(
      "label,score,region,comment\n"
      "0,0.1,north,a\n"
      "1,0.9,south,b\n"
      "1.0,0.5,north,c\n",
      Task::binary, {"region"});
  EXPECT_EQ(p.task, Task::binary);
  EXPECT_EQ(p.source, "p.csv");
  EXPECT_EQ(p.n, 3u);
  EXPECT_EQ(p.num_classes, 2u);
  EXPECT_EQ(p.labels, (Column{0, 1, 1}));
  EXPECT_EQ(p.scores, (Column{0.1, 0.9, 0.5}));
  EXPECT_TRUE(p.probs.empty());
  EXPECT_TRUE(p.predictions.empty());
  ASSERT_EQ(p.keys.size(), 1u);
  EXPECT_EQ(p.keys[0].name, "region");
  EXPECT_EQ(p.keys[0].values, (std::vector<std::string>{"north", "south"}));
  EXPECT_EQ(p.keys[0].codes, (std::vector<uint32_t>{0, 1, 0}));
  ASSERT_NE(p.find_key("region"), nullptr);
  EXPECT_EQ(p.find_key("comment"), nullptr);  // not kept
  const TaskColumns c = p.task_columns();
  EXPECT_EQ(c.rows(), 3u);
  EXPECT_EQ(c.scores.data(), p.scores.data());
}

// The table reader's line ends (data/table_reader.h): a bare CR ends a line,
// on the line path and the reader's path alike (the fuzzer found a trailing
// bare CR that the line path read as a short record).
TEST(PredictionsCsv, BareCrLineEndsAsTheTableReaderReadsThem) {
  for (const char* text : {"label,score\r0,0.25\r1,0.75\r", "label,score\n0,0.25\n1,0.75\n\n\r",
                           "label,score\r\n0,0.25\r1,0.75"}) {
    const Predictions p = parse(text, Task::binary);
    ASSERT_EQ(p.n, 2u) << text;
    EXPECT_EQ(p.scores[0], 0.25);
    EXPECT_EQ(p.scores[1], 0.75);
  }
  EXPECT_TRUE(bad_csv("label,score\r0,0.25\r1\r", Task::binary, {"p.csv:3: got 1 field, expected 2"}));
  EXPECT_TRUE(bad_csv("label,score\n0,0.2\"5\n", Task::binary, {"p.csv:2: column 'score': '\"' inside an unquoted field"}));
}

TEST(PredictionsCsv, ColumnsInAnyOrderAndRenamed) {
  ReadOptions o = options_for(Task::binary);
  o.columns.label = "y";
  o.columns.score = "p_hat";
  const Predictions p = parse("id, p_hat ,y\n7,0.25,1\n8, +.75 ,0\n", o);
  EXPECT_EQ(p.labels, (Column{1, 0}));
  EXPECT_EQ(p.scores, (Column{0.25, 0.75}));
}

TEST(PredictionsCsv, Multiclass) {
  const Predictions p = parse(
      "prob_2,label,prob_0,prob_max,prob_1\n"
      "0.2,0,0.5,x,0.3\n"
      "0.7,2,0.1,y,0.2\n",
      Task::multiclass);
  EXPECT_EQ(p.num_classes, 3u);
  EXPECT_EQ(p.n, 2u);
  EXPECT_EQ(p.labels, (Column{0, 2}));
  EXPECT_EQ(p.probs, (Column{0.5, 0.3, 0.2, 0.1, 0.2, 0.7}));
  EXPECT_TRUE(p.logits.empty());
  EXPECT_EQ(p.task_columns().num_classes, 3u);
}

TEST(PredictionsCsv, MulticlassProbPrefix) {
  ReadOptions o = options_for(Task::multiclass);
  o.columns.prob_prefix = "p";
  const Predictions p = parse("label,p0,p1\n1,0.4,0.6\n", o);
  EXPECT_EQ(p.num_classes, 2u);
  EXPECT_EQ(p.probs, (Column{0.4, 0.6}));
}

TEST(PredictionsCsv, MulticlassLogits) {
  ReadOptions o = options_for(Task::multiclass);
  o.want_logits = true;
  const std::string both = "label,prob_0,prob_1,logit_0,logit_1\n0,0.75,0.25,1.5,-1.5\n";
  Predictions p = parse(both, o);
  EXPECT_EQ(p.probs, (Column{0.75, 0.25}));
  EXPECT_EQ(p.logits, (Column{1.5, -1.5}));
  // Without want_logits the logit columns are skipped.
  p = parse(both, Task::multiclass);
  EXPECT_TRUE(p.logits.empty());
  // Logits only: probs are their softmax.
  p = parse("label,logit_0,logit_1,logit_2\n2,0,0,0\n0,1000,0,-1000\n", o);
  EXPECT_EQ(p.num_classes, 3u);
  ASSERT_EQ(p.probs.size(), 6u);
  EXPECT_DOUBLE_EQ(p.probs[0], 1.0 / 3);
  EXPECT_DOUBLE_EQ(p.probs[3], 1.0);
  EXPECT_EQ(p.probs[5], 0.0);
  EXPECT_EQ(p.logits, (Column{0, 0, 0, 1000, 0, -1000}));
}

TEST(PredictionsCsv, Regression) {
  const Predictions p = parse("label,prediction,g\n-1.5,2e3,a\n0,0,b\n", Task::regression, {"g"});
  EXPECT_EQ(p.num_classes, 0u);
  EXPECT_EQ(p.labels, (Column{-1.5, 0}));
  EXPECT_EQ(p.predictions, (Column{2000, 0}));
  EXPECT_TRUE(p.scores.empty());
  EXPECT_EQ(p.keys[0].values, (std::vector<std::string>{"a", "b"}));
}

TEST(PredictionsCsv, DegenerateButValid) {
  EXPECT_EQ(parse("label,score\n1,0.5\n1,0.5\n", Task::binary).n, 2u);       // one class
  EXPECT_EQ(parse("label,prediction\n3,1\n3,2\n", Task::regression).n, 2u);  // constant target
  EXPECT_EQ(parse("label,score\n0,0\n", Task::binary).n, 1u);                // one row, score at the edge
}

TEST(PredictionsCsv, CrlfBomBlankLinesAndNoFinalNewline) {
  const Predictions p = parse("\xEF\xBB\xBFlabel,score\r\n\r\n0,0.25\r\n\n1,0.75", Task::binary);
  EXPECT_EQ(p.labels, (Column{0, 1}));
  EXPECT_EQ(p.scores, (Column{0.25, 0.75}));
  // Lines still count the blank ones: the bad cell is on line 5.
  EXPECT_TRUE(bad_csv("\xEF\xBB\xBFlabel,score\r\n\r\n0,0.25\r\n\n1,7.5\r\n", Task::binary,
                      {"p.csv:5: column 'score': got '7.5'"}));
}

TEST(PredictionsCsv, QuotedFields) {
  const Predictions p = parse(
      "\"label\",score,note,city\n"
      "0,\"0.5\",\"two\nlines\",\"New York, NY\"\n"
      "1,0.75,\"say \"\"hi\"\"\",\"a \"\"b\"\"\"\n",
      Task::binary, {"city"});
  EXPECT_EQ(p.labels, (Column{0, 1}));
  EXPECT_EQ(p.scores, (Column{0.5, 0.75}));
  EXPECT_EQ(p.keys[0].values, (std::vector<std::string>{"New York, NY", "a \"b\""}));
  EXPECT_EQ(p.keys[0].codes, (std::vector<uint32_t>{0, 1}));
  // A bad cell after a field with a line break is named by its true line (4).
  EXPECT_TRUE(bad_csv("label,score,note\n0,0.5,\"two\nlines\"\n1,x,\n", Task::binary,
                      {"p.csv:4: column 'score': got 'x'"}));
}

TEST(PredictionsCsv, KeyEncoding) {
  const Predictions p = parse(
      "label,score,b,a\n"
      "0,0.5,zeta,\n"
      "1,0.5, alpha ,x\n"
      "1,0.5,zeta,x\n"
      "0,0.5,Beta,\n",
      Task::binary, {"a", "b", "label", "a"});
  ASSERT_EQ(p.keys.size(), 3u);  // "a" once
  EXPECT_EQ(p.keys[0].name, "a");
  EXPECT_EQ(p.keys[0].values, (std::vector<std::string>{"", "x"}));
  EXPECT_EQ(p.keys[0].codes, (std::vector<uint32_t>{0, 1, 1, 0}));
  EXPECT_EQ(p.keys[1].values, (std::vector<std::string>{"Beta", "alpha", "zeta"}));  // bytewise, trimmed
  EXPECT_EQ(p.keys[1].codes, (std::vector<uint32_t>{2, 1, 2, 0}));
  EXPECT_EQ(p.keys[2].name, "label");  // a role column may be kept too, as its text
  EXPECT_EQ(p.keys[2].values, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(p.labels, (Column{0, 1, 1, 0}));
}

TEST(PredictionsNpy, EachTask) {
  ReadOptions o = options_for(Task::binary);
  Predictions p = parse_predictions_npy(npy_f64({2, 2}, {0, 0.25, 1, 0.5}), "p.npy", o);
  EXPECT_EQ(p.n, 2u);
  EXPECT_EQ(p.labels, (Column{0, 1}));
  EXPECT_EQ(p.scores, (Column{0.25, 0.5}));
  o.task = Task::multiclass;
  p = parse_predictions_npy(npy_f64({1, 4}, {2, 0.25, 0.25, 0.5}), "p.npy", o);
  EXPECT_EQ(p.num_classes, 3u);
  EXPECT_EQ(p.probs, (Column{0.25, 0.25, 0.5}));
  o.task = Task::regression;
  p = parse_predictions_npy(npy_f64({2, 2}, {1.5, 2.5, -3, 4}), "p.npy", o);
  EXPECT_EQ(p.labels, (Column{1.5, -3}));
  EXPECT_EQ(p.predictions, (Column{2.5, 4}));
  // float32 too.
  data::NpyArray a;
  a.shape = {1, 2};
  const float values[2] = {1.0f, 0.75f};
  a.data.resize(sizeof values);
  std::memcpy(a.data.data(), values, sizeof values);
  o.task = Task::binary;
  p = parse_predictions_npy(data::encode_npy(a), "p.npy", o);
  EXPECT_EQ(p.scores, (Column{0.75}));
}

TEST(PredictionsFile, CsvAndNpyByExtension) {
  const fs::path dir = fresh_dir();
  write_file_atomic(dir / "a.CSV", std::string_view("label,score\n1,0.5\n"));
  const std::vector<std::byte> npy = npy_f64({1, 2}, {1, 0.5});
  write_file_atomic(dir / "a.npy", npy);
  const ReadOptions o = options_for(Task::binary);
  const Predictions a = read_predictions(dir / "a.CSV", o);
  const Predictions b = read_predictions(dir / "a.npy", o);
  EXPECT_EQ(a.source, (dir / "a.CSV").string());
  EXPECT_EQ(a.scores, b.scores);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_THROW(read_predictions(dir / "a.txt", o), ConfigError);
  EXPECT_TRUE(
      throws_input_error([&] { read_predictions(dir / "missing.csv", o); }, {"missing.csv", "cannot open"}));
  fs::create_directories(dir / "d.csv");
  EXPECT_TRUE(throws_input_error([&] { read_predictions(dir / "d.csv", o); }, {"d.csv", "directory"}));
  write_file_atomic(dir / "empty.csv", std::string_view(""));
  EXPECT_TRUE(throws_input_error([&] { read_predictions(dir / "empty.csv", o); }, {"empty.csv", "empty"}));
}

// ---------------------------------------------------------------------------
// Bad input

TEST(PredictionsBad, EmptyAndHeaderOnly) {
  EXPECT_TRUE(bad_csv("", Task::binary, {"p.csv: file is empty"}));
  EXPECT_TRUE(bad_csv("\xEF\xBB\xBF\n\r\n", Task::binary, {"p.csv: file is empty"}));
  EXPECT_TRUE(bad_csv("label,score\n", Task::binary, {"p.csv:1:", "header but no data rows"}));
  EXPECT_TRUE(bad_csv("\nlabel,score\n\n", Task::binary, {"p.csv:2:", "header but no data rows"}));
  EXPECT_TRUE(bad_csv("\"label\",score", Task::binary, {"p.csv:1:", "header but no data rows"}));
}

TEST(PredictionsBad, MissingColumns) {
  EXPECT_TRUE(bad_csv("label,prob\n1,0.5\n", Task::binary,
                      {"p.csv:1:", "no score column 'score'", "'label', 'prob'", "--score-col"}));
  EXPECT_TRUE(
      bad_csv("y,score\n1,0.5\n", Task::binary, {"p.csv:1:", "no label column 'label'", "--label-col"}));
  EXPECT_TRUE(bad_csv("label,prob_0,prob_1\n1,0.5,0.5\n", Task::binary, {"--task multiclass"}));
  EXPECT_TRUE(bad_csv("label,score\n1,0.5\n", Task::multiclass, {"prob_0, prob_1", "--task binary"}));
  EXPECT_TRUE(bad_csv("label,score\n1,0.5\n", Task::regression, {"no prediction column 'prediction'"}));
  EXPECT_TRUE(bad_csv("label;score\n1;0.5\n", Task::binary, {"delimited by ';'"}));
  EXPECT_TRUE(bad_csv("label,score\n1,0.5\n", Task::binary,
                      {"p.csv:1:", "no column 'region'", "'label', 'score'"}, {"region"}));
  EXPECT_TRUE(
      bad_csv("label,score,score\n1,0.5,0.5\n", Task::binary, {"'score' appears twice (columns 2 and 3)"}));
}

TEST(PredictionsBad, ProbabilityColumns) {
  EXPECT_TRUE(
      bad_csv("label,prob_0,prob_2\n0,0.5,0.5\n", Task::multiclass, {"p.csv:1:", "'prob_1' is missing"}));
  EXPECT_TRUE(bad_csv("label,prob_0\n0,1\n", Task::multiclass, {"only one probability column 'prob_0'"}));
  EXPECT_TRUE(
      bad_csv("label,prob_0,prob_01\n0,0.5,0.5\n", Task::multiclass, {"column 'prob_01'", "leading zeros"}));
  ReadOptions o = options_for(Task::multiclass);
  o.want_logits = true;
  EXPECT_TRUE(
      throws_input_error([&] { parse("label,prob_0,prob_1\n0,0.5,0.5\n", o); }, {"p.csv:1:", "logit_0"}));
  EXPECT_TRUE(
      throws_input_error([&] { parse("label,prob_0,prob_1,logit_0,logit_1,logit_2\n0,0.5,0.5,1,2,3\n", o); },
                         {"2 probability columns but 3 logit columns"}));
}

TEST(PredictionsBad, BadCellsNameFileLineColumnValue) {
  EXPECT_TRUE(bad_csv("label,score\n0,0.5\n1,abc\n", Task::binary,
                      {"p.csv:3: column 'score': got 'abc', expected a probability in [0, 1]"}));
  EXPECT_TRUE(bad_csv("label,score\n0,0.5\n1,\n", Task::binary, {"p.csv:3: column 'score': empty cell"}));
  EXPECT_TRUE(
      bad_csv("label,score\n2,0.5\n", Task::binary, {"p.csv:2: column 'label': got '2', expected 0 or 1"}));
  EXPECT_TRUE(bad_csv("label,score\n0.5,0.5\n", Task::binary, {"p.csv:2: column 'label': got '0.5'"}));
  EXPECT_TRUE(bad_csv("label,score\n-0,0.5\n1,1.2\n", Task::binary, {"p.csv:3: column 'score': got '1.2'"}));
  EXPECT_TRUE(bad_csv("label,score\n1,-0.01\n", Task::binary, {"p.csv:2: column 'score': got '-0.01'"}));
  EXPECT_TRUE(bad_csv("label,score\n1,nan\n", Task::binary, {"p.csv:2: column 'score': got 'nan'"}));
  EXPECT_TRUE(bad_csv("label,score\nNaN,0.5\n", Task::binary, {"p.csv:2: column 'label': got 'NaN'"}));
  EXPECT_TRUE(bad_csv("label,prob_0,prob_1,prob_2\n3,0.2,0.3,0.5\n", Task::multiclass,
                      {"p.csv:2: column 'label': got '3', expected a class index 0..2 (K = 3 classes)"}));
  EXPECT_TRUE(bad_csv("label,prob_0,prob_1,prob_2\n1.5,0.2,0.3,0.5\n", Task::multiclass,
                      {"p.csv:2: column 'label': got '1.5'"}));
  EXPECT_TRUE(bad_csv("label,prob_0,prob_1,prob_2\n-1,0.2,0.3,0.5\n", Task::multiclass,
                      {"p.csv:2: column 'label': got '-1'"}));
  EXPECT_TRUE(bad_csv("label,prob_0,prob_1,prob_2\n1,0.2,0.3,0.49\n", Task::multiclass,
                      {"p.csv:2: columns 'prob_0'..'prob_2': the class probabilities sum to 0.99, expected 1 "
                       "within 0.001"}));
  EXPECT_EQ(parse("label,prob_0,prob_1\n1,0.2,0.8005\n", Task::multiclass).n, 1u);  // within 1e-3
  EXPECT_TRUE(bad_csv("label,prediction\ninf,1\n", Task::regression,
                      {"p.csv:2: column 'label': got 'inf', expected a finite number"}));
  EXPECT_TRUE(bad_csv("label,prediction\n1,1e999\n", Task::regression,
                      {"p.csv:2: column 'prediction': got '1e999'"}));
  ReadOptions o = options_for(Task::multiclass);
  o.want_logits = true;
  EXPECT_TRUE(throws_input_error([&] { parse("label,logit_0,logit_1\n1,-inf,0\n", o); },
                                 {"p.csv:2: column 'logit_0': got '-inf', expected a finite number"}));
}

TEST(PredictionsBad, RaggedRows) {
  EXPECT_TRUE(bad_csv("label,score,region\n0,0.5,a\n1,0.5\n", Task::binary,
                      {"p.csv:3: got 2 fields, expected 3 as in the header (line 1)", "column 'region'"}));
  EXPECT_TRUE(bad_csv("label,score\n0,0.5\n1,0.5,x\n", Task::binary,
                      {"p.csv:3: got 3 fields, expected 2 as in the header (line 1)"}));
}

TEST(PredictionsBad, FirstByLineAndCountOfTheOthers) {
  EXPECT_TRUE(bad_csv("label,score\n0,0.5\n1,x,\n2,0.5\n1,1.5\n", Task::binary,
                      {"p.csv:3: got 3 fields", "(and 2 more problems)"}));
  EXPECT_TRUE(bad_csv("label,score\n0,0.5\n7,1.5\n", Task::binary,
                      {"p.csv:3: column 'label': got '7'", "(and 1 more problem)"}));
  // A quote left open ends the parse, after the bad cells before it.
  EXPECT_TRUE(bad_csv("label,score\n0,2\n1,\"0.5\n", Task::binary,
                      {"p.csv:2: column 'score': got '2'", "(and 1 more problem)"}));
  EXPECT_TRUE(
      bad_csv("label,score\n0,0.5\n1,\"0.5\n", Task::binary, {"p.csv:3:", "unterminated quoted field"}));
}

TEST(PredictionsBad, Options) {
  ReadOptions o = options_for(Task::binary);
  o.want_logits = true;
  EXPECT_THROW(parse("label,score\n1,0.5\n", o), ConfigError);
  o = options_for(Task::binary);
  o.columns.score = "";
  EXPECT_THROW(parse("label,score\n1,0.5\n", o), ConfigError);
  o = options_for(Task::binary);
  o.columns.score = "label";
  EXPECT_THROW(parse("label,score\n1,0.5\n", o), ConfigError);
}

TEST(PredictionsBad, Npy) {
  const auto bad = [](const std::vector<std::byte>& bytes, Task task, std::vector<std::string_view> pieces,
                      std::vector<std::string> keep = {}) {
    return throws_input_error([&] { parse_predictions_npy(bytes, "p.npy", options_for(task, keep)); },
                              pieces);
  };
  EXPECT_TRUE(bad(npy_f64({4}, {0, 1, 0, 1}), Task::binary, {"p.npy: shape (4)", "[n, 2] = (label, score)"}));
  EXPECT_TRUE(bad(npy_f64({1, 3}, {0, 1, 0}), Task::binary, {"p.npy: shape (1 x 3)"}));
  EXPECT_TRUE(bad(npy_f64({1, 2}, {0, 1}), Task::multiclass, {"p.npy: shape (1 x 2)", "K >= 2"}));
  EXPECT_TRUE(bad(npy_f64({0, 2}, {}), Task::binary, {"p.npy: the array has no rows"}));
  EXPECT_TRUE(bad(npy_f64({2, 2}, {0, 0.5, 1, 1.5}), Task::binary,
                  {"p.npy: element [1, 1] (score): got 1.5, expected a probability in [0, 1]"}));
  EXPECT_TRUE(bad(npy_f64({2, 3}, {0, 0.5, 0.5, 2, 0.5, 0.5}), Task::multiclass,
                  {"p.npy: element [1, 0] (label): got 2, expected a class index 0..1"}));
  EXPECT_TRUE(bad(npy_f64({1, 3}, {0, 0.5, 0.4}), Task::multiclass, {"p.npy: row 0", "sum to 0.9"}));
  EXPECT_TRUE(bad(npy_f64({2, 2}, {NAN, 1, 0, INFINITY}), Task::regression,
                  {"p.npy: element [0, 0] (label): got nan", "(and 1 more problem)"}));
  EXPECT_TRUE(bad(npy_f64({1, 2}, {0, 1}), Task::binary, {"p.npy", "'region'", "CSV"}, {"region"}));
  data::NpyArray ints;
  ints.shape = {1, 2};
  ints.dtype = data::NpyArray::DType::kI64;
  ints.data.resize(16);
  EXPECT_TRUE(bad(data::encode_npy(ints), Task::binary, {"p.npy: dtype '<i8'", "float32 or float64"}));
  const std::string junk = "not an npy file";
  EXPECT_TRUE(bad(std::vector<std::byte>(reinterpret_cast<const std::byte*>(junk.data()),
                                         reinterpret_cast<const std::byte*>(junk.data() + junk.size())),
                  Task::binary, {"p.npy"}));
}

// ---------------------------------------------------------------------------
// Chunked parallel parse == serial parse

// A generated file: `rows` rows of the task with a region key, some CRLF lines,
// blank lines and spaces thrown in.
std::string generate(Task task, size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  static const char* kRegions[] = {"north", "south", "east", "west", "", "centre"};
  std::string text = task == Task::binary       ? "label,score,region,id\n"
                     : task == Task::multiclass ? "label,prob_0,prob_1,prob_2,region,id\n"
                                                : "label,prediction,region,id\n";
  char buf[160];
  for (size_t i = 0; i < rows; ++i) {
    const char* region = kRegions[rng() % 6];
    int n = 0;
    if (task == Task::binary) {
      n = std::snprintf(buf, sizeof buf, "%d,%.17g,%s,%zu", static_cast<int>(rng() % 2), u(rng), region, i);
    } else if (task == Task::multiclass) {
      const double a = u(rng), b = u(rng) * (1 - a);
      n = std::snprintf(buf, sizeof buf, "%d,%.17g,%.17g,%.17g,%s,%zu", static_cast<int>(rng() % 3), a, b,
                        1 - a - b, region, i);
    } else {
      n = std::snprintf(buf, sizeof buf, "%.9g, %.6e ,%s,%zu", u(rng) * 100 - 50, u(rng) * 1e6, region, i);
    }
    text.append(buf, static_cast<size_t>(n));
    const uint64_t r = rng() % 100;
    text += r == 0 ? "\r\n" : r == 1 ? "\n\n" : "\n";
  }
  return text;
}

TEST(PredictionsParallel, ChunkedEqualsSerialBitwise) {
  for (Task task : {Task::binary, Task::multiclass, Task::regression}) {
    const std::string text = generate(task, 200000, 7 + static_cast<uint64_t>(task));
    // Binary also keeps the id column: 200k distinct values (dictionary growth, merge of large dictionaries).
    ReadOptions o = options_for(task, task == Task::binary ? std::vector<std::string>{"region", "id"}
                                                           : std::vector<std::string>{"region"});
    o.threads = 1;
    const Predictions serial =
        internal::parse_csv_predictions(text, "g.csv", o, CsvParseTuning{.force_serial = true});
    ASSERT_EQ(serial.n, 200000u);
    ASSERT_EQ(serial.keys[0].values.size(), 6u);
    if (task == Task::binary) {
      ASSERT_EQ(serial.keys[1].values.size(), 200000u);
    }
    for (size_t threads = 1; threads <= 8; ++threads) {
      o.threads = threads;
      EXPECT_TRUE(same(parse_predictions_csv(text, "g.csv", o), serial)) << "threads " << threads;
    }
  }
}

TEST(PredictionsParallel, TinyChunksOnSmallFiles) {
  // Chunks of a few bytes: boundaries land everywhere, chunks are often empty.
  const std::string text = generate(Task::multiclass, 300, 3) + "\n\n";
  ReadOptions o = options_for(Task::multiclass, {"region", "id"});
  const Predictions serial =
      internal::parse_csv_predictions(text, "g.csv", o, CsvParseTuning{.force_serial = true});
  for (size_t threads = 1; threads <= 8; ++threads) {
    o.threads = threads;
    for (size_t bytes : {1, 7, 100}) {
      EXPECT_TRUE(
          same(internal::parse_csv_predictions(text, "g.csv", o, CsvParseTuning{.min_chunk_bytes = bytes}),
               serial))
          << threads << " threads, " << bytes << " bytes";
      // Release blocks of a few bytes: block ends land everywhere too.
      EXPECT_TRUE(same(internal::parse_csv_predictions(
                           text, "g.csv", o, CsvParseTuning{.min_chunk_bytes = 100, .release_block_bytes = bytes}),
                       serial))
          << threads << " threads, release blocks of " << bytes << " bytes";
    }
  }
}

// Every pass asks for each data byte to be mapped once before it reads it;
// both passes release each once, or only the second when the file is small
// enough to stay mapped between them.
TEST(PredictionsParallel, EachPassMapsAndReleasesEveryDataByteOnceAndNothingElse) {
  const std::string text = generate(Task::binary, 5000, 5);
  const size_t data_begin = text.find('\n') + 1;
  for (const size_t keep : {size_t{0}, text.size() - 1, text.size()}) {
    const int releases = text.size() > keep ? 2 : 1;
    for (size_t threads : {1, 2, 3}) {
      std::mutex mutex;
      std::vector<int> released(text.size(), 0), populated(text.size(), 0);
      const auto count = [&](std::vector<int>& into, size_t begin, size_t end) {
        std::lock_guard lock(mutex);
        ASSERT_LE(begin, end);
        ASSERT_LE(end, text.size());
        for (size_t i = begin; i < end; ++i) ++into[i];
      };
      CsvParseTuning tuning{.min_chunk_bytes = 1000, .release_block_bytes = 4096, .keep_mapped_bytes = keep};
      tuning.release = [&](size_t begin, size_t end) { count(released, begin, end); };
      tuning.populate = [&](size_t begin, size_t end) { count(populated, begin, end); };
      ReadOptions o = options_for(Task::binary, {"region"});
      o.threads = threads;
      const Predictions p = internal::parse_csv_predictions(text, "g.csv", o, tuning);
      EXPECT_EQ(p.n, 5000u);
      for (size_t i = 0; i < text.size(); ++i) {
        ASSERT_EQ(released[i], i < data_begin ? 0 : releases) << "byte " << i << ", " << threads << " threads";
        ASSERT_EQ(populated[i], i < data_begin ? 0 : 2) << "byte " << i << ", " << threads << " threads";
      }
    }
  }
}

TEST(PredictionsParallel, AQuoteAfterTheFirstBlockStillTakesTheTokenizerPath) {
  // A quoted field with a line break inside, far into the file: the line path
  // would split that record in two; the reader must notice the '"' and use
  // the tokenizer for the whole file.
  std::string text = "label,score,note\n";
  for (int i = 0; i < 3000; ++i) text += std::to_string(i % 2) + ",0.25,x\n";
  text += "1,0.75,\"two\nlines\"\n";
  ReadOptions o = options_for(Task::binary, {"note"});
  o.threads = 2;
  const Predictions p = internal::parse_csv_predictions(text, "g.csv", o,
                                                        CsvParseTuning{.min_chunk_bytes = 64, .release_block_bytes = 16});
  ASSERT_EQ(p.n, 3001u);
  EXPECT_EQ(p.scores.back(), 0.75);
}

// The line path's fast walk over plain rows (Note [Plain rows] in
// prediction_csv.cc) hands every other line to the general split: each odd
// line below, amid plain ones, must give what the table reader's path gives,
// the same columns bitwise or the same error.
TEST(PredictionsParallel, LinesThatAreNotPlainReadAsTheTableReaderReadsThem) {
  const std::vector<std::string> odd = {
      "1, 0.5,0.25,0.25,north",   // a blank before a number
      "1,0.5 ,0.25,0.25,north",   // after
      "1,+0.5,0.25,0.25,north",   // a '+'
      "1,.5,0.25,0.25,north",     // no leading digit
      "1,5e-1,0.25,0.25,north",   // an exponent
      "1,0.5,0.25,0.25, south ",  // a key with blanks
      "1,0.5,0.25,0.25,",         // an empty key
      "1,0.5,0.25,0.25",          // a field short
      "1,0.5,0.25,0.25,north,x",  // one too many
      "1,0.5,0.25,,north",        // an empty number
      "1,0.5,0.25,0.25x,north",   // text after a number
      "1,1e,0.25,0.25,north",     // an exponent with no digits
      "1,nan,0.25,0.25,north",    // not a probability
      "1,inf,0.25,0.25,north",
      "1,0x1,0.25,0.25,north",    // hexadecimal
      "3,0.5,0.25,0.25,north",    // a label out of range
      "1.0,0.5,0.25,0.25,north",  // a label written as a decimal
      "1,0.6,0.25,0.25,north",    // probabilities that do not sum to 1
      "1,0.5,0.25,0.25\t,north",  // a tab
      "1,0.5,0.25,-0,north",      // would sum to 0.75
      "1,1,0,0,north",
      "2,0.000000000000000000000000001,0,0.999999999999999999999999999,north",  // long mantissas
  };
  for (const std::string& line : odd) {
    std::string text = "label,prob_0,prob_1,prob_2,region\n";
    for (int i = 0; i < 400; ++i) text += std::to_string(i % 3) + ",0.5,0.25,0.25,east\n";
    text += line + "\n";
    for (int i = 0; i < 400; ++i) text += std::to_string(i % 3) + ",0.125,0.375,0.5,west\n";
    ReadOptions o = options_for(Task::multiclass, {"region"});
    o.threads = 2;
    const auto outcome = [&](const CsvParseTuning& tuning) -> std::pair<std::optional<Predictions>, std::string> {
      try {
        return {internal::parse_csv_predictions(text, "g.csv", o, tuning), ""};
      } catch (const InputError& e) {
        return {std::nullopt, e.what()};
      }
    };
    const auto serial = outcome(CsvParseTuning{.force_serial = true});
    const auto lines = outcome(CsvParseTuning{.min_chunk_bytes = 1000});
    ASSERT_EQ(serial.first.has_value(), lines.first.has_value()) << line << ": " << serial.second << lines.second;
    if (serial.first) {
      EXPECT_TRUE(same(*lines.first, *serial.first)) << line;
    } else {
      EXPECT_EQ(lines.second, serial.second) << line;
      EXPECT_NE(lines.second.find("g.csv:402: "), std::string::npos) << line << ": " << lines.second;
    }
  }
}

TEST(PredictionsParallel, ErrorsNameTheTrueLineForAnyThreadCount) {
  std::string text = generate(Task::binary, 200000, 11);
  // Replaces the label of the first non-blank line at or after `line`; returns that line.
  const auto spoil = [&](uint64_t line, const std::string& cell) {
    size_t pos = 0;
    for (uint64_t l = 1; l < line; ++l) pos = text.find('\n', pos) + 1;
    while (text[pos] == '\n' || text[pos] == '\r') {
      pos = text.find('\n', pos) + 1;
      ++line;
    }
    text.replace(pos, text.find(',', pos) - pos, cell);
    return line;
  };
  spoil(190001, "5");
  const uint64_t first = spoil(150001, "x");
  const std::string where = "g.csv:" + std::to_string(first) + ": column 'label': got 'x', expected 0 or 1";
  for (size_t threads = 1; threads <= 8; ++threads) {
    ReadOptions o = options_for(Task::binary);
    o.threads = threads;
    EXPECT_TRUE(
        throws_input_error([&] { parse_predictions_csv(text, "g.csv", o); }, {where, "(and 1 more problem)"}))
        << threads << " threads";
    // Line numbers carry across release blocks.
    EXPECT_TRUE(throws_input_error(
        [&] {
          internal::parse_csv_predictions(text, "g.csv", o, CsvParseTuning{.release_block_bytes = 1000});
        },
        {where, "(and 1 more problem)"}))
        << threads << " threads, small release blocks";
  }
  ReadOptions o = options_for(Task::binary);
  EXPECT_TRUE(throws_input_error(
      [&] { internal::parse_csv_predictions(text, "g.csv", o, CsvParseTuning{.force_serial = true}); },
      {where, "(and 1 more problem)"}));
}

}  // namespace
}  // namespace dpeval::eval
