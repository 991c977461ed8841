// The audit checks on planted datasets whose right answers are known exactly:
// 17 duplicated rows, 5 groups of conflicting labels, a 0.5 % class, a leaky
// column, 5 test rows copied from train, schema violations, missing and
// infinite cells, a constant and a near-constant column, a mixed column, a
// shifted column, 6 label-noise suspects and planted PII. Every other row is
// random, so any other finding is a false positive.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/number.h"
#include "dpeval/data/npy.h"
#include "dpeval/govern/audit.h"
#include "dpeval/govern/audit_schema.h"
#include "dpeval/govern/image_hash.h"
#include "govern/audit_json.h"

namespace dpeval::govern {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path test_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("dpeval_audit_test_" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

fs::path write(const std::string& name, const std::string& text) {
  const fs::path p = test_dir() / name;
  write_file_atomic(p, text);
  return p;
}

struct Rng {
  std::mt19937_64 engine;
  explicit Rng(uint64_t seed) : engine(seed) {}
  double uniform() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }
  int below(int n) { return static_cast<int>(engine() % static_cast<uint64_t>(n)); }
};

constexpr int kTrainBase = 2000;
constexpr const char* kHeader = "x1,x2,cat,region,notes,const,nc,drift,leak,label\n";

struct Row {
  std::string x1, x2, cat, region, notes, c = "7", nc = "0", drift, leak, label;
  std::string csv() const {
    return fmt::format("{},{},{},{},{},{},{},{},{},{}\n", x1, x2, cat, region, notes, c, nc, drift, leak, label);
  }
};

Row random_row(Rng& rng, int i, bool test) {
  static const char* kCats[] = {"a", "b", "c", "d"};
  static const char* kRegions[] = {"north", "south", "east", "west"};
  Row r;
  r.x1 = fmt::format("{:.6f}", rng.uniform() * 2000);
  r.x2 = std::to_string(rng.below(100));
  r.cat = kCats[rng.below(4)];
  r.region = kRegions[rng.below(4)];
  r.notes = fmt::format("{} item {}", test ? "test" : "train", i);
  r.drift = fmt::format("{:.6f}", rng.uniform() + (test ? 0.5 : 0.0));
  r.label = std::to_string(rng.below(2));
  return r;
}

struct Planted {
  std::vector<Row> train, test;
};

// See the file comment; row numbers below are 0-based data rows.
Planted planted() {
  Rng rng(42);
  Planted p;
  for (int i = 0; i < kTrainBase; ++i) p.train.push_back(random_row(rng, i, false));
  for (int i = 200; i < 210; ++i) p.train[i].label = "2";  // class '2': 10 of 2022 rows
  for (int i = 300; i < 307; ++i) p.train[i].x2 = "";      // 7 empty cells
  for (int i = 310; i < 313; ++i) p.train[i].cat = "NA";   // 3 NA cells
  for (int i = 400; i < 403; ++i) p.train[i].x2 = "150";   // out of range (schema max 99)
  for (int i = 410; i < 412; ++i) p.train[i].cat = "zzz";  // not allowed
  p.train[420].x2 = "1.5";                                 // wrong type (schema integer)
  p.train[430].x1 = "oops";                                // x1 becomes mixed
  p.train[440].x1 = "inf";                                 // one infinite cell
  for (int i = 450; i < 455; ++i) p.train[i].nc = "1";     // nc: 2017 of 2022 zeros
  for (int i = 480; i < 488; ++i) p.train[i].region = "island";  // 8 rows: a rare group
  p.train[700].notes = "write to jane.roe@example.com";
  p.train[701].notes = "cc bob@example.org";
  p.train[702].notes = "x.y@company.co.uk";
  p.train[710].notes = "call +44 20 7946 0958";
  p.train[711].notes = "call (555) 123-4567";
  p.train[720].notes = "card 4111 1111 1111 1111";
  p.train[730].notes = "iban DE89 3704 0044 0532 0130 00";
  p.train[740].notes = "from 192.168.1.20";
  p.train[750].notes = "ssn 123-45-6789";
  for (Row& r : p.train) r.leak = r.label;
  for (int i = 0; i < 17; ++i) p.train.push_back(p.train[i]);  // 17 exact duplicates
  for (int i = 100; i < 105; ++i) {                          // 5 conflicting pairs
    Row r = p.train[i];
    r.label = r.label == "0" ? "1" : "0";
    p.train.push_back(r);
  }
  Rng test_rng(7);
  for (int i = 0; i < 500; ++i) {
    p.test.push_back(random_row(test_rng, i, true));
    p.test.back().leak = p.test.back().label;
  }
  for (int i = 500; i < 505; ++i) p.test.push_back(p.train[i]);  // 5 test rows copied from train
  return p;
}

std::string csv_of(const std::vector<Row>& rows) {
  std::string s = kHeader;
  for (const Row& r : rows) s += r.csv();
  return s;
}

const json& check(const json& doc, const std::string& id) { return dpeval::testing::audit_check(doc, id); }

uint64_t count(const json& doc, const std::string& id) { return check(doc, id)["count"].get<uint64_t>(); }

class PlantedAudit : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const Planted p = planted();
    train_ = write("train.csv", csv_of(p.train)).string();
    test_ = write("test.csv", csv_of(p.test)).string();
    schema_ = write("schema.toml", R"(
[columns.x2]
type = "integer"
min = 0
max = 99
[columns.cat]
allowed = ["a", "b", "c", "d"]
nullable = false
[columns.age]
type = "integer"
)").string();
    // Out-of-fold probabilities: 0.7 or 0.9 on the given label, 6 planted suspects.
    std::string preds = "label,prob_0,prob_1,prob_2\n";
    for (size_t i = 0; i < p.train.size(); ++i) {
      const int y = std::stoi(p.train[i].label);
      double probs[3];
      if (i >= 600 && i < 606) {
        probs[y] = 0.05;
        probs[(y + 1) % 3] = 0.9;
        probs[(y + 2) % 3] = 0.05;
      } else {
        const double self = i % 2 ? 0.7 : 0.9;
        probs[y] = self;
        probs[(y + 1) % 3] = probs[(y + 2) % 3] = (1 - self) / 2;
      }
      preds += fmt::format("{},{},{},{}\n", y, probs[0], probs[1], probs[2]);
    }
    preds_ = write("oof.csv", preds).string();
    AuditOptions o;
    o.train = train_;
    o.test = test_;
    o.schema = schema_;
    o.group_col = "region";
    o.predictions = preds_;
    o.threads = 2;
    doc_ = new json(run_audit(o));
  }
  static void TearDownTestSuite() { delete doc_; }

  static inline std::string train_, test_, schema_, preds_;
  static inline json* doc_ = nullptr;
};

