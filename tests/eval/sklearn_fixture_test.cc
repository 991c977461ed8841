// Every metric against scikit-learn 1.2: the cases and values in
// tests/eval/fixtures/sklearn_metrics.json, written by make_sklearn_fixtures.py
// (Debian python3-sklearn 1.2.1; the versions are recorded in the file).
//
// Tolerance: 1e-9 relative (+1e-15 absolute, for exact zeros), every metric;
// null in the fixture (sklearn gives nan or raises) must be null here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dpeval/eval/calibration.h"
#include "dpeval/eval/metrics.h"
#include "eval/eval_test_util.h"

namespace dpeval::eval {
namespace {

using nlohmann::json;
using testing::close_to;

const json& fixture() {
  static const json j = [] {
    const auto path = std::filesystem::path(DPEVAL_SOURCE_DIR) / "tests/eval/fixtures/sklearn_metrics.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    return json::parse(in);
  }();
  return j;
}

std::optional<double> optional_of(const json& v) {
  if (v.is_null()) return std::nullopt;
  return v.get<double>();
}

// Every key of expected is a metric of `values`, equal within the tolerance;
// and every metric of `values` is in expected.
void expect_metrics(const std::vector<MetricValue>& values, const json& expected) {
  EXPECT_EQ(values.size(), expected.size());
  for (const auto& [key, want] : expected.items()) {
    bool found = false;
    for (const MetricValue& v : values) {
      if (v.name != key) continue;
      found = true;
      EXPECT_TRUE(close_to(v.value, optional_of(want))) << key;
    }
    EXPECT_TRUE(found) << "no metric named " << key;
  }
}

void expect_confusion(const ConfusionMatrix& m, const json& expected) {
  ASSERT_EQ(m.num_classes(), expected.size());
  for (size_t i = 0; i < m.num_classes(); ++i) {
    for (size_t j = 0; j < m.num_classes(); ++j)
      EXPECT_EQ(m.at(i, j), expected[i][j].get<int64_t>()) << i << "," << j;
  }
}

void expect_calibration(const Calibration& c, const json& expected) {
  EXPECT_TRUE(close_to(c.ece, optional_of(expected["ece"]))) << "ece";
  EXPECT_TRUE(close_to(c.mce, optional_of(expected["mce"]))) << "mce";
  ASSERT_EQ(c.bins.size(), expected["count"].size());
  for (size_t b = 0; b < c.bins.size(); ++b) {
    EXPECT_EQ(c.bins[b].count, expected["count"][b].get<int64_t>()) << "bin " << b;
    EXPECT_TRUE(close_to(c.bins[b].accuracy, optional_of(expected["accuracy"][b]))) << "bin " << b;
    EXPECT_TRUE(close_to(c.bins[b].confidence, optional_of(expected["confidence"][b]))) << "bin " << b;
  }
}

void expect_brier_decomposition(const BrierDecomposition& d, const json& expected,
                                std::optional<double> brier) {
  EXPECT_TRUE(close_to(d.reliability, expected["reliability"].get<double>())) << "reliability";
  EXPECT_TRUE(close_to(d.resolution, expected["resolution"].get<double>())) << "resolution";
  EXPECT_TRUE(close_to(d.uncertainty, expected["uncertainty"].get<double>())) << "uncertainty";
  EXPECT_TRUE(close_to(d.brier, brier)) << "brier";
  for (size_t b = 0; b < d.bins.size(); ++b) EXPECT_EQ(d.bins[b].count, expected["count"][b].get<int64_t>());
}

// x, y, threshold of every point against sklearn's arrays (thresholds from the
// second point on: dpeval's first is +inf).
void expect_curve(const std::vector<CurvePoint>& curve, const json& x, const json& y,
                  const json& thresholds) {
  ASSERT_EQ(curve.size(), x.size());
  for (size_t i = 0; i < curve.size(); ++i) {
    EXPECT_TRUE(close_to(curve[i].x, x[i].get<double>())) << "point " << i;
    EXPECT_TRUE(close_to(curve[i].y, y[i].get<double>())) << "point " << i;
    if (i > 0) {
      EXPECT_EQ(curve[i].threshold, thresholds[i - 1].get<double>()) << "point " << i;
    }
  }
}

TEST(SklearnFixture, RecordsItsVersions) {
  EXPECT_EQ(fixture()["versions"]["sklearn"].get<std::string>().substr(0, 4), "1.2.");
  EXPECT_GE(fixture()["binary"].size(), 10u);
  EXPECT_GE(fixture()["multiclass"].size(), 7u);
  EXPECT_GE(fixture()["regression"].size(), 6u);
}

TEST(SklearnFixture, Binary) {
  for (const json& c : fixture()["binary"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto labels = c["labels"].get<std::vector<int64_t>>();
    const auto scores = c["scores"].get<std::vector<double>>();
    const BinaryMetrics m = compute_binary(labels, scores);
    expect_metrics(metric_values(m), c["expected"]);
    expect_confusion(m.confusion, c["confusion"]);
    if (c.contains("roc_curve")) {
      const json& roc = c["roc_curve"];
      expect_curve(m.roc_curve, roc["fpr"], roc["tpr"], roc["thresholds"]);
      const json& pr = c["pr_curve"];
      expect_curve(m.pr_curve, pr["recall"], pr["precision"], pr["thresholds"]);
    }
    for (const json& cal : c["calibration"]) {
      SCOPED_TRACE("calibration bins " + std::to_string(cal["bins"].get<size_t>()));
      expect_calibration(compute_calibration_binary(labels, scores, {cal["bins"].get<size_t>()}), cal);
    }
    for (const json& dec : c["brier_decomposition"]) {
      SCOPED_TRACE("decomposition bins " + std::to_string(dec["bins"].get<size_t>()));
      const auto d = compute_brier_decomposition(labels, scores, {dec["bins"].get<size_t>()});
      expect_brier_decomposition(d, dec, m.brier);
    }
  }
}

TEST(SklearnFixture, Multiclass) {
  for (const json& c : fixture()["multiclass"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto labels = c["labels"].get<std::vector<int64_t>>();
    const auto probs = c["probs"].get<std::vector<double>>();
    const auto k = c["num_classes"].get<size_t>();
    const MulticlassMetrics m = compute_multiclass(labels, probs, k);
    expect_metrics(metric_values(m), c["expected"]);
    expect_metrics(metric_values(compute_multiclass(labels, probs, k, 4)), c["expected"]);  // classes in parallel
    expect_confusion(m.confusion, c["confusion"]);
    const json& per_class = c["per_class"];
    ASSERT_EQ(m.per_class.size(), k);
    for (size_t j = 0; j < k; ++j) {
      SCOPED_TRACE("class " + std::to_string(j));
      EXPECT_TRUE(close_to(m.per_class[j].precision, per_class["precision"][j].get<double>()));
      EXPECT_TRUE(close_to(m.per_class[j].recall, per_class["recall"][j].get<double>()));
      EXPECT_TRUE(close_to(m.per_class[j].f1, per_class["f1"][j].get<double>()));
      EXPECT_EQ(m.per_class[j].support, per_class["support"][j].get<int64_t>());
    }
    for (const json& cal : c["calibration"]) {
      SCOPED_TRACE("calibration bins " + std::to_string(cal["bins"].get<size_t>()));
      expect_calibration(compute_calibration_multiclass(labels, probs, k, {cal["bins"].get<size_t>()}), cal);
    }
  }
}

TEST(SklearnFixture, Regression) {
  for (const json& c : fixture()["regression"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto m = compute_regression(c["targets"].get<std::vector<double>>(),
                                      c["predictions"].get<std::vector<double>>());
    expect_metrics(metric_values(m), c["expected"]);
  }
}

}  // namespace
}  // namespace dpeval::eval
