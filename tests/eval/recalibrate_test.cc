// Recalibration (recalibrate.h) on cases a person can check: the isotonic
// steps by hand (ties, monotone, decreasing, backtracking), temperatures
// planted in sampled labels, Platt's optimum, clipping, errors, determinism.
// scikit-learn's fits are in recalibrate_sklearn_test.cc.
#include "dpeval/eval/recalibrate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"
#include "dpeval/eval/calibration.h"
#include "dpeval/eval/internal/isotonic.h"
#include "dpeval/eval/internal/platt.h"
#include "dpeval/eval/internal/temperature.h"
#include "eval/eval_test_util.h"

namespace dpeval::eval {
namespace {

using testing::has_warning;
constexpr auto kTemperature = RecalibrationMethod::kTemperature;
constexpr auto kPlatt = RecalibrationMethod::kPlatt;
constexpr auto kIsotonic = RecalibrationMethod::kIsotonic;

// ---- names ------------------------------------------------------------------

TEST(RecalibrationMethod, ParsesItsNamesAndRejectsOthers) {
  for (RecalibrationMethod m : {kTemperature, kPlatt, kIsotonic}) {
    EXPECT_EQ(parse_recalibration_method(recalibration_method_name(m)), m);
  }
  EXPECT_THROW(parse_recalibration_method("sigmoid"), ConfigError);
  EXPECT_THROW(parse_recalibration_method(""), ConfigError);
  try {
    parse_recalibration_method("Platt");
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("temperature, platt or isotonic"), std::string::npos) << e.what();
  }
}

// ---- isotonic by hand -------------------------------------------------------

std::vector<double> pav(std::vector<double> y, std::vector<double> w = {}) {
  if (w.empty()) w.assign(y.size(), 1.0);
  internal::pool_adjacent_violators(y, w);
  return y;
}

TEST(PoolAdjacentViolators, LeavesAMonotoneSequenceAlone) {
  EXPECT_EQ(pav({0.0, 0.2, 0.2, 0.5, 1.0}), (std::vector<double>{0.0, 0.2, 0.2, 0.5, 1.0}));
  EXPECT_EQ(pav({}), std::vector<double>{});
  EXPECT_EQ(pav({0.7}), std::vector<double>{0.7});
}

TEST(PoolAdjacentViolators, PoolsADecreasingSequenceToItsMean) {
  EXPECT_EQ(pav({4, 3, 2, 1}), (std::vector<double>{2.5, 2.5, 2.5, 2.5}));
  EXPECT_EQ(pav({1, 0}, {3, 1}), (std::vector<double>{0.75, 0.75}));  // weighted
}

TEST(PoolAdjacentViolators, BacktracksWhenAPoolBreaksItsLeftNeighbour) {
  // (3, 0) pools to 1.5 < 2, so 2 joins: (2 + 3 + 0) / 3.
  const std::vector<double> y = pav({2, 3, 0, 5});
  EXPECT_DOUBLE_EQ(y[0], 5.0 / 3);
  EXPECT_EQ(y[0], y[1]);
  EXPECT_EQ(y[1], y[2]);
  EXPECT_EQ(y[3], 5);
  // Equal neighbours are not violators; an equal value after a pool joins it.
  EXPECT_EQ(pav({1, 3, 1, 2}), (std::vector<double>{1, 2, 2, 2}));
}

TEST(MergeTiedPoints, AveragesTiesIntoWeightedPoints) {
  const internal::WeightedPoints p = internal::merge_tied_points(std::vector<double>{0.1, 0.1, 0.2, 0.2, 0.2},
                                                                 std::vector<double>{0, 1, 1, 1, 0});
  EXPECT_EQ(p.x, (std::vector<double>{0.1, 0.2}));
  EXPECT_EQ(p.y, (std::vector<double>{0.5, 2.0 / 3}));
  EXPECT_EQ(p.weight, (std::vector<double>{2, 3}));
}

TEST(MergeTiedPoints, MergesWithinTheResolutionOfTheRunsFirstScore) {
  // 0.5 + 9e-16 is within 1e-15 of 0.5; 0.5 + 1.1e-15 is not, though it is
  // within 1e-15 of the previous score.
  const std::vector<double> x{0.5, 0.5 + 4e-16, 0.5 + 9e-16, 0.5 + 1.1e-15, 0.5 + 1.8e-15};
  const internal::WeightedPoints p = internal::merge_tied_points(x, std::vector<double>{0, 1, 1, 0, 0});
  ASSERT_EQ(p.x.size(), 2u);
  EXPECT_EQ(p.x[0], 0.5);
  EXPECT_EQ(p.x[1], x[3]);
  EXPECT_EQ(p.weight, (std::vector<double>{3, 2}));
  EXPECT_EQ(p.y, (std::vector<double>{2.0 / 3, 0}));
}

TEST(FitIsotonic, SortsPoolsAndTrimsFlatInteriorKnots) {
  // Unsorted input; (0.4, 0) and (0.3, 1) violate and pool to 0.5.
  const IsotonicCurve c = internal::fit_isotonic(std::vector<double>{0.5, 0.1, 0.4, 0.2, 0.3, 0.15},
                                                 std::vector<double>{1, 0, 0, 0, 1, 0});
  EXPECT_EQ(c.x, (std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5}));  // 0.15 trimmed: 0 between zeros
  EXPECT_EQ(c.y, (std::vector<double>{0, 0, 0.5, 0.5, 1}));
}

