// Recalibration against scikit-learn 1.2: the cases and values in
// tests/eval/fixtures/sklearn_recalibration.json, written by
// make_recalibration_fixtures.py (Debian python3-sklearn 1.2.1; versions in the
// file). Platt and isotonic are sklearn's CalibratedClassifierCV(cv="prefit");
// temperature, which sklearn lacks, is scipy's root of the NLL's derivative.
//
// Tolerances:
//   isotonic     1e-12 absolute: knots, fitted and held-out probabilities (the
//                same operations in the same order; equal to the bit in practice)
//   platt        1e-6 absolute on (a, b) and probabilities: sklearn stops BFGS
//                at a gradient norm of 1e-5 (up to 7e-7 off on these cases),
//                dpeval runs Newton to the optimum: 1e-9 from the optimum the
//                script polishes from sklearn's answer, and a loss no higher
//   temperature  1e-9 relative on T, the fit NLLs and probabilities
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dpeval/eval/internal/platt.h"
#include "dpeval/eval/metrics.h"
#include "dpeval/eval/recalibrate.h"

namespace dpeval::eval {
namespace {

using nlohmann::json;

constexpr double kIsotonicTolerance = 1e-12;
constexpr double kPlattTolerance = 1e-6;
constexpr double kPlattOptimumTolerance = 1e-9;
constexpr double kTemperatureTolerance = 1e-9;

const json& fixture() {
  static const json j = [] {
    const auto path =
        std::filesystem::path(DPEVAL_SOURCE_DIR) / "tests/eval/fixtures/sklearn_recalibration.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    return json::parse(in);
  }();
  return j;
}

std::vector<double> doubles(const json& v) { return v.get<std::vector<double>>(); }

void expect_all_near(const std::vector<double>& actual, const std::vector<double>& expected, double tolerance,
                     std::string_view what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], tolerance) << what << "[" << i << "]";
}

// sklearn's binary predict_proba is n x 2; dpeval's apply_binary is column 1.
std::vector<double> column_one(const std::vector<double>& n_by_2) {
  std::vector<double> out;
  for (size_t i = 1; i < n_by_2.size(); i += 2) out.push_back(n_by_2[i]);
  return out;
}

RecalibrationOptions fixture_bracket() {
  return {.temperature_min = fixture()["temperature_bracket"][0].get<double>(),
          .temperature_max = fixture()["temperature_bracket"][1].get<double>()};
}

void expect_isotonic_curves(const Recalibrator& r, const json& expected) {
  ASSERT_EQ(r.isotonic.size(), expected["x_thresholds"].size());
  for (size_t c = 0; c < r.isotonic.size(); ++c) {
    SCOPED_TRACE("curve " + std::to_string(c));
    expect_all_near(r.isotonic[c].x, doubles(expected["x_thresholds"][c]), kIsotonicTolerance, "x");
    expect_all_near(r.isotonic[c].y, doubles(expected["y_thresholds"][c]), kIsotonicTolerance, "y");
  }
}

// dpeval's (a, b) is sklearn's (-a_, -b_), within 1e-6 of sklearn's BFGS stop
// and within 1e-9 of the polished optimum of the same objective.
void expect_platt_sigmoids(const Recalibrator& r, const json& expected) {
  ASSERT_EQ(r.platt.size(), expected["a_sklearn"].size());
  for (size_t c = 0; c < r.platt.size(); ++c) {
    EXPECT_NEAR(r.platt[c].a, -expected["a_sklearn"][c].get<double>(), kPlattTolerance) << "class " << c;
    EXPECT_NEAR(r.platt[c].b, -expected["b_sklearn"][c].get<double>(), kPlattTolerance) << "class " << c;
    EXPECT_NEAR(r.platt[c].a, -expected["a_optimum"][c].get<double>(), kPlattOptimumTolerance)
        << "class " << c;
    EXPECT_NEAR(r.platt[c].b, -expected["b_optimum"][c].get<double>(), kPlattOptimumTolerance)
        << "class " << c;
  }
}

void expect_relative(double actual, double expected, std::string_view what) {
  EXPECT_NEAR(actual, expected, kTemperatureTolerance * std::abs(expected)) << what;
}

TEST(SklearnRecalibration, RecordsItsVersions) {
  EXPECT_EQ(fixture()["versions"]["sklearn"].get<std::string>().substr(0, 4), "1.2.");
}

TEST(SklearnRecalibration, BinaryPlatt) {
  const json& c = fixture()["binary"];
  const auto labels = c["fit_labels"].get<std::vector<int64_t>>();
  const auto scores = doubles(c["fit_scores"]);
  const Recalibrator r = fit_binary(RecalibrationMethod::kPlatt, labels, scores);
  expect_platt_sigmoids(r, c["platt"]);
  expect_all_near(r.apply_binary(scores), column_one(doubles(c["platt"]["fit_proba"])), kPlattTolerance,
                  "fit");
  expect_all_near(r.apply_binary(doubles(c["apply_scores"])), column_one(doubles(c["platt"]["apply_proba"])),
                  kPlattTolerance, "apply");

  // dpeval's optimum is at least as good as sklearn's on Platt's objective.
  std::vector<double> x;
  std::vector<uint8_t> positive;
  for (size_t i = 0; i < scores.size(); ++i) {
    const double p = std::clamp(scores[i], kFloat64Eps, 1 - kFloat64Eps);
    x.push_back(std::log(p / (1 - p)));
    positive.push_back(static_cast<uint8_t>(labels[i]));
  }
  const double ours = internal::platt_loss(x, positive, r.platt[0]);
  const double theirs = internal::platt_loss(
      x, positive, {-c["platt"]["a_sklearn"][0].get<double>(), -c["platt"]["b_sklearn"][0].get<double>()});
  EXPECT_LE(ours, theirs + 1e-12 * theirs);
}