TEST_F(PlantedAudit, RowsAndRequiredChecksArePresent) {
  const json& d = *doc_;
  EXPECT_EQ(d["rows"]["train"], kTrainBase + 22);
  EXPECT_EQ(d["rows"]["test"], 505);
  for (const char* id : {"quality.missing", "quality.duplicates", "quality.constant", "quality.conflicting_labels",
                         "quality.schema", "leakage.exact", "leakage.near_duplicates", "leakage.single_feature",
                         "imbalance.classes", "label_noise.suspects", "pii.email", "pii.phone", "pii.credit_card",
                         "pii.iban", "pii.ip", "pii.ssn"}) {
    const json& c = check(d, id);
    for (const char* key : {"id", "severity", "count", "value", "message", "examples"}) {
      EXPECT_TRUE(c.contains(key)) << id << " lacks " << key;
    }
  }
  EXPECT_TRUE(check(d, "leakage.near_duplicates").value("skipped", false));  // not images
  EXPECT_NE(check(d, "leakage.near_duplicates")["message"].get<std::string>().find("not image"), std::string::npos);
}

TEST_F(PlantedAudit, Duplicates) {
  const json& c = check(*doc_, "quality.duplicates");
  EXPECT_EQ(c["count"], 17);
  EXPECT_EQ(c["figures"]["groups"], 17);
  EXPECT_EQ(c["examples"][0]["row"], kTrainBase);
  EXPECT_EQ(c["examples"][0]["detail"], "same as row 0");
}