TEST(FitIsotonic, TiedScoresBecomeTheirMeanLabel) {
  const IsotonicCurve c = internal::fit_isotonic(std::vector<double>{0.3, 0.3, 0.3, 0.3, 0.8},
                                                 std::vector<double>{1, 0, 0, 1, 1});
  EXPECT_EQ(c.x, (std::vector<double>{0.3, 0.8}));
  EXPECT_EQ(c.y, (std::vector<double>{0.5, 1}));
}

TEST(FitIsotonic, FullyDecreasingLabelsGiveOneFlatLevel) {
  const IsotonicCurve c =
      internal::fit_isotonic(std::vector<double>{0.1, 0.2, 0.3, 0.4}, std::vector<double>{1, 1, 0, 0});
  EXPECT_EQ(c.x, (std::vector<double>{0.1, 0.4}));
  EXPECT_EQ(c.y, (std::vector<double>{0.5, 0.5}));
}

TEST(IsotonicValue, InterpolatesBetweenKnotsAndClipsOutside) {
  const IsotonicCurve c{{0.2, 0.4, 0.8}, {0.1, 0.5, 0.9}};
  EXPECT_EQ(internal::isotonic_value(c, 0.0), 0.1);
  EXPECT_EQ(internal::isotonic_value(c, -5.0), 0.1);
  EXPECT_EQ(internal::isotonic_value(c, 1.0), 0.9);
  EXPECT_EQ(internal::isotonic_value(c, 0.4), 0.5);  // a knot gives its own value exactly
  EXPECT_EQ(internal::isotonic_value(c, 0.8), 0.9);
  EXPECT_DOUBLE_EQ(internal::isotonic_value(c, 0.3), 0.3);
  EXPECT_DOUBLE_EQ(internal::isotonic_value(c, 0.6), 0.7);
  const IsotonicCurve one{{0.5}, {0.25}};
  for (double t : {0.0, 0.5, 1.0}) EXPECT_EQ(internal::isotonic_value(one, t), 0.25);
}

TEST(FitBinaryIsotonic, ClipsScoresOutsideTheFitRange) {
  const std::vector<int64_t> labels{0, 0, 1, 0, 1, 1};
  const std::vector<double> scores{0.3, 0.4, 0.45, 0.5, 0.6, 0.7};
  const Recalibrator r = fit_binary(kIsotonic, labels, scores);
  const std::vector<double> q = r.apply_binary(std::vector<double>{0.0, 0.1, 0.3, 0.7, 0.9, 1.0});
  EXPECT_EQ(q[0], 0.0);
  EXPECT_EQ(q[1], 0.0);
  EXPECT_EQ(q[2], 0.0);
  EXPECT_EQ(q[3], 1.0);
  EXPECT_EQ(q[4], 1.0);
  EXPECT_EQ(q[5], 1.0);
  // (0.45, 1) and (0.5, 0) pool to 0.5.
  EXPECT_EQ(r.apply_binary(std::vector<double>{0.45, 0.5}), (std::vector<double>{0.5, 0.5}));
}

