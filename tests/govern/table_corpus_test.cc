// The shared table corpus (tests/data/table_corpus/, expected.json beside the
// files): every file goes through every library entry point that reads tables
// (train: data::read_csv_dataset; predict/eval: eval::read_predictions;
// calibrate: data::read_table_header; audit: govern::scan_csv_file; redact:
// govern::redact_csv; manifest: govern::CsvProfiler through sha256_file or
// read_table_file; and data::parse_table, the reference), and they must make
// the same decision and read the same values. See docs/TABLES.md.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/csv.h"
#include "dpeval/data/table.h"
#include "dpeval/eval/predictions.h"
#include "dpeval/govern/audit_scan.h"
#include "dpeval/govern/csv_profile.h"
#include "dpeval/govern/manifest.h"
#include "dpeval/govern/redact.h"

namespace dpeval::govern {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path corpus_dir() { return fs::path(DPEVAL_SOURCE_DIR) / "tests" / "data" / "table_corpus"; }

bool is_gzip_name(const std::string& name) { return name.ends_with(".gz"); }

// One entry point: reads the file, fills what it saw, or throws.
struct Seen {
  std::vector<std::string> names;  // empty when the entry point does not report them
  std::vector<double> labels;
  std::vector<double> scores;
  std::optional<uint64_t> rows;
  std::optional<double> score_min, score_max, score_mean;
};

struct EntryPoint {
  std::string name;
  bool checks_values;  // refuses a score that is not a probability (train: not a finite number)
  std::function<Seen(const fs::path&)> read;
};

size_t column_of(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

std::vector<EntryPoint> entry_points() {
  std::vector<EntryPoint> out;
  out.push_back({"parse_table", false, [](const fs::path& p) {
                   const std::string text = data::read_table_file(p);
                   const data::Table t =
                       data::parse_table(text, p.string(), data::table_dialect_for(p.string()));
                   if (t.rows() == 0)
                     throw InputError(p.string() + ": the file has a header but no data rows");
                   Seen s;
                   s.names = t.names();
                   s.rows = t.rows();
                   const auto labels = t.numbers(column_of(t.names(), "label"));
                   const auto scores = t.numbers(column_of(t.names(), "score"));
                   s.labels = labels.values;
                   s.scores = scores.values;
                   return s;
                 }});
  out.push_back({"train", true, [](const fs::path& p) {
                   data::CsvOptions options;
                   options.delimiter = data::table_delimiter_for(p.string());
                   const data::Dataset d = data::read_csv_dataset(p, options);
                   Seen s;
                   s.rows = d.size();
                   for (int32_t y : d.labels()) s.labels.push_back(y);
                   const size_t f = d.feature_names().size();
                   const size_t j = column_of(d.feature_names(), "score");
                   for (size_t r = 0; r < d.size(); ++r) s.scores.push_back(d.f32_features()[r * f + j]);
                   return s;
                 }});
  out.push_back({"eval", true, [](const fs::path& p) {
                   eval::ReadOptions options;
                   options.task = eval::Task::binary;
                   options.threads = 2;
                   const eval::Predictions pr = eval::read_predictions(p, options);
                   Seen s;
                   s.rows = pr.n;
                   s.labels.assign(pr.labels.begin(), pr.labels.end());
                   s.scores.assign(pr.scores.begin(), pr.scores.end());
                   return s;
                 }});
  out.push_back({"calibrate_header", false, [](const fs::path& p) {
                   Seen s;
                   s.names = data::read_table_header(p);
                   // The header alone: whether the file is a table is the other readers' call; an
                   // empty file has no header. Rows come from the prediction reader (eval above).
                   return s;
                 }});
  out.push_back({"audit", false, [](const fs::path& p) {
                   ScanOptions options;
                   options.threads = 2;
                   const TableScan scan = scan_csv_file(p, options);
                   Seen s;
                   for (const ColumnStats& c : scan.columns) s.names.push_back(c.name);
                   s.rows = scan.rows;
                   const size_t score = column_of(s.names, "score");
                   if (scan.columns[score].numeric == scan.rows) {
                     s.score_min = scan.columns[score].min;
                     s.score_max = scan.columns[score].max;
                   }
                   for (uint32_t code : scan.labels) s.labels.push_back(std::stod(scan.label_values[code]));
                   return s;
                 }});
  out.push_back({"redact", false, [](const fs::path& p) {
                   RedactOptions options;
                   options.delimiter = data::table_delimiter_for(p.string());
                   options.threads = 2;
                   const PiiReport r = redact_csv(p, std::nullopt, options);
                   Seen s;
                   s.rows = r.rows;
                   return s;
                 }});
  out.push_back({"manifest", false, [](const fs::path& p) {
                   CsvProfiler profiler(data::table_dialect_for(p.string()), p.string());
                   uint64_t size = 0;
                   if (is_gzip_name(p.string())) {
                     profiler.add(data::read_table_file(p));
                   } else {
                     sha256_file(p, size, &profiler);
                   }
                   const CsvProfile profile = profiler.finish();
                   Seen s;
                   for (const ColumnProfile& c : profile.columns) s.names.push_back(c.name);
                   s.rows = profile.rows;
                   const ColumnProfile& score = profile.columns[column_of(s.names, "score")];
                   if (score.numeric == profile.rows) {
                     s.score_min = score.min;
                     s.score_max = score.max;
                     s.score_mean = score.sum / static_cast<double>(score.numeric);
                   }
                   return s;
                 }});
  return out;
}

std::string error_of(const EntryPoint& e, const fs::path& p, Seen* seen) {
  try {
    *seen = e.read(p);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

void expect_accepted(const EntryPoint& e, const Seen& s, const json& want, const std::string& file) {
  SCOPED_TRACE(e.name + " on " + file);
  const std::vector<double> labels = want["labels"].get<std::vector<double>>();
  const std::vector<double> scores = want["scores"].get<std::vector<double>>();
  if (!s.names.empty()) {
    EXPECT_EQ(s.names, want["names"].get<std::vector<std::string>>());
  }
  if (e.name == "calibrate_header") return;
  ASSERT_TRUE(s.rows.has_value());
  EXPECT_EQ(*s.rows, labels.size());
  if (!s.labels.empty()) {
    EXPECT_EQ(s.labels, labels);
  }
  if (!s.scores.empty()) {
    ASSERT_EQ(s.scores.size(), scores.size());
    for (size_t i = 0; i < scores.size(); ++i) {
      // train keeps float32 features; everything else reads the same double.
      const double expected =
          e.name == "train" ? static_cast<double>(static_cast<float>(scores[i])) : scores[i];
      EXPECT_EQ(s.scores[i], expected) << i;
    }
  }
  if (s.score_min) {
    EXPECT_EQ(*s.score_min, *std::min_element(scores.begin(), scores.end()));
  }
  if (s.score_max) {
    EXPECT_EQ(*s.score_max, *std::max_element(scores.begin(), scores.end()));
  }
  if (s.score_mean) {
    double sum = 0;
    for (double v : scores) sum += v;
    EXPECT_EQ(*s.score_mean, sum / static_cast<double>(scores.size()));
  }
}

TEST(TableCorpus, EveryReaderMakesTheSameDecisionAndReadsTheSameValues) {
  std::ifstream in(corpus_dir() / "expected.json");
  ASSERT_TRUE(in) << corpus_dir();
  const json expected = json::parse(in);
  size_t files = 0;
  for (const auto& [file, want] : expected.items()) {
    if (file.starts_with("_")) continue;
    ++files;
    const fs::path path = corpus_dir() / file;
    ASSERT_TRUE(fs::exists(path)) << path;
    const std::string decision = want["decision"];
    for (const EntryPoint& e : entry_points()) {
      SCOPED_TRACE(e.name + " on " + file);
      Seen seen;
      const std::string error = error_of(e, path, &seen);
      const bool header_only_reader = e.name == "calibrate_header";
      if (decision == "accept" || (decision == "bad_values" && !e.checks_values)) {
        EXPECT_EQ(error, "") << "expected the file to be read";
        if (!error.empty()) continue;
        if (decision == "accept") {
          expect_accepted(e, seen, want, file);
        } else {
          if (!seen.names.empty()) {
            EXPECT_EQ(seen.names, want["names"].get<std::vector<std::string>>());
          }
          if (seen.rows) {
            EXPECT_EQ(*seen.rows, want["rows"].get<uint64_t>());
          }
        }
        continue;
      }
      if (header_only_reader) {
        // calibrate reads the header here and the rows through eval's reader: it refuses what
        // that refuses. Its own part must still refuse a file without a header.
        if (want.value("message", "") == "empty") {
          EXPECT_NE(error, "");
        }
        continue;
      }
      // reject, or bad_values for a reader that checks them.
      EXPECT_NE(error, "") << "expected the file to be refused";
      if (want.contains("line")) {
        const std::string where = path.string() + ":" + std::to_string(want["line"].get<int>()) + ":";
        EXPECT_EQ(error.rfind(where, 0), 0u) << error;
      } else {
        EXPECT_EQ(error.rfind(path.string() + ":", 0), 0u) << error;
      }
      if (want.contains("message")) {
        EXPECT_NE(error.find(want["message"].get<std::string>()), std::string::npos) << error;
      }
    }
  }
  EXPECT_GE(files, 25u);
}

// A cell over the bound (data::kMaxTableCellBytes) is refused by every reader,
// whichever column it is in, instead of growing into reports downstream.
TEST(TableCorpus, HugeCellIsRefusedEverywhere) {
  const fs::path path =
      fs::temp_directory_path() / ("dpeval_corpus_huge_" + std::to_string(::getpid()) + ".csv");
  write_file_atomic(path, "label,score,note\n0,0.1,a\n1,0.9," +
                              std::string(data::kMaxTableCellBytes + 1, 'x') + "\n1,0.7,b\n");
  for (const EntryPoint& e : entry_points()) {
    if (e.name == "calibrate_header") continue;
    Seen seen;
    const std::string error = error_of(e, path, &seen);
    EXPECT_EQ(error.rfind(path.string() + ":3: column 'note': cell longer than", 0), 0u)
        << e.name << ": " << error;
  }
  fs::remove(path);
}

}  // namespace
}  // namespace dpeval::govern