TEST_F(PlantedAudit, ConflictingLabels) {
  const json& c = check(*doc_, "quality.conflicting_labels");
  EXPECT_EQ(c["count"], 10);
  EXPECT_EQ(c["figures"]["groups"], 5);
  EXPECT_EQ(c["examples"][0]["row"], 100);
}

TEST_F(PlantedAudit, MissingInfConstantMixed) {
  const json& m = check(*doc_, "quality.missing");
  EXPECT_EQ(m["count"], 10);
  EXPECT_EQ(m["details"]["columns"]["train"]["x2"], 7);
  EXPECT_EQ(m["details"]["columns"]["train"]["cat"], 3);
  EXPECT_FALSE(m["details"]["columns"].contains("test"));
  EXPECT_EQ(count(*doc_, "quality.inf"), 1);
  const json& k = check(*doc_, "quality.constant");
  EXPECT_EQ(k["count"], 1);
  EXPECT_EQ(k["examples"][0]["column"], "const");
  const json& n = check(*doc_, "quality.near_constant");
  EXPECT_EQ(n["count"], 1);
  EXPECT_EQ(n["examples"][0]["column"], "nc");
  const json& x = check(*doc_, "quality.mixed_types");
  EXPECT_EQ(x["count"], 1);
  EXPECT_EQ(x["examples"][0]["column"], "x1");
  EXPECT_EQ(x["examples"][0]["row"], 430);
}

TEST_F(PlantedAudit, Schema) {
  const json& c = check(*doc_, "quality.schema");
  EXPECT_EQ(c["figures"]["out_of_range"], 3);
  EXPECT_EQ(c["figures"]["not_allowed"], 2);  // "zzz" twice; the NA cells are missing, not values
  EXPECT_EQ(c["figures"]["null_not_allowed"], 3);
  EXPECT_EQ(c["figures"]["wrong_type"], 1);
  EXPECT_EQ(c["figures"]["missing_columns"], 2);  // 'age', absent from train and from test
}

TEST_F(PlantedAudit, LeakageExact) {
  const json& c = check(*doc_, "leakage.exact");
  EXPECT_EQ(c["count"], 5);
  EXPECT_DOUBLE_EQ(c["figures"]["test_share"].get<double>(), 5.0 / 505);
  EXPECT_EQ(c["examples"][0]["row"], 500);
  EXPECT_EQ(c["examples"][0]["detail"], "same features as train row 500");
}

TEST_F(PlantedAudit, SingleFeatureLeakFlagsOnlyTheLeakyColumn) {
  const json& c = check(*doc_, "leakage.single_feature");
  ASSERT_EQ(c["count"], 1) << c.dump(1);
  EXPECT_EQ(c["details"]["columns"][0]["column"], "leak");
}

TEST_F(PlantedAudit, ImbalanceAndGroups) {
  const json& c = check(*doc_, "imbalance.classes");
  EXPECT_EQ(c["count"], 1);
  EXPECT_EQ(c["examples"][0]["detail"], "class '2': 10 rows (0.49 %)");
  const json& g = check(*doc_, "imbalance.groups");
  EXPECT_EQ(g["count"], 1);
  EXPECT_NE(g["examples"][0]["detail"].get<std::string>().find("'island': 8 rows"), std::string::npos);
}

TEST_F(PlantedAudit, ShiftFlagsOnlyTheDriftedColumn) {
  const json& c = check(*doc_, "shift.columns");
  ASSERT_EQ(c["count"], 1) << c.dump(1);
  EXPECT_EQ(c["examples"][0]["column"], "drift");
}

TEST_F(PlantedAudit, LabelNoiseSuspects) {
  const json& c = check(*doc_, "label_noise.suspects");
  EXPECT_EQ(c["count"], 6);
  std::set<uint64_t> rows;
  for (const json& e : c["examples"]) rows.insert(e["row"].get<uint64_t>());
  EXPECT_EQ(rows, (std::set<uint64_t>{600, 601, 602, 603, 604, 605}));
}