TEST(FitBinaryIsotonic, LogitsGiveTheSameCurveAsProbabilities) {
  const std::vector<int64_t> labels{0, 1, 0, 1, 1, 0, 1};
  const std::vector<double> logits{-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0};
  std::vector<double> probs;
  for (double z : logits) probs.push_back(internal::sigmoid(z));
  const Recalibrator a = fit_binary(kIsotonic, labels, logits, ScoreScale::kLogit);
  const Recalibrator b = fit_binary(kIsotonic, labels, probs);
  EXPECT_EQ(a.isotonic[0].x, b.isotonic[0].x);
  EXPECT_EQ(a.isotonic[0].y, b.isotonic[0].y);
  EXPECT_EQ(a.apply_binary(logits, ScoreScale::kLogit), b.apply_binary(probs));
}

// ---- temperature ------------------------------------------------------------

struct Sample {
  std::vector<double> logits;  // n x K
  std::vector<int64_t> labels;
};

// z ~ scale * N(0, 1) per entry; labels ~ softmax(z / t_true); the model
// reports z * sharpen (sharpen > 1: overconfident).
Sample planted(uint64_t seed, size_t n, size_t k, double scale, double t_true, double sharpen = 1.0) {
  Rng rng(seed);
  Sample s;
  s.logits.resize(n * k);
  s.labels.resize(n);
  std::vector<double> q(k);
  for (size_t i = 0; i < n; ++i) {
    double top = -INFINITY;
    for (size_t j = 0; j < k; ++j) {
      s.logits[i * k + j] = scale * rng.normal();
      top = std::max(top, s.logits[i * k + j] / t_true);
    }
    double mass = 0;
    for (size_t j = 0; j < k; ++j) mass += q[j] = std::exp(s.logits[i * k + j] / t_true - top);
    double u = rng.uniform_double() * mass;
    size_t label = k - 1;
    for (size_t j = 0; j < k; ++j) {
      if (u < q[j]) {
        label = j;
        break;
      }
      u -= q[j];
    }
    s.labels[i] = static_cast<int64_t>(label);
    for (size_t j = 0; j < k; ++j) s.logits[i * k + j] *= sharpen;
  }
  return s;
}

// Row-wise softmax, the naive way.
std::vector<double> softmax_rows(std::vector<double> z, size_t k) {
  for (size_t i = 0; i < z.size(); i += k) {
    double top = z[i], mass = 0;
    for (size_t j = i; j < i + k; ++j) top = std::max(top, z[j]);
    for (size_t j = i; j < i + k; ++j) mass += z[j] = std::exp(z[j] - top);
    for (size_t j = i; j < i + k; ++j) z[j] /= mass;
  }
  return z;
}

TEST(AsProbabilities, SoftmaxOfLogitsSigmoidOfABinaryLogitAndProbabilitiesAsGiven) {
  const std::vector<double> z{1.0, -2.0, 0.5, 0.0, 0.0, 0.0};
  const std::vector<double> p = as_probabilities_multiclass(z, 3, ScoreScale::kLogit);
  const std::vector<double> want = softmax_rows(z, 3);
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(p[i], want[i], 1e-15);
  const std::vector<double> given{0.2, 0.3, 0.6};  // rows need not sum to 1
  EXPECT_EQ(as_probabilities_multiclass(given, 3, ScoreScale::kProbability), given);
  EXPECT_EQ(as_probabilities_binary(std::vector<double>{0.0, 0.25}, ScoreScale::kProbability),
            (std::vector<double>{0.0, 0.25}));
  EXPECT_EQ(as_probabilities_binary(std::vector<double>{0.0}, ScoreScale::kLogit), std::vector<double>{0.5});
  EXPECT_THROW(as_probabilities_binary(std::vector<double>{1.5}, ScoreScale::kProbability), InputError);
  EXPECT_THROW(as_probabilities_multiclass(std::vector<double>{NAN, 0}, 2, ScoreScale::kLogit), InputError);
}

TEST(Temperature, RecoversAPlantedTemperature) {
  for (double t0 : {0.5, 2.5, 5.0}) {
    const Sample s = planted(7, 20000, 5, 3.0, t0);
    const Recalibrator r = fit_multiclass(kTemperature, s.labels, s.logits, 5, ScoreScale::kLogit);
    EXPECT_NEAR(r.temperature, t0, 0.04 * t0) << "planted T " << t0;
    EXPECT_LT(r.fit_nll_after, r.fit_nll_before);
    EXPECT_TRUE(r.warnings.empty());
  }
}

