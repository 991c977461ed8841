// The online monitors (monitor/online.h): windows, the decay and
// feedback-loop tests (exact binomial, Notes [Decay test] and
// [Feedback-loop test]), estimated accuracy, recalibration advice.
#include "dpeval/monitor/online.h"

#include <gtest/gtest.h>

#include <random>

#include "dpeval/core/error.h"
#include "dpeval/stats/distributions.h"

namespace dpeval::monitor {
namespace {

constexpr size_t kClasses = 10;

// A stream of rows whose served top probability is `confidence` and whose
// label is right with probability `accuracy` (or always the prediction, for
// copied labels).
struct Stream {
  double confidence = 0.88, accuracy = 0.88;
  bool copy_predictions = false;
  std::mt19937_64 rng{11};
  size_t i = 0;
  void feed(OnlineMonitor& m, size_t rows) {
    std::bernoulli_distribution right(accuracy);
    for (size_t r = 0; r < rows; ++r, ++i) {
      std::vector<float> p(kClasses, static_cast<float>((1 - confidence) / (kClasses - 1)));
      const size_t predicted = i % kClasses;
      p[predicted] = static_cast<float>(confidence);
      m.add_prediction(p);
      const bool ok = copy_predictions || right(rng);
      m.add_feedback(p, p, 1.0, static_cast<int32_t>(ok ? predicted : (predicted + 1) % kClasses));
    }
  }
};

OnlineReference reference(double accuracy) {
  OnlineReference r;
  r.accuracy = accuracy;
  r.source = "test";
  return r;
}

TEST(OnlineMonitor, ACleanStreamRaisesNoAlarmInTwentyWindows) {
  OnlineMonitor m(kClasses, reference(0.88), {});
  Stream s;
  s.feed(m, 20 * 1000);
  ASSERT_EQ(m.labelled().size(), 20u);
  ASSERT_EQ(m.unlabelled().size(), 20u);
  for (const LabelledWindow& w : m.labelled()) {
    EXPECT_FALSE(w.decay) << "window " << w.number << " accuracy " << w.accuracy;
    EXPECT_FALSE(w.feedback_loop) << "window " << w.number;
    EXPECT_NEAR(w.estimated_accuracy, 0.88, 1e-6);
  }
  EXPECT_TRUE(m.retrain_reasons().empty());
  EXPECT_EQ(m.document()["alarms"].size(), 0u);
}

TEST(OnlineMonitor, DecayIsCaughtInTheFirstDecayedWindowWithTheRowsItNeeded) {
  OnlineMonitor m(kClasses, reference(0.88), {});
  Stream s;
  s.feed(m, 2000);  // two clean windows
  s.accuracy = 0.78;
  s.feed(m, 1000);
  ASSERT_EQ(m.labelled().size(), 3u);
  EXPECT_FALSE(m.labelled()[1].decay);
  const LabelledWindow& w = m.labelled()[2];
  EXPECT_TRUE(w.decay);
  // The p-value is the exact binomial test itself (scipy: binomtest(c, n, 0.86, alternative='less')).
  EXPECT_EQ(*w.decay_p_value, stats::binomial_cdf_at_most(w.correct, w.rows, 0.88 - 0.02));
  ASSERT_TRUE(w.decay_rows_needed);
  EXPECT_LT(*w.decay_rows_needed, 1000u);
  EXPECT_GT(*w.decay_rows_needed, 10u);
  EXPECT_EQ(m.retrain_reasons(), std::vector<std::string>{"decay"});
  const nlohmann::json doc = m.document();
  // Decay, and the calibration it broke: confidence 0.88 against accuracy 0.78.
  ASSERT_EQ(doc["alarms"].size(), 2u);
  EXPECT_EQ(doc["alarms"][0]["kind"], "decay");
  EXPECT_EQ(doc["alarms"][1]["kind"], "calibration");
  EXPECT_TRUE(w.recalibrate);
  EXPECT_EQ(doc["retrain_recommended"], true);
}

TEST(OnlineMonitor, CopiedLabelsRaiseTheFeedbackLoopAlarmAndHonestOnesDoNot) {
  OnlineMonitor copied(kClasses, reference(0.88), {});
  Stream s;
  s.copy_predictions = true;
  s.feed(copied, 1000);
  ASSERT_EQ(copied.labelled().size(), 1u);
  EXPECT_TRUE(copied.labelled()[0].feedback_loop);
  EXPECT_EQ(copied.labelled()[0].accuracy, 1.0);
  EXPECT_EQ(copied.retrain_reasons(), std::vector<std::string>{"feedback_loop"});

  OnlineMonitor honest(kClasses, reference(0.88), {});
  Stream h;
  h.feed(honest, 5000);
  for (const LabelledWindow& w : honest.labelled()) EXPECT_FALSE(w.feedback_loop);

  // A reference so high that reference + margin >= 1 leaves the test off.
  OnlineMonitor high(kClasses, reference(0.97), {});
  Stream c2;
  c2.copy_predictions = true;
  c2.feed(high, 1000);
  EXPECT_FALSE(high.labelled()[0].loop_p_value.has_value());
}

TEST(OnlineMonitor, OverconfidenceAdvisesRecalibrationAndNoReferenceTurnsTheTestsOff) {
  OnlineReference none;
  OnlineMonitor m(kClasses, none, {});
  Stream s;
  s.confidence = 0.99;
  s.accuracy = 0.8;
  s.feed(m, 1000);
  const LabelledWindow& w = m.labelled()[0];
  EXPECT_TRUE(w.recalibrate);
  EXPECT_GT(*w.ece, 0.15);
  EXPECT_FALSE(w.decay_p_value.has_value());
  EXPECT_FALSE(w.loop_p_value.has_value());
  EXPECT_EQ(m.last_window_labels().size(), 1000u);
  EXPECT_EQ(m.last_window_raw().size(), 1000u * kClasses);
}

TEST(OnlineMonitor, OptionsOutOfTheirBoundsAreConfigErrors) {
  auto with = [](auto edit) {
    OnlineOptions o;
    edit(o);
    return o;
  };
  EXPECT_THROW(OnlineMonitor(kClasses, {}, with([](OnlineOptions& o) { o.window = 0; })), ConfigError);
  EXPECT_THROW(OnlineMonitor(kClasses, {}, with([](OnlineOptions& o) { o.alpha = 0; })), ConfigError);
  EXPECT_THROW(OnlineMonitor(kClasses, {}, with([](OnlineOptions& o) { o.alpha = 0.7; })), ConfigError);
  EXPECT_THROW(OnlineMonitor(kClasses, {}, with([](OnlineOptions& o) { o.decay_margin = -0.1; })),
               ConfigError);
  EXPECT_THROW(OnlineMonitor(kClasses, {}, with([](OnlineOptions& o) { o.ece_threshold = 0; })), ConfigError);
  EXPECT_THROW(OnlineMonitor(1, {}, {}), ConfigError);
  EXPECT_THROW(OnlineMonitor(kClasses, reference(1.5), {}), ConfigError);
}

}  // namespace
}  // namespace dpeval::monitor