TEST_F(PlantedAudit, Pii) {
  EXPECT_EQ(count(*doc_, "pii.email"), 3);
  EXPECT_EQ(count(*doc_, "pii.phone"), 2);
  EXPECT_EQ(count(*doc_, "pii.credit_card"), 1);
  EXPECT_EQ(count(*doc_, "pii.iban"), 1);
  EXPECT_EQ(count(*doc_, "pii.ip"), 1);
  EXPECT_EQ(count(*doc_, "pii.ssn"), 1);
  const json& e = check(*doc_, "pii.email");
  EXPECT_EQ(e["examples"][0]["row"], 700);
  EXPECT_EQ(e["examples"][0]["column"], "notes");
  const std::string all = doc_->dump();
  for (const char* secret : {"jane.roe@example.com", "4111 1111 1111 1111", "123-45-6789", "7946 0958"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " leaked into the report";
  }
}

TEST_F(PlantedAudit, Gates) {
  const std::vector<std::string> gates = {"leakage.test_share > 0", "pii.count > 0", "quality.duplicates.count > 0",
                                          "quality.duplicates.count > 17", "leakage.exact < 5", "rows.test != 505"};
  const auto results = evaluate_audit_gates(*doc_, gates);
  ASSERT_EQ(results.size(), 6u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_EQ(*results[1].value, 9);
  EXPECT_FALSE(results[1].passed);
  EXPECT_FALSE(results[2].passed);
  EXPECT_TRUE(results[3].passed);
  EXPECT_TRUE(results[4].passed);  // a bare check id means its count
  EXPECT_TRUE(results[5].passed);
  const std::vector<std::string> unknown = {"leakage.nothing > 0"};
  EXPECT_THROW(evaluate_audit_gates(*doc_, unknown), UsageError);
  const std::vector<std::string> slice = {"slice:a=b:accuracy < 1"};
  EXPECT_THROW(evaluate_audit_gates(*doc_, slice), UsageError);
}

TEST(Audit, SkippedChecksSayWhyAndTheirGatesFail) {
  const fs::path train = write("small.csv", "x,label\n1,0\n2,1\n3,0\n4,1\n");
  AuditOptions o;
  o.train = train.string();
  const json doc = run_audit(o);
  for (const char* id : {"leakage.exact", "label_noise.suspects", "quality.schema"}) {
    const json& c = check(doc, id);
    EXPECT_TRUE(c["skipped"].get<bool>()) << id;
    EXPECT_EQ(c["count"], 0);
    EXPECT_TRUE(c["value"].is_null());
    EXPECT_TRUE(c["message"].get<std::string>().starts_with("not run: ")) << c["message"];
  }
  const std::vector<std::string> gates = {"leakage.test_share > 0"};
  const auto results = evaluate_audit_gates(doc, gates);
  EXPECT_FALSE(results[0].value.has_value());
  EXPECT_FALSE(results[0].passed);
}

TEST(Audit, DatesOfBirthCountOnlyInBirthColumns) {
  AuditOptions o;
  o.train = write("dob.csv", "birth_date,notes,label\n1985-03-12,1985-03-12,0\n1990-01-01,b,1\n").string();
  const json doc = run_audit(o);
  const json& c = check(doc, "pii.ssn");
  EXPECT_EQ(c["count"], 0);
  EXPECT_EQ(c["figures"]["dob"], 2);
  for (const json& e : c["examples"]) {
    EXPECT_EQ(e["column"], "birth_date");
    EXPECT_EQ(e["detail"].get<std::string>().find("1985"), std::string::npos);
  }
}

// Repeated cells: a clean text is scanned once per column (Note [PII memo] in
// audit_scan.cc), but every row of a repeated hit counts, and a text that is
// clean in one column still counts in another where dates of birth do.
TEST(Audit, RepeatedCellsCountPiiOnEveryRow) {
  std::string train = "birth_date,notes,contact,label\n";
  for (int i = 0; i < 60; ++i) {
    train += fmt::format("1985-03-12,1985-03-12,{},{}\n", i % 2 == 0 ? "write to ann@example.com" : "no mail", i % 2);
  }
  AuditOptions o;
  o.train = write("repeated_pii.csv", train).string();
  const json doc = run_audit(o);
  EXPECT_EQ(count(doc, "pii.email"), 30);
  EXPECT_EQ(check(doc, "pii.ssn")["figures"]["dob"], 60);
}

TEST(Audit, NpyArraysCountNaNDuplicatesAndLeakage) {
  // 6 rows of 2 float32 features: row 3 repeats row 0 (same label), row 1 has a NaN.
  const float train[] = {1, 2, NAN, 4, 5, 6, 1, 2, 7, 8, 9, 10};
  const float test[] = {5, 6, 11, 12};
  auto npy = [](std::span<const float> values, int64_t rows, int64_t cols) {
    data::NpyArray a;
    a.shape = {rows, cols};
    a.dtype = data::NpyArray::DType::kF32;
    a.data.resize(values.size_bytes());
    std::memcpy(a.data.data(), values.data(), values.size_bytes());
    const auto bytes = data::encode_npy(a);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  auto labels = [](std::span<const int64_t> values) {
    data::NpyArray a;
    a.shape = {static_cast<int64_t>(values.size())};
    a.dtype = data::NpyArray::DType::kI64;
    a.data.resize(values.size_bytes());
    std::memcpy(a.data.data(), values.data(), values.size_bytes());
    const auto bytes = data::encode_npy(a);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  const int64_t train_labels[] = {0, 1, 0, 0, 1, 1}, test_labels[] = {0, 1};
  AuditOptions o;
  o.train = write("a_train.npy", npy(train, 6, 2)).string();
  o.train_labels = write("a_train_labels.npy", labels(train_labels)).string();
  o.test = write("a_test.npy", npy(test, 2, 2)).string();
  o.test_labels = write("a_test_labels.npy", labels(test_labels)).string();
  const json doc = run_audit(o);
  EXPECT_EQ(count(doc, "quality.missing"), 1);
  EXPECT_EQ(count(doc, "quality.duplicates"), 1);
  EXPECT_EQ(count(doc, "leakage.exact"), 1);
  EXPECT_TRUE(check(doc, "pii.email")["skipped"].get<bool>());
}

TEST(Audit, IdColumnsSharedAcrossSets) {
  std::string train = "user_id,x,label\n", test = "user_id,x,label\n";
  for (int i = 0; i < 100; ++i) train += fmt::format("u{},{},{}\n", i, i % 7, i % 2);
  for (int i = 95; i < 145; ++i) test += fmt::format("u{},{},{}\n", i, i % 5, i % 2);
  AuditOptions o;
  o.train = write("ids_train.csv", train).string();
  o.test = write("ids_test.csv", test).string();
  const json doc = run_audit(o);
  EXPECT_EQ(count(doc, "leakage.id_columns"), 5);
}

void expect_same_scan(const TableScan& a, const TableScan& b) {
  ASSERT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.feature_hashes, b.feature_hashes);
  EXPECT_EQ(a.labels, b.labels);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (size_t c = 0; c < a.columns.size(); ++c) {
    EXPECT_EQ(a.columns[c].missing, b.columns[c].missing);
    EXPECT_EQ(a.columns[c].values.size(), b.columns[c].values.size());
    EXPECT_EQ(a.columns[c].untracked, b.columns[c].untracked);
    EXPECT_EQ(a.columns[c].first_text_row, b.columns[c].first_text_row);
    for (size_t i = 0; i < std::min(a.columns[c].values.size(), b.columns[c].values.size()); ++i) {
      const ValueCounts::Item x = a.columns[c].values.at(i), y = b.columns[c].values.at(i);
      EXPECT_EQ(x.key, y.key) << a.columns[c].name << " value " << i;
      EXPECT_EQ(x.count, y.count) << a.columns[c].name << " value " << i;
      EXPECT_EQ(x.text, y.text) << a.columns[c].name << " value " << i;
    }
  }
  EXPECT_EQ(a.sample.rows, b.sample.rows);
  EXPECT_EQ(a.sample.cells, b.sample.cells);
}

TEST(Audit, StreamingBlocksGiveTheSameScanAsOneBlock) {
  const Planted p = planted();
  const std::string text = csv_of(p.train);
  ScanOptions small;
  small.block_bytes = 1 << 16;  // the minimum: many blocks
  small.threads = 3;
  ScanOptions big;
  big.threads = 1;
  expect_same_scan(scan_csv_text(text, "t.csv", small), scan_csv_text(text, "t.csv", big));
}

// A mapped file is cut into the same blocks as the same text streamed (Note
// [Mapped blocks] in audit_scan.cc): the value counts, which depend on the
// cuts once a piece has more than kTrackedValues distinct values, agree. The
// texts: a BOM, a record longer than a block (the block grows), a size of
// exactly two blocks, no line break at the end.
TEST(Audit, MappedFileGivesTheBlocksOfAStream) {
  ScanOptions small;
  small.block_bytes = 1 << 16;
  small.threads = 1;  // 8 pieces of 8 KB a block: 1600 distinct values each
  small.label_col.clear();
  std::string base = "v\n";
  for (int i = 0; i < 60000; ++i) base += fmt::format("{}\n", 1000 + (i * 7919) % 9000);
  std::string long_record = base;
  long_record += std::string(100000, 'x') + "\n";
  long_record += base.substr(2);
  std::string exact = base.substr(0, 2 << 16);
  exact.resize(exact.rfind('\n') + 1);
  while (exact.size() < (2 << 16)) exact += "\n";
  ASSERT_EQ(exact.size(), size_t{2} << 16);
  std::string no_end = base;
  no_end.pop_back();
  int n = 0;
  for (const std::string& text : {"\xEF\xBB\xBF" + base, long_record, exact, no_end}) {
    SCOPED_TRACE(n);
    const fs::path path = write(fmt::format("mapped_{}.csv", n++), text);
    expect_same_scan(scan_csv_file(path, small), scan_csv_text(text, "t.csv", small));
  }
  // A bad record far into the file: the same line, counted over the blocks and
  // pieces before it (Note [Piece merging]).
  std::string bad = base;
  bad.insert(bad.find('\n', bad.size() * 2 / 3) + 1, "1,2\n");
  const fs::path bad_path = write("mapped_bad.csv", bad);
  std::string mapped_error, streamed_error;
  try {
    scan_csv_file(bad_path, small);
  } catch (const InputError& e) {
    mapped_error = e.what();
  }
  try {
    scan_csv_text(bad, bad_path.string(), small);
  } catch (const InputError& e) {
    streamed_error = e.what();
  }
  const size_t line = static_cast<size_t>(std::count(bad.begin(), bad.begin() + bad.find("1,2\n"), '\n')) + 1;
  EXPECT_EQ(mapped_error,
            fmt::format("{}:{}: record has 2 fields, expected 1 (the header's)", bad_path.string(), line));
  EXPECT_EQ(mapped_error, streamed_error);
}

// The plain-decimal fast path (Note [Plain decimals]) gives the very double
// fast_float gives, for random decimals of every length around its limits (19
// digits, 2^53, 22 after the point), signs, leading zeros and -0.
TEST(Audit, PlainDecimalsParseLikeFastFloat) {
  Rng rng(11);
  auto digits = [&](int count) {
    std::string d;
    for (int k = 0; k < count; ++k) d.push_back(static_cast<char>('0' + rng.below(10)));
    return d;
  };
  std::vector<std::string> cells = {"0", "-0", "-0.0", "0.000", "9007199254740992", "9007199254740993",
                                    "9007199254740992.5", "1.0000000000000000000001", "00012", "-00.5",
                                    "1234567890123456789", "12345678901234567890", "0.3", "0.1", "5."};
  for (int k = 0; k < 20000; ++k) {
    const int whole = 1 + rng.below(20), frac = rng.below(25);
    std::string cell = rng.below(2) ? "-" : "";
    cell.append(digits(whole));
    if (frac > 0 || rng.below(2)) cell.append(".").append(digits(frac));
    cells.push_back(cell);
  }
  for (const std::string& cell : cells) {
    double expected = 0, v = 0;
    const bool number = data::parse_number(cell, &expected);
    const CellKind kind = classify_cell(cell, &v);
    ASSERT_EQ(kind == CellKind::kNumber, number) << cell;
    if (number) {
      ASSERT_EQ(std::bit_cast<uint64_t>(v), std::bit_cast<uint64_t>(expected)) << cell;
    }
  }
}

TEST(Audit, RowHashNormalizesNumbersAndBlanks) {
  const TableScan s = scan_csv_text("a,b,label\n1, x ,0\n1.0,x,0\n1e0,\"x\",0\n2,x,0\n", "n.csv", {});
  EXPECT_EQ(s.feature_hashes[0], s.feature_hashes[1]);
  EXPECT_EQ(s.feature_hashes[0], s.feature_hashes[2]);
  EXPECT_NE(s.feature_hashes[0], s.feature_hashes[3]);
}

TEST(Audit, BadCsvNamesFileLineAndColumn) {
  auto message = [](const std::string& text) {
    try {
      scan_csv_text(text, "bad.csv", {});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("x,label\n1,0\n2,1,5\n"), "bad.csv:3: record has 3 fields, expected 2 (the header's)");
  EXPECT_EQ(message("x,label\n1,0\n\"2\"x,1\n"),
            "bad.csv:3: column 'x': unexpected 'x' after the closing quote of a quoted field; expected the delimiter "
            "or the end of the line (byte 15)");
  EXPECT_EQ(message("x,label\n1,0\n2,\"1\n"),
            "bad.csv:3: column 'label': unterminated quoted field; expected a closing '\"' before the end of the file "
            "(byte 14)");
  EXPECT_EQ(message("x,label\n1,0\n2\"x,1\n"),
            "bad.csv:3: column 'x': '\"' inside an unquoted field; expected the whole field in quotes, with \"\" for "
            "each quote in it (byte 13)");
  // A bare CR ends a line as LF and CRLF do.
  EXPECT_EQ(message("x,label\r1,0\r2,1,5\r"), "bad.csv:3: record has 3 fields, expected 2 (the header's)");
  EXPECT_EQ(message(""), "bad.csv: empty file, expected a header row");
  EXPECT_EQ(message("x,label\n"), "bad.csv: the file has a header but no data rows; expected at least one row");
  EXPECT_NE(message("x,y\n1,2\n").find("no column 'label'"), std::string::npos);
  // Line numbers count the lines inside quoted fields and blank lines.
  EXPECT_EQ(message("x,label\n\"a\nb\",0\n\n1,0,0\n"), "bad.csv:5: record has 3 fields, expected 2 (the header's)");
}

TEST(Audit, SchemaErrorsNameLineAndColumn) {
  auto message = [](const std::string& text) {
    try {
      parse_audit_schema(text, "s.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("[columns.a]\ntype = \"integer\"\nmin = 0\n"), "no error");
  EXPECT_EQ(message("[columns.a]\ntype = \"int\"\n"),
            "s.toml:2:8: type must be one of \"integer\", \"number\", \"string\", \"category\", \"bool\", \"any\"");
  EXPECT_EQ(message("[columns.a]\nmax_value = 3\n"),
            "s.toml:2:1: unknown key 'max_value' in columns.a, expected type, min, max, allowed or nullable");
  EXPECT_EQ(message("[other]\n"), "s.toml:1:2: unknown top-level key 'other', expected [columns.<name>] tables");
  EXPECT_NE(message("[columns.a\n").find("s.toml:1:"), std::string::npos);
}


TEST(Audit, ImageHashBitsAndHamming) {
  std::vector<uint8_t> img(28 * 28, 0);
  const ImageHash zero = image_dhash(img, 28, 28);
  EXPECT_EQ(hamming(zero, ImageHash{}), 0);
  img[0] = 255;  // block (0, 0): S(0,1) > S(0,0) false; S(1,0) > S(0,0) false -> no bit
  EXPECT_EQ(hamming(image_dhash(img, 28, 28), zero), 0);
  img[0] = 0;
  img[2] = 255;  // block (0, 1) bright: horizontal bit 0 (S(0,1) > S(0,0)) set
  const ImageHash h = image_dhash(img, 28, 28);
  EXPECT_EQ(h[0] & 1, 1u);
  EXPECT_EQ(hamming(h, zero), 1);
}

}  // namespace
}  // namespace dpeval::govern