TEST(Temperature, LeavesACalibratedModelNearOne) {
  const Sample s = planted(11, 20000, 4, 2.0, 1.0);
  const Recalibrator r = fit_multiclass(kTemperature, s.labels, s.logits, 4, ScoreScale::kLogit);
  EXPECT_NEAR(r.temperature, 1.0, 0.03);
  EXPECT_NEAR(r.fit_nll_after, r.fit_nll_before, 1e-3);
}

TEST(Temperature, ReducesHeldOutEceOfAnOverconfidentModel) {
  const size_t k = 5, n = 20000;
  const Sample s = planted(13, 2 * n, k, 1.5, 1.0, /*sharpen=*/3.0);
  const std::span<const double> logits(s.logits);
  const std::span<const int64_t> labels(s.labels);
  const Recalibrator r =
      fit_multiclass(kTemperature, labels.first(n), logits.first(n * k), k, ScoreScale::kLogit);
  EXPECT_NEAR(r.temperature, 3.0, 0.1);

  const std::vector<double> before =
      as_probabilities_multiclass(logits.subspan(n * k), k, ScoreScale::kLogit);
  const std::vector<double> after = r.apply_multiclass(logits.subspan(n * k), k, ScoreScale::kLogit);
  const double ece_before = *compute_calibration_multiclass(labels.subspan(n), before, k, {15}).ece;
  const double ece_after = *compute_calibration_multiclass(labels.subspan(n), after, k, {15}).ece;
  EXPECT_GT(ece_before, 0.1);
  EXPECT_LT(ece_after, 0.02);
  // The argmax, hence accuracy, is unchanged.
  for (size_t i = 0; i < n; ++i) {
    const auto b = before.begin() + static_cast<std::ptrdiff_t>(i * k);
    const auto a = after.begin() + static_cast<std::ptrdiff_t>(i * k);
    EXPECT_EQ(std::max_element(b, b + static_cast<std::ptrdiff_t>(k)) - b,
              std::max_element(a, a + static_cast<std::ptrdiff_t>(k)) - a);
  }
}

TEST(Temperature, FitsAStationaryPointToTightTolerance) {
  const Sample s = planted(17, 5000, 3, 2.0, 1.7);
  std::vector<int32_t> classes(s.labels.begin(), s.labels.end());
  const internal::TemperatureFit fit = internal::fit_temperature(s.logits, classes, 3, 0.05, 20.0);
  const double beta = 1.0 / fit.temperature;
  const double at = internal::temperature_nll(s.logits, classes, 3, beta);
  EXPECT_EQ(at, fit.nll_after);
  for (double d : {1e-4, -1e-4})
    EXPECT_GT(internal::temperature_nll(s.logits, classes, 3, beta * (1 + d)), at);
  // Newton: a handful of steps from T = 1.
  EXPECT_LE(fit.iterations, 12);
}

TEST(Temperature, ProbabilitiesAndLogitsOfOneModelFitTheSameT) {
  const size_t k = 4;
  const Sample s = planted(19, 3000, k, 1.5, 1.8);
  const std::vector<double> probs = softmax_rows(s.logits, k);
  const Recalibrator a = fit_multiclass(kTemperature, s.labels, s.logits, k, ScoreScale::kLogit);
  const Recalibrator b = fit_multiclass(kTemperature, s.labels, probs, k, ScoreScale::kProbability);
  EXPECT_NEAR(a.temperature, b.temperature, 1e-9 * a.temperature);
  const std::vector<double> qa = a.apply_multiclass(s.logits, k, ScoreScale::kLogit);
  const std::vector<double> qb = b.apply_multiclass(probs, k, ScoreScale::kProbability);
  for (size_t i = 0; i < qa.size(); ++i) EXPECT_NEAR(qa[i], qb[i], 1e-9);
}

TEST(Temperature, OneReproducesTheInputProbabilities) {
  Recalibrator r;
  r.task = RecalibrationTask::kMulticlass;
  r.num_classes = 3;
  const std::vector<double> p{0.2, 0.3, 0.5, 1.0, 0.0, 0.0, 0.6, 0.25, 0.15};
  const std::vector<double> q = r.apply_multiclass(p, 3, ScoreScale::kProbability);
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(q[i], p[i], 1e-15) << i;
  Recalibrator b;  // binary, T = 1
  const std::vector<double> scores{0.0, 0.1, 0.5, 0.9, 1.0};
  const std::vector<double> qb = b.apply_binary(scores);
  for (size_t i = 0; i < scores.size(); ++i) EXPECT_NEAR(qb[i], scores[i], 1e-15) << i;
}