TEST(SklearnRecalibration, BinaryIsotonic) {
  const json& c = fixture()["binary"];
  const auto labels = c["fit_labels"].get<std::vector<int64_t>>();
  const auto scores = doubles(c["fit_scores"]);
  const Recalibrator r = fit_binary(RecalibrationMethod::kIsotonic, labels, scores);
  expect_isotonic_curves(r, c["isotonic"]);
  expect_all_near(r.apply_binary(scores), column_one(doubles(c["isotonic"]["fit_proba"])), kIsotonicTolerance,
                  "fit");
  expect_all_near(r.apply_binary(doubles(c["apply_scores"])),
                  column_one(doubles(c["isotonic"]["apply_proba"])), kIsotonicTolerance, "apply");
}

TEST(SklearnRecalibration, BinaryIsotonicMergesNearTiesAsSklearn) {
  const json& c = fixture()["binary_near_ties"];
  const Recalibrator r = fit_binary(RecalibrationMethod::kIsotonic,
                                    c["fit_labels"].get<std::vector<int64_t>>(), doubles(c["fit_scores"]));
  expect_isotonic_curves(r, c["isotonic"]);
  expect_all_near(r.apply_binary(doubles(c["apply_scores"])), doubles(c["isotonic"]["apply_proba"]),
                  kIsotonicTolerance, "apply");
}

TEST(SklearnRecalibration, BinaryTemperature) {
  const json& c = fixture()["binary"];
  const Recalibrator r =
      fit_binary(RecalibrationMethod::kTemperature, c["fit_labels"].get<std::vector<int64_t>>(),
                 doubles(c["fit_scores"]), ScoreScale::kProbability, fixture_bracket());
  const json& t = c["temperature"];
  expect_relative(r.temperature, t["temperature"].get<double>(), "T");
  expect_relative(r.fit_nll_before, t["nll_before"].get<double>(), "nll_before");
  expect_relative(r.fit_nll_after, t["nll_after"].get<double>(), "nll_after");
  expect_all_near(r.apply_binary(doubles(c["apply_scores"])), column_one(doubles(t["apply_proba"])),
                  kTemperatureTolerance, "apply");
}

// Platt and isotonic on the probabilities, temperature on the logits.
void expect_multiclass_case(const json& c) {
  const auto labels = c["fit_labels"].get<std::vector<int64_t>>();
  const auto k = c["num_classes"].get<size_t>();
  const auto fit_probs = doubles(c["fit_probs"]), apply_probs = doubles(c["apply_probs"]);
  {
    SCOPED_TRACE("platt");
    const Recalibrator r =
        fit_multiclass(RecalibrationMethod::kPlatt, labels, fit_probs, k, ScoreScale::kProbability);
    expect_platt_sigmoids(r, c["platt"]);
    expect_all_near(r.apply_multiclass(apply_probs, k, ScoreScale::kProbability),
                    doubles(c["platt"]["apply_proba"]), kPlattTolerance, "apply");
  }
  {
    SCOPED_TRACE("isotonic");
    const Recalibrator r =
        fit_multiclass(RecalibrationMethod::kIsotonic, labels, fit_probs, k, ScoreScale::kProbability);
    expect_isotonic_curves(r, c["isotonic"]);
    expect_all_near(r.apply_multiclass(apply_probs, k, ScoreScale::kProbability),
                    doubles(c["isotonic"]["apply_proba"]), kIsotonicTolerance, "apply");
  }
  {
    SCOPED_TRACE("temperature");
    const Recalibrator r = fit_multiclass(RecalibrationMethod::kTemperature, labels, doubles(c["fit_logits"]),
                                          k, ScoreScale::kLogit, fixture_bracket());
    const json& t = c["temperature"];
    expect_relative(r.temperature, t["temperature"].get<double>(), "T");
    expect_relative(r.fit_nll_before, t["nll_before"].get<double>(), "nll_before");
    expect_relative(r.fit_nll_after, t["nll_after"].get<double>(), "nll_after");
    expect_all_near(r.apply_multiclass(doubles(c["apply_logits"]), k, ScoreScale::kLogit),
                    doubles(t["apply_proba"]), kTemperatureTolerance, "apply");
  }
}

TEST(SklearnRecalibration, Multiclass) { expect_multiclass_case(fixture()["multiclass"]); }

TEST(SklearnRecalibration, TwoClassMatrixIsSklearnsBinaryCase) {
  const json& c = fixture()["multiclass_two_classes"];
  expect_multiclass_case(c);
  EXPECT_EQ(c["platt"]["a_sklearn"].size(), 1u);  // one calibrator, on class 1
}

TEST(SklearnRecalibration, MulticlassWithAClassAbsentFromTheFitSet) {
  const json& c = fixture()["multiclass_absent_class"];
  for (int64_t y : c["fit_labels"].get<std::vector<int64_t>>()) ASSERT_NE(y, 2);
  expect_multiclass_case(c);
}

}  // namespace
}  // namespace dpeval::eval
