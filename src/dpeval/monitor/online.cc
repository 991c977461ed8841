// See online.h.
#include "dpeval/monitor/online.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/eval/calibration.h"
#include "dpeval/eval/metrics.h"
#include "dpeval/stats/distributions.h"

namespace dpeval::monitor {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxWindow = 10'000'000;

size_t argmax(std::span<const float> p) {
  size_t best = 0;
  for (size_t c = 1; c < p.size(); ++c)
    if (p[c] > p[best]) best = c;
  return best;
}

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

void check_online_options(const OnlineOptions& o) {
  auto bad = [](const char* field, double value, const char* expected) {
    throw ConfigError(fmt::format("{} {}: expected {}", field, value, expected));
  };
  if (o.window < 1 || o.window > kMaxWindow) bad("window", static_cast<double>(o.window), "1 to 10000000");
  if (!(o.alpha > 0 && o.alpha <= 0.5)) bad("alpha", o.alpha, "a level in (0, 0.5]");
  if (!(o.decay_margin >= 0 && o.decay_margin < 1)) bad("decay margin", o.decay_margin, "[0, 1)");
  if (!(o.loop_margin >= 0 && o.loop_margin < 1)) bad("feedback-loop margin", o.loop_margin, "[0, 1)");
  if (!(o.ece_threshold > 0 && o.ece_threshold <= 1)) bad("ECE threshold", o.ece_threshold, "(0, 1]");
  if (!(o.drift_share > 0 && o.drift_share <= 1)) bad("drift share", o.drift_share, "(0, 1]");
  if (o.ece_bins < 1 || o.ece_bins > 1000) bad("ECE bins", static_cast<double>(o.ece_bins), "1 to 1000");
}

OnlineMonitor::OnlineMonitor(size_t num_classes, OnlineReference reference, OnlineOptions options)
    : k_(num_classes), reference_(std::move(reference)), options_(options) {
  if (num_classes < 2)
    throw ConfigError(fmt::format("online monitor: {} classes; expected at least 2", num_classes));
  check_online_options(options_);
  if (reference_.accuracy && !(*reference_.accuracy >= 0 && *reference_.accuracy <= 1)) {
    throw ConfigError(
        fmt::format("{}: reference accuracy {} is not in [0, 1]", reference_.source, *reference_.accuracy));
  }
  open_predicted_.assign(k_, 0.0);
}

std::optional<size_t> OnlineMonitor::add_prediction(std::span<const float> served) {
  DPEVAL_CHECK(served.size() == k_) << "prediction of " << served.size() << " classes, expected " << k_;
  ++predictions_;
  const size_t best = argmax(served);
  open_confidence_ += served[best];
  open_predicted_[best] += 1;
  if (++open_unlabelled_rows_ < options_.window) return std::nullopt;
  close_unlabelled();
  return unlabelled_.size() - 1;
}

void OnlineMonitor::close_unlabelled() {
  UnlabelledWindow w;
  w.number = unlabelled_.size();
  w.rows = open_unlabelled_rows_;
  const double n = static_cast<double>(w.rows);
  w.estimated_accuracy = open_confidence_ / n;
  w.predicted_share = open_predicted_;
  for (double& s : w.predicted_share) s /= n;
  unlabelled_.push_back(std::move(w));
  open_confidence_ = 0;
  open_unlabelled_rows_ = 0;
  open_predicted_.assign(k_, 0.0);
}

void OnlineMonitor::attach_drift(size_t number, json drift) {
  DPEVAL_CHECK(number < unlabelled_.size()) << "drift for window " << number << " of " << unlabelled_.size();
  UnlabelledWindow& w = unlabelled_[number];
  if (drift.is_object() && drift.contains("share_drifted") && drift["share_drifted"].is_number()) {
    w.drift_share = drift["share_drifted"].get<double>();
    w.drift_alarm = *w.drift_share >= options_.drift_share;
  }
  if (drift.is_object() && drift.contains("predictions") && drift["predictions"].is_array() &&
      !drift["predictions"].empty()) {
    size_t drifted = 0;
    for (const json& e : drift["predictions"]) drifted += e.value("drift", false) ? 1 : 0;
    w.prediction_drift_share =
        static_cast<double>(drifted) / static_cast<double>(drift["predictions"].size());
  }
  w.drift = std::move(drift);
}

std::optional<size_t> OnlineMonitor::add_feedback(std::span<const float> served, std::span<const float> raw,
                                                  double temperature, int32_t label) {
  DPEVAL_CHECK(served.size() == k_ && raw.size() == k_) << "feedback of " << served.size() << " classes";
  DPEVAL_CHECK(label >= 0 && static_cast<size_t>(label) < k_) << "label " << label;
  ++feedback_;
  const size_t best = argmax(served);
  const size_t best_raw = argmax(raw);
  open_correct_.push_back(best == static_cast<size_t>(label));
  open_correct_raw_.push_back(best_raw == static_cast<size_t>(label));
  open_confidence_served_.push_back(served[best]);
  open_confidence_raw_.push_back(raw[best_raw]);
  // Log loss as sklearn's: the row renormalised, then clipped to [eps, 1 - eps].
  double sum = 0;
  for (float p : served) sum += p;
  const double p = std::clamp(static_cast<double>(served[static_cast<size_t>(label)]) / sum,
                              eval::kFloat64Eps, 1 - eval::kFloat64Eps);
  open_log_loss_ -= std::log(p);
  open_labels_.push_back(label);
  for (float q : raw) open_raw_.push_back(q);
  open_temperature_ = temperature;
  if (open_correct_.size() < options_.window) return std::nullopt;
  close_labelled();
  return labelled_.size() - 1;
}

void OnlineMonitor::close_labelled() {
  LabelledWindow w;
  w.number = labelled_.size();
  w.rows = open_correct_.size();
  const double n = static_cast<double>(w.rows);
  for (uint8_t c : open_correct_) w.correct += c;
  w.accuracy = static_cast<double>(w.correct) / n;
  w.log_loss = open_log_loss_ / n;
  double confidence = 0;
  for (double c : open_confidence_served_) confidence += c;
  w.estimated_accuracy = confidence / n;
  eval::CalibrationOptions co;
  co.bins = options_.ece_bins;
  w.ece = eval::compute_calibration(open_correct_, open_confidence_served_, co).ece;
  w.ece_raw = eval::compute_calibration(open_correct_raw_, open_confidence_raw_, co).ece;
  w.temperature = open_temperature_;
  w.recalibrate = w.ece && *w.ece > options_.ece_threshold;
  if (reference_.accuracy) {
    // See Note [Decay test].
    const double p0 = std::max(0.0, *reference_.accuracy - options_.decay_margin);
    w.decay_p_value = stats::binomial_cdf_at_most(w.correct, w.rows, p0);
    w.decay = *w.decay_p_value < options_.alpha;
    if (w.decay) {
      size_t correct = 0;
      for (size_t m = 0; m < w.rows; ++m) {
        correct += open_correct_[m];
        if (stats::binomial_cdf_at_most(correct, m + 1, p0) < options_.alpha) {
          w.decay_rows_needed = m + 1;
          break;
        }
      }
    }
    // See Note [Feedback-loop test].
    const double p1 = *reference_.accuracy + options_.loop_margin;
    if (p1 < 1) {
      w.loop_p_value = stats::binomial_sf_at_least(w.correct, w.rows, p1);
      w.feedback_loop = *w.loop_p_value < options_.alpha;
    }
  }
  labelled_.push_back(w);
  last_labels_ = std::move(open_labels_);
  last_raw_ = std::move(open_raw_);
  open_labels_.clear();
  open_raw_.clear();
  open_correct_.clear();
  open_correct_raw_.clear();
  open_confidence_served_.clear();
  open_confidence_raw_.clear();
  open_log_loss_ = 0;
}

std::vector<std::string> OnlineMonitor::retrain_reasons() const {
  std::vector<std::string> reasons;
  if (!labelled_.empty() && labelled_.back().decay) reasons.emplace_back("decay");
  if (!unlabelled_.empty() && unlabelled_.back().drift_alarm) reasons.emplace_back("drift");
  if (!labelled_.empty() && labelled_.back().feedback_loop) reasons.emplace_back("feedback_loop");
  return reasons;
}

json OnlineMonitor::document() const {
  json labelled = json::array(), unlabelled = json::array(), alarms = json::array();
  const double ref = reference_.accuracy.value_or(std::nan(""));
  auto alarm = [&alarms](const char* kind, size_t window, std::string reason) {
    alarms.push_back({{"kind", kind}, {"window", window}, {"reason", std::move(reason)}});
  };
  for (const LabelledWindow& w : labelled_) {
    labelled.push_back(
        {{"window", w.number},
         {"rows", w.rows},
         {"accuracy", w.accuracy},
         {"estimated_accuracy", w.estimated_accuracy},
         {"log_loss", w.log_loss},
         {"ece", optional_json(w.ece)},
         {"ece_raw", optional_json(w.ece_raw)},
         {"temperature", w.temperature},
         {"decay", w.decay},
         {"decay_p_value", optional_json(w.decay_p_value)},
         {"decay_rows_needed", w.decay_rows_needed ? json(*w.decay_rows_needed) : json(nullptr)},
         {"feedback_loop", w.feedback_loop},
         {"feedback_loop_p_value", optional_json(w.loop_p_value)},
         {"recalibration_advised", w.recalibrate}});
    if (w.decay) {
      alarm("decay", w.number,
            fmt::format("labelled window {}: accuracy {:.4f} on {} rows is below the reference {:.4f} "
                        "- {} (exact binomial p = {:.3g} < {}; significant after {} rows)",
                        w.number, w.accuracy, w.rows, ref, options_.decay_margin, *w.decay_p_value,
                        options_.alpha, w.decay_rows_needed.value_or(w.rows)));
    }
    if (w.feedback_loop) {
      alarm("feedback_loop", w.number,
            fmt::format("labelled window {}: the labels agree with the served predictions on {:.4f} of "
                        "{} rows, above what a model of reference accuracy {:.4f} + {} allows (exact "
                        "binomial p = {:.3g} < {}): the labels look model-generated",
                        w.number, w.accuracy, w.rows, ref, options_.loop_margin, *w.loop_p_value,
                        options_.alpha));
    }
    if (w.recalibrate) {
      alarm("calibration", w.number,
            fmt::format("labelled window {}: ECE {:.4f} above the threshold {}", w.number, *w.ece,
                        options_.ece_threshold));
    }
  }
  for (const UnlabelledWindow& w : unlabelled_) {
    unlabelled.push_back({{"window", w.number},
                          {"rows", w.rows},
                          {"estimated_accuracy", w.estimated_accuracy},
                          {"predicted_share", w.predicted_share},
                          {"drift_share", optional_json(w.drift_share)},
                          {"prediction_drift_share", optional_json(w.prediction_drift_share)},
                          {"drift", w.drift_alarm},
                          {"drift_detail", w.drift}});
    if (w.drift_alarm) {
      alarm("drift", w.number,
            fmt::format("prediction window {}: {:.3f} of the columns drifted (threshold {})", w.number,
                        *w.drift_share, options_.drift_share));
    }
  }
  const std::vector<std::string> reasons = retrain_reasons();
  return {{"window", options_.window},
          {"alpha", options_.alpha},
          {"decay_margin", options_.decay_margin},
          {"feedback_loop_margin", options_.loop_margin},
          {"ece_threshold", options_.ece_threshold},
          {"drift_share_threshold", options_.drift_share},
          {"reference",
           {{"accuracy", optional_json(reference_.accuracy)},
            {"ece", optional_json(reference_.ece)},
            {"source", reference_.source}}},
          {"predictions", predictions_},
          {"feedback", feedback_},
          {"labelled", labelled},
          {"unlabelled", unlabelled},
          {"alarms", alarms},
          {"retrain_recommended", !reasons.empty()},
          {"retrain_reasons", reasons}};
}
}  // namespace dpeval::monitor