TEST(Temperature, BinaryEqualsTheTwoClassSoftmax) {
  const Sample s = planted(23, 4000, 2, 2.0, 0.6);
  std::vector<double> scores, probs;
  for (size_t i = 0; i < s.labels.size(); ++i) {
    const double p = internal::sigmoid(s.logits[2 * i + 1] - s.logits[2 * i]);
    scores.push_back(p);
    probs.insert(probs.end(), {1 - p, p});
  }
  const Recalibrator a = fit_binary(kTemperature, s.labels, scores);
  const Recalibrator b = fit_multiclass(kTemperature, s.labels, probs, 2, ScoreScale::kProbability);
  const Recalibrator c = fit_multiclass(kTemperature, s.labels, s.logits, 2, ScoreScale::kLogit);
  EXPECT_NEAR(a.temperature, 0.6, 0.05);
  EXPECT_NEAR(a.temperature, b.temperature, 1e-9);
  EXPECT_NEAR(a.temperature, c.temperature, 1e-9);
  const std::vector<double> qa = a.apply_binary(scores),
                            qb = b.apply_multiclass(probs, 2, ScoreScale::kProbability);
  for (size_t i = 0; i < qa.size(); ++i) EXPECT_NEAR(qa[i], qb[2 * i + 1], 1e-12);
}

TEST(Temperature, StopsOnTheBracketBoundWithAWarning) {
  // Separable: every label is the argmax, so the NLL falls as T -> 0.
  const std::vector<int64_t> labels{0, 1, 1, 0};
  const std::vector<double> scores{0.2, 0.9, 0.6, 0.4};
  const Recalibrator r = fit_binary(kTemperature, labels, scores);
  EXPECT_EQ(r.temperature, 0.05);
  EXPECT_TRUE(has_warning(r.warnings, "bracket"));
  // Every label the opposite of the argmax: T -> infinity.
  const Recalibrator wrong =
      fit_binary(kTemperature, std::vector<int64_t>{1, 0, 0, 1}, scores, ScoreScale::kProbability,
                 {.temperature_min = 0.1, .temperature_max = 7.0});
  EXPECT_EQ(wrong.temperature, 7.0);
}

TEST(Temperature, ConstantScoresKeepOneWithAWarning) {
  const Recalibrator r =
      fit_binary(kTemperature, std::vector<int64_t>{0, 1, 1}, std::vector<double>{0.5, 0.5, 0.5});
  EXPECT_EQ(r.temperature, 1.0);
  EXPECT_TRUE(has_warning(r.warnings, "no effect"));
}

// ---- platt ------------------------------------------------------------------

TEST(Platt, ReachesTheOptimumOfPlattsObjective) {
  const Sample s = planted(29, 2000, 2, 2.0, 1.0, 2.0);
  std::vector<double> x;
  std::vector<uint8_t> positive;
  for (size_t i = 0; i < s.labels.size(); ++i) {
    x.push_back(s.logits[2 * i + 1] - s.logits[2 * i]);
    positive.push_back(static_cast<uint8_t>(s.labels[i]));
  }
  const internal::PlattFit fit = internal::fit_platt(x, positive);
  EXPECT_NEAR(fit.sigmoid.a, 0.5, 0.05);  // the model is twice too sharp
  EXPECT_NEAR(fit.sigmoid.b, 0.0, 0.2);
  EXPECT_EQ(fit.loss, internal::platt_loss(x, positive, fit.sigmoid));
  for (double da : {-1e-6, 0.0, 1e-6}) {
    for (double db : {-1e-6, 0.0, 1e-6}) {
      if (da == 0 && db == 0) continue;
      EXPECT_GT(internal::platt_loss(x, positive, {fit.sigmoid.a + da, fit.sigmoid.b + db}), fit.loss);
    }
  }
}

