// dpeval drift's statistics against scipy 1.10 / numpy 1.24 (fixtures/drift,
// written by make_drift_fixtures.py): every metric to 1e-9 relative (1e-12
// absolute below 1e-12), Evidently's default method and verdict; a profile
// gives the same document as the file it was made from; bad input names the
// file and column.
#include "dpeval/monitor/drift.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "dpeval/core/error.h"
#include "dpeval/monitor/columns.h"
#include "dpeval/monitor/profile.h"

namespace dpeval::monitor {
namespace {

using json = nlohmann::json;

std::string fixture_dir() { return std::string(DPEVAL_SOURCE_DIR) + "/tests/monitor/fixtures/drift/"; }

json expected() {
  std::ifstream in(fixture_dir() + "expected.json");
  return json::parse(in);
}

Profile profile_of(const std::string& path, uint64_t max_values = kMaxProfileValues) {
  ProfileOptions o;
  o.max_values = max_values;
  return build_profile(read_source(path, {}), o);
}

json drift_of(const std::string& ref, const std::string& cur, const DriftOptions& options = {}) {
  return drift_document(profile_of(ref), profile_of(cur, UINT64_MAX), options, nullptr, nullptr);
}

void expect_close(const json& got, const json& want, const std::string& what) {
  if (want.is_null()) {
    EXPECT_TRUE(got.is_null()) << what << ": got " << got.dump();
    return;
  }
  ASSERT_TRUE(got.is_number()) << what << ": got " << got.dump() << ", want " << want.dump();
  const double g = got.get<double>(), w = want.get<double>();
  if (std::abs(w) < 1e-12) {
    EXPECT_NEAR(g, w, 1e-12) << what;
  } else {
    EXPECT_NEAR(g / w, 1.0, 1e-9) << what << ": got " << g << ", want " << w;
  }
}

const json& column_named(const json& doc, const std::string& name) {
  for (const json& c : doc["columns"]) {
    if (c["name"] == name) return c;
  }
  ADD_FAILURE() << "no column " << name;
  static const json none;
  return none;
}

TEST(DriftScipy, EveryMetricAndVerdictEqualsTheFixtures) {
  const json cases = expected()["cases"];
  ASSERT_GE(cases.size(), 10u);
  for (const auto& [name, c] : cases.items()) {
    SCOPED_TRACE(name);
    const json doc = drift_of(fixture_dir() + name + "_ref.csv", fixture_dir() + name + "_cur.csv");
    EXPECT_EQ(doc["n_reference"], c["n_reference"]);
    EXPECT_EQ(doc["n_current"], c["n_current"]);
    for (const auto& [col, want] : c["columns"].items()) {
      SCOPED_TRACE(col);
      const json& got = column_named(doc, col);
      EXPECT_EQ(got["kind"], want["kind"]);
      EXPECT_EQ(got["method"], want["method"]);
      EXPECT_EQ(got["drift"], want["drift"]);
      EXPECT_EQ(got["threshold"].get<double>(), want["threshold"].get<double>());
      expect_close(got["p_value"], want["p_value"], "p_value");
      if (!want["statistic"].is_null()) expect_close(got["statistic"], want["statistic"], "statistic");
      for (const auto& [metric, value] : want["metrics"].items()) {
        ASSERT_TRUE(got["metrics"].contains(metric)) << metric;
        expect_close(got["metrics"][metric], value, metric);
      }
    }
  }
}

TEST(DriftProfile, AProfileGivesTheSameDocumentAsItsFile) {
  const json cases = expected()["cases"];
  for (const auto& [name, c] : cases.items()) {
    SCOPED_TRACE(name);
    const std::string ref = fixture_dir() + name + "_ref.csv", cur = fixture_dir() + name + "_cur.csv";
    const json raw = drift_of(ref, cur);
    // Through the profile's JSON text, as `dpeval profile` writes it and `dpeval drift` reads it.
    const Profile back =
        profile_from_json(json::parse(profile_to_json(profile_of(ref)).dump()), "ref.profile.json");
    json via = drift_document(back, profile_of(cur, UINT64_MAX), {}, nullptr, nullptr);
    json a = raw, b = via;
    a.erase("reference");
    b.erase("reference");
    EXPECT_EQ(a, b);
    EXPECT_EQ(via["reference"]["kind"], "profile");
    EXPECT_EQ(via["reference"]["sha256"], raw["reference"]["sha256"]);
  }
}

TEST(DriftProfile, SampledAboveTheLimitTheSameWayFromFileAndProfile) {
  std::ostringstream text;
  text << "x\n";
  for (int i = 0; i < 3000; ++i) text << (i * 7919 % 3001) * 0.5 << "\n";
  const std::string path = testing::TempDir() + "/sampled_ref.csv";
  std::ofstream(path) << text.str();
  ProfileOptions o;
  o.max_values = 1000;
  o.seed = 3;
  const Profile p = build_profile(read_source(path, {}), o);
  const ColumnProfile& x = *p.find("x");
  EXPECT_TRUE(x.sampled);
  EXPECT_EQ(x.values.size(), 1000u);
  EXPECT_EQ(x.values_total, 3000u);
  EXPECT_TRUE(std::is_sorted(x.values.begin(), x.values.end()));
  const Profile again = build_profile(read_source(path, {}), o);
  EXPECT_EQ(again.find("x")->values, x.values);  // seeded
  o.seed = 4;
  EXPECT_NE(build_profile(read_source(path, {}), o).find("x")->values, x.values);
  const Profile back = profile_from_json(json::parse(profile_to_json(p).dump()), "p.json");
  EXPECT_EQ(back.find("x")->values, x.values);
  EXPECT_EQ(back.find("x")->decile_counts, x.decile_counts);
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

template <typename F>
std::string input_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

TEST(DriftBadInput, AColumnMissingFromCurrentNamesFileAndColumn) {
  const std::string ref = write_file("m_ref.csv", "a,b\n1,2\n3,4\n");
  const std::string cur = write_file("m_cur.csv", "a\n1\n2\n");
  const std::string msg = input_error([&] { drift_of(ref, cur); });
  EXPECT_NE(msg.find("m_cur.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'b'"), std::string::npos) << msg;
}

TEST(DriftBadInput, ATypeThatDiffersSaysWhichSideAndLine) {
  const std::string ref = write_file("t_ref.csv", "a,b\n1,2\n3,4\n5,6\n");
  const std::string cur = write_file("t_cur.csv", "a,b\n1,x\n3,4\n");
  const std::string msg = input_error([&] { drift_of(ref, cur); });
  EXPECT_NE(msg.find("'b'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("numeric in the reference"), std::string::npos) << msg;
  EXPECT_NE(msg.find("t_cur.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
  // Declared categorical, the same data compares.
  DriftOptions o;
  o.categorical = {"b"};
  ProfileOptions po;
  po.categorical = {"b"};
  const json doc = drift_document(build_profile(read_source(ref, {}), po),
                                  build_profile(read_source(cur, {}), po), o, nullptr, nullptr);
  EXPECT_EQ(column_named(doc, "b")["kind"], "categorical");
}

TEST(DriftBadInput, RaggedAndEmptyFilesNameTheFile) {
  const std::string ragged = write_file("r.csv", "a,b\n1,2\n3\n");
  std::string msg = input_error([&] { read_source(ragged, {}); });
  EXPECT_NE(msg.find("r.csv:3"), std::string::npos) << msg;
  const std::string empty = write_file("e.csv", "");
  msg = input_error([&] { read_source(empty, {}); });
  EXPECT_NE(msg.find("e.csv"), std::string::npos) << msg;
  const std::string header_only = write_file("h.csv", "a,b\n");
  msg = input_error([&] { read_source(header_only, {}); });
  EXPECT_NE(msg.find("no data rows"), std::string::npos) << msg;
}

TEST(DriftBadInput, AProfileOfAnotherSchemaVersionIsRefused) {
  json doc = profile_to_json(profile_of(fixture_dir() + "tiny_ref.csv"));
  doc["schema"] = "dpeval.profile/2";
  const std::string msg = input_error([&] { profile_from_json(doc, "old.profile.json"); });
  EXPECT_NE(msg.find("old.profile.json"), std::string::npos) << msg;
  doc["schema"] = "dpeval.profile/1";
  doc["columns"][0]["sorted_values"]["data"] = "not base64!";
  EXPECT_NE(input_error([&] { profile_from_json(doc, "bad.json"); }).find("bad.json"), std::string::npos);
}

TEST(DriftEdgeCases, AllMissingConstantAndOneRowGiveNumbersOrNullNeverNaN) {
  const std::string ref = write_file("edge_ref.csv", "gone,flat,one\nNA,5,1\n,5,2\nnull,5,3\n");
  const std::string cur = write_file("edge_cur.csv", "gone,flat,one\n1,5,7\n2,6,8\n3,5,9\n");
  const json doc = drift_of(ref, cur);
  const json& gone = column_named(doc, "gone");
  EXPECT_TRUE(gone["statistic"].is_null());
  EXPECT_FALSE(gone["drift"].get<bool>());
  EXPECT_FALSE(gone["notes"].empty());
  const std::string text = doc.dump();
  EXPECT_EQ(text.find("NaN"), std::string::npos);
  EXPECT_EQ(text.find("nan"), std::string::npos);
}

TEST(DriftDecision, DatasetDriftFollowsTheShareAndBenjaminiHochberg) {
  const std::string ref = fixture_dir() + "large_ref.csv", cur = fixture_dir() + "large_cur.csv";
  DriftOptions o;
  json doc = drift_of(ref, cur, o);
  EXPECT_EQ(doc["n_drifted"], 1);
  EXPECT_DOUBLE_EQ(doc["share_drifted"].get<double>(), 0.5);
  EXPECT_TRUE(doc["dataset_drift"].get<bool>());  // 0.5 >= 0.5
  o.drift_share = 0.6;
  EXPECT_FALSE(drift_of(ref, cur, o)["dataset_drift"].get<bool>());
  o.method = DriftMethod::kKs;
  doc = drift_of(ref, cur, o);
  EXPECT_EQ(column_named(doc, "a")["method"], "ks");
  EXPECT_TRUE(column_named(doc, "a")["p_value_adjusted"].is_number());
  EXPECT_GE(column_named(doc, "a")["p_value_adjusted"].get<double>(),
            column_named(doc, "a")["p_value"].get<double>());
  EXPECT_EQ(doc["multiple_testing"]["columns_tested"], 2);
}

TEST(DriftGates, NamesValuesAndUnknownNames) {
  const json doc = drift_of(fixture_dir() + "large_ref.csv", fixture_dir() + "large_cur.csv");
  const std::vector<std::string> gates = {"dataset_drift == 1", "share_drifted > 0.3", "psi.a > 100",
                                          "drift.b == 1"};
  const auto results = evaluate_drift_gates(doc, gates);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_FALSE(results[1].passed);
  EXPECT_TRUE(results[2].passed);
  EXPECT_TRUE(results[3].passed);
  const std::vector<std::string> bad = {"psi.nope > 0.2"};
  try {
    evaluate_drift_gates(doc, bad);
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("share_drifted"), std::string::npos) << e.what();
  }
}

TEST(DriftEdgeCases, InfiniteAndHugeCellsAreLeftOutOfCategoriesAndNumbers) {
  const std::string ref = write_file("inf_ref.csv", "x,v\n0,1\n1,2\n0,3\n1,1e200\n");
  const std::string cur = write_file("inf_cur.csv", "x,v\ninf,4\ninf,5\n-inf,6\ninf,7\n");
  DriftOptions o;
  o.categorical = {"x"};
  ProfileOptions po;
  po.categorical = {"x"};
  const json doc = drift_document(build_profile(read_source(ref, {}), po),
                                  build_profile(read_source(cur, {}), po), o, nullptr, nullptr);
  const json& x = column_named(doc, "x");
  EXPECT_EQ(x["n_current"], 0);
  EXPECT_TRUE(x["statistic"].is_null());
  EXPECT_FALSE(x["drift"].get<bool>());
  const json& v = column_named(doc, "v");
  EXPECT_EQ(v["n_reference"], 3);  // 1e200 is beyond kMaxMagnitude
  EXPECT_TRUE(v["metrics"]["wasserstein"].is_number());
}

TEST(DriftBadInput, AProfileWhoseCountsDoNotFitIsRefused) {
  json doc = profile_to_json(profile_of(fixture_dir() + "large_ref.csv"));
  doc["columns"][0]["sampled"] = true;
  doc["columns"][0]["sorted_values"] = {{"encoding", "base64-float64-le"}, {"count", 0}, {"data", ""}};
  EXPECT_NE(input_error([&] { profile_from_json(doc, "tampered.json"); }).find("tampered.json"),
            std::string::npos);
  doc = profile_to_json(profile_of(fixture_dir() + "large_ref.csv"));
  doc["columns"][0]["decile_counts"][0] = 1;
  EXPECT_NE(input_error([&] { profile_from_json(doc, "bins.json"); }).find("do not fit"), std::string::npos);
}

TEST(DriftProfile, DeclarationsTravelWithTheProfileAndApplyToIt) {
  const std::string ref = fixture_dir() + "few_values_ref.csv", cur = fixture_dir() + "few_values_cur.csv";
  // Profiled with --categorical k, drifted without it: the current side follows the profile.
  ProfileOptions po;
  po.categorical = {"k"};
  const Profile declared = profile_from_json(
      json::parse(profile_to_json(build_profile(read_source(ref, {}), po)).dump()), "declared.json");
  SourceData current = read_source(cur, {});
  const ProfileOptions cpo = current_profile_options(declared, current, {});
  const json a = drift_document(declared, build_profile(std::move(current), cpo), {}, nullptr, nullptr);
  EXPECT_EQ(column_named(a, "k")["kind"], "categorical");
  // Profiled plainly, declared at drift time.
  Profile plain = profile_from_json(json::parse(profile_to_json(profile_of(ref)).dump()), "plain.json");
  declare_categorical(plain, {"k"}, "");
  EXPECT_FALSE(plain.find("k")->numeric);
  SourceData current2 = read_source(cur, {});
  ProfileOptions given;
  given.categorical = {"k"};
  const json b = drift_document(
      plain, build_profile(std::move(current2), current_profile_options(plain, current2, given)), {}, nullptr,
      nullptr);
  EXPECT_EQ(column_named(b, "k")["metrics"], column_named(a, "k")["metrics"]);
  EXPECT_THROW(declare_categorical(plain, {"nope"}, ""), ConfigError);
}

}  // namespace
}  // namespace dpeval::monitor