TEST(Platt, SeparableDataStillHasAFiniteFit) {
  const std::vector<int64_t> labels{0, 0, 0, 1, 1, 1};
  const std::vector<double> scores{0.1, 0.2, 0.3, 0.7, 0.8, 0.9};
  const Recalibrator r = fit_binary(kPlatt, labels, scores);
  ASSERT_EQ(r.platt.size(), 1u);
  EXPECT_TRUE(std::isfinite(r.platt[0].a) && r.platt[0].a > 0);
  const std::vector<double> q = r.apply_binary(scores);
  // Platt's targets 1/5 and 4/5 keep the fitted probabilities off 0 and 1.
  EXPECT_GT(q[0], 0.0);
  EXPECT_LT(q[5], 1.0);
  EXPECT_LT(q[2], 0.5);
  EXPECT_GT(q[3], 0.5);
}

TEST(Platt, MulticlassRowsSumToOne) {
  const size_t k = 3;
  const Sample s = planted(31, 900, k, 1.5, 1.0, 2.0);
  const Recalibrator r = fit_multiclass(kPlatt, s.labels, s.logits, k, ScoreScale::kLogit);
  EXPECT_EQ(r.platt.size(), k);
  EXPECT_LT(r.fit_nll_after, r.fit_nll_before);
  const std::vector<double> q = r.apply_multiclass(s.logits, k, ScoreScale::kLogit);
  for (size_t i = 0; i < q.size(); i += k) EXPECT_NEAR(q[i] + q[i + 1] + q[i + 2], 1.0, 1e-12);
}

// ---- errors -----------------------------------------------------------------

template <typename Error, typename F>
void expect_error(F&& f, std::string_view needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(RecalibrateErrors, DegenerateFitSets) {
  for (RecalibrationMethod m : {kTemperature, kPlatt, kIsotonic}) {
    SCOPED_TRACE(std::string(recalibration_method_name(m)));
    expect_error<InputError>([&] { fit_binary(m, std::vector<int64_t>{}, std::vector<double>{}); },
                             "no rows");
    expect_error<InputError>(
        [&] {
          fit_binary(m, std::vector<int64_t>{1, 1}, std::vector<double>{0.2, 0.9});
        },
        "one class");
    expect_error<InputError>(
        [&] {
          fit_binary(m, std::vector<double>{0, 0}, std::vector<double>{0.2, 0.9});
        },
        "every label is 0");
    expect_error<InputError>(
        [&] {
          fit_multiclass(m, std::vector<int64_t>{2, 2}, std::vector<double>{0.1, 0.2, 0.7, 0.3, 0.3, 0.4}, 3,
                         ScoreScale::kProbability);
        },
        "can't fit a calibrator on one class");
    expect_error<InputError>(
        [&] { fit_multiclass(m, std::vector<int64_t>{}, std::vector<double>{}, 3, ScoreScale::kLogit); },
        "no rows");
  }
}

TEST(RecalibrateErrors, BadInputs) {
  const std::vector<int64_t> labels{0, 1};
  expect_error<InputError>([&] { fit_binary(kPlatt, labels, std::vector<double>{0.5}); }, "rows");
  expect_error<InputError>([&] { fit_binary(kPlatt, labels, std::vector<double>{0.5, 1.5}); }, "scores[1]");
  expect_error<InputError>([&] { fit_binary(kPlatt, labels, std::vector<double>{0.5, NAN}); }, "scores[1]");
  expect_error<InputError>(
      [&] {
        fit_binary(kPlatt, labels, std::vector<double>{0.5, INFINITY}, ScoreScale::kLogit);
      },
      "logits[1]");
  expect_error<InputError>(
      [&] {
        fit_binary(kPlatt, std::vector<int64_t>{0, 2}, std::vector<double>{0.5, 0.5});
      },
      "labels[1]");
  expect_error<InputError>(
      [&] {
        fit_multiclass(kIsotonic, labels, std::vector<double>{0.5, 0.5, 0.5}, 2, ScoreScale::kProbability);
      },
      "whole number of rows");
  expect_error<InputError>(
      [&] {
        fit_multiclass(kIsotonic, std::vector<int64_t>{0, 3}, std::vector<double>(6, 0.3), 3,
                       ScoreScale::kProbability);
      },
      "labels[1]");
  expect_error<ConfigError>(
      [&] {
        fit_binary(kTemperature, labels, std::vector<double>{0.2, 0.8}, ScoreScale::kProbability,
                   {.temperature_min = 0.0, .temperature_max = 1.0});
      },
      "temperature bracket");
  expect_error<ConfigError>(
      [&] {
        fit_binary(kTemperature, labels, std::vector<double>{0.2, 0.8}, ScoreScale::kProbability,
                   {.temperature_min = 2.0, .temperature_max = 1.0});
      },
      "temperature bracket");
}

TEST(RecalibrateErrors, ApplyingToTheWrongShape) {
  const Recalibrator binary =
      fit_binary(kPlatt, std::vector<int64_t>{0, 1, 0}, std::vector<double>{0.2, 0.8, 0.4});
  expect_error<ConfigError>(
      [&] {
        binary.apply_multiclass(std::vector<double>{0.5, 0.5}, 2, ScoreScale::kProbability);
      },
      "apply_binary");
  expect_error<InputError>([&] { binary.apply_binary(std::vector<double>{-0.1}); }, "scores[0]");
  const Recalibrator multi = fit_multiclass(kIsotonic, std::vector<int64_t>{0, 1, 2},
                                            std::vector<double>{0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8},
                                            3, ScoreScale::kProbability);
  expect_error<ConfigError>([&] { multi.apply_binary(std::vector<double>{0.5}); }, "apply_multiclass");
  expect_error<InputError>(
      [&] {
        multi.apply_multiclass(std::vector<double>{0.5, 0.5}, 2, ScoreScale::kProbability);
      },
      "fitted on 3");
  expect_error<InputError>(
      [&] {
        multi.apply_multiclass(std::vector<double>{0.5, 0.5}, 3, ScoreScale::kProbability);
      },
      "whole number of rows");
}

TEST(RecalibrateMulticlass, AnAbsentClassIsAWarningNotAnError) {
  const std::vector<int64_t> labels{0, 1, 0, 1};
  const std::vector<double> probs{0.7, 0.2, 0.1, 0.3, 0.6, 0.1, 0.5, 0.3, 0.2, 0.2, 0.5, 0.3};
  for (RecalibrationMethod m : {kPlatt, kIsotonic}) {
    const Recalibrator r = fit_multiclass(m, labels, probs, 3, ScoreScale::kProbability);
    EXPECT_TRUE(has_warning(r.warnings, "class 2 is absent")) << recalibration_method_name(m);
    const std::vector<double> q = r.apply_multiclass(probs, 3, ScoreScale::kProbability);
    for (size_t i = 0; i < q.size(); i += 3) EXPECT_NEAR(q[i] + q[i + 1] + q[i + 2], 1.0, 1e-12);
  }
}

// ---- determinism and description --------------------------------------------

TEST(Recalibrate, SameInputGivesBitwiseTheSameFit) {
  const size_t k = 4;
  const Sample s = planted(37, 3000, k, 1.5, 1.0, 2.0);
  for (RecalibrationMethod m : {kTemperature, kPlatt, kIsotonic}) {
    const Recalibrator a = fit_multiclass(m, s.labels, s.logits, k, ScoreScale::kLogit);
    const Recalibrator b = fit_multiclass(m, s.labels, s.logits, k, ScoreScale::kLogit);
    EXPECT_EQ(a.describe().dump(), b.describe().dump()) << recalibration_method_name(m);
    EXPECT_EQ(a.apply_multiclass(s.logits, k, ScoreScale::kLogit),
              b.apply_multiclass(s.logits, k, ScoreScale::kLogit));
  }
}

TEST(Recalibrate, DescribeNamesTheMethodItsParametersAndTheFit) {
  const std::vector<int64_t> labels{0, 1, 0, 1, 1, 0};
  const std::vector<double> scores{0.1, 0.8, 0.4, 0.6, 0.95, 0.7};
  const nlohmann::json t = fit_binary(kTemperature, labels, scores).describe();
  EXPECT_EQ(t["method"], "temperature");
  EXPECT_EQ(t["task"], "binary");
  EXPECT_GT(t["temperature"].get<double>(), 0.0);
  EXPECT_EQ(t["fit"]["rows"], 6);
  EXPECT_LE(t["fit"]["nll_after"].get<double>(), t["fit"]["nll_before"].get<double>());
  EXPECT_FALSE(t.contains("warnings"));
  const nlohmann::json p = fit_binary(kPlatt, labels, scores).describe();
  ASSERT_EQ(p["platt"].size(), 1u);
  EXPECT_EQ(p["platt"][0]["class"], 1);
  const nlohmann::json i = fit_binary(kIsotonic, labels, scores).describe();
  EXPECT_EQ(i["isotonic"][0]["x"].size(), i["isotonic"][0]["y"].size());
}

}  // namespace
}  // namespace dpeval::eval
