// Online monitors of a served model: what `dpeval serve` keeps live and
// `dpeval monitor` recomputes from the store (docs/MLOPS.md). Two streams of
// tumbling windows:
//
//   label-free windows   every `window` predictions, in the order they were
//                        served: estimated accuracy (Note [Estimated
//                        accuracy]), the share of each predicted class, and
//                        the input and prediction drift the server measured
//                        on the window's rows (attach_drift; the monitor
//                        itself never sees inputs);
//   labelled windows     every `window` feedback labels, in the order they
//                        arrived, each joined to its prediction: realised
//                        accuracy, log loss, ECE (15 bins) of the served and
//                        of the raw (before any recalibration) probabilities,
//                        the estimated accuracy of the same rows, the
//                        silent-decay test and the feedback-loop test.
//
// Note [Decay test]
// A window of n labelled rows with c correct raises the silent-decay alarm
// when the exact one-sided binomial test of H0: accuracy >= a_ref - margin
// rejects at alpha: P(X <= c | n, a_ref - margin) < alpha. Why the exact
// binomial and not Page-Hinkley or CUSUM: rows within a window are
// exchangeable draws of "correct or not", so the binomial is the exact law of
// c under H0; its false-alarm rate per window is alpha by construction,
// whatever n, with no drift parameter or threshold h to tune, and a user can
// check a verdict with scipy.stats.binomtest. The price is that a decay is
// reported at the end of its window, not at the first row that gives it away:
// each alarm says how many of the window's rows the test needed (the first
// prefix of the window on which the same test already rejects), so a user
// sees how much smaller a window would have caught it. One test per window,
// so a stream of clean windows raises an alarm in at most alpha of them (far
// fewer when the model is at its reference, margin > 0).
//
// Note [Feedback-loop test]
// Labels that copy the model's own predictions agree with them more often
// than the model's accuracy allows. A window raises the feedback-loop alarm
// when the agreement (= the realised accuracy against those labels) is
// significantly above a_ref + margin: P(X >= c | n, a_ref + margin) < alpha.
// Not tested (null, with the reason) when a_ref + margin >= 1.
//
// Note [Estimated accuracy]
// Label-free, as NannyML's CBPE for a multiclass model: the mean over the
// window of the served top-class probability. It equals the expected accuracy
// when the served probabilities are calibrated, which is why it is shown
// beside the realised one (and beside ECE): a gap between them is itself a
// sign that calibration has gone.
//
// Thread safety: none; the server serialises calls. Deterministic: the same
// calls give the same document.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dpeval::monitor {

struct OnlineOptions {
  size_t window = 1000;        // rows per window, 1..1e7
  double alpha = 0.01;         // level of the decay and feedback-loop tests, (0, 0.5]
  double decay_margin = 0.02;  // H0 of the decay test: accuracy >= reference - this, [0, 1)
  double loop_margin = 0.05;   // H0 of the loop test: agreement <= reference + this, [0, 1)
  // A labelled window's ECE above it asks for recalibration, (0, 1]. ECE over
  // 15 bins is biased upwards on few rows (about 0.03 for a calibrated model
  // on 500), so the default asks only for plain miscalibration.
  double ece_threshold = 0.1;
  double drift_share = 0.5;  // a label-free window whose drifted share reaches it counts as drift, (0, 1]
  size_t ece_bins = 15;
};

// The model's figures on its reference data (the profile's model summary or
// the checkpoint's last test epoch). Without accuracy, the decay and loop
// tests are not run.
struct OnlineReference {
  std::optional<double> accuracy;
  std::optional<double> ece;
  std::string source;  // where the figures come from, for the document
};

struct LabelledWindow {
  size_t number = 0;  // 0-based
  size_t rows = 0;
  size_t correct = 0;
  double accuracy = 0, log_loss = 0, estimated_accuracy = 0;
  std::optional<double> ece, ece_raw;  // served and raw probabilities
  double temperature = 1;              // of the window's last row
  std::optional<double> decay_p_value;
  bool decay = false;
  std::optional<size_t> decay_rows_needed;
  std::optional<double> loop_p_value;
  bool feedback_loop = false;
  bool recalibrate = false;  // ECE above the threshold
};

struct UnlabelledWindow {
  size_t number = 0;
  size_t rows = 0;
  double estimated_accuracy = 0;
  std::vector<double> predicted_share;           // per class
  nlohmann::json drift;                          // attach_drift's, or null
  std::optional<double> drift_share;             // drift["share_drifted"]: of the input columns
  std::optional<double> prediction_drift_share;  // of the prob_<k> columns (drift["predictions"])
  bool drift_alarm = false;
};

class OnlineMonitor {
 public:
  // ConfigError for options out of their bounds or num_classes < 2.
  OnlineMonitor(size_t num_classes, OnlineReference reference, OnlineOptions options);

  // One served prediction (K probabilities). Returns the number of the
  // label-free window it closed, if it closed one.
  std::optional<size_t> add_prediction(std::span<const float> served);
  // A feedback label joined to its prediction: the served and raw
  // probabilities, the temperature it was served with and the true label
  // (0 <= label < K, checked by the caller). Returns the number of the
  // labelled window it closed, if it closed one.
  std::optional<size_t> add_feedback(std::span<const float> served, std::span<const float> raw,
                                     double temperature, int32_t label);
  // The server's drift document for label-free window `number`.
  void attach_drift(size_t number, nlohmann::json drift);

  const std::vector<LabelledWindow>& labelled() const { return labelled_; }
  const std::vector<UnlabelledWindow>& unlabelled() const { return unlabelled_; }
  size_t predictions() const { return predictions_; }
  size_t feedback() const { return feedback_; }
  const OnlineReference& reference() const { return reference_; }
  const OnlineOptions& options() const { return options_; }

  // The labels and raw probabilities (n x K, row-major) of the last closed
  // labelled window: what a temperature is fitted on. Empty before one closed.
  const std::vector<int64_t>& last_window_labels() const { return last_labels_; }
  const std::vector<double>& last_window_raw() const { return last_raw_; }

  // Whether to retrain, and why: "decay" (the last labelled window raised
  // the decay alarm), "feedback_loop" (likewise) and "drift" (the last
  // label-free window's drifted share reached options.drift_share).
  std::vector<std::string> retrain_reasons() const;

  // {"window", "alpha", "reference", "labelled": [...], "unlabelled": [...],
  //  "alarms": [{"kind", "window", "reason"}], "retrain_recommended",
  //  "retrain_reasons", "predictions", "feedback"}
  nlohmann::json document() const;

 private:
  void close_labelled();
  void close_unlabelled();

  size_t k_;
  OnlineReference reference_;
  OnlineOptions options_;
  size_t predictions_ = 0, feedback_ = 0;
  // The open windows.
  double open_confidence_ = 0;
  std::vector<double> open_predicted_;
  size_t open_unlabelled_rows_ = 0;
  std::vector<uint8_t> open_correct_;
  std::vector<double> open_confidence_served_, open_confidence_raw_;
  std::vector<uint8_t> open_correct_raw_;
  std::vector<int64_t> open_labels_;
  std::vector<double> open_raw_;
  double open_log_loss_ = 0;
  double open_temperature_ = 1;
  std::vector<LabelledWindow> labelled_;
  std::vector<UnlabelledWindow> unlabelled_;
  std::vector<int64_t> last_labels_;
  std::vector<double> last_raw_;
};

// Throws ConfigError naming the field and its bounds for any option out of them
// ("window 0: expected 1 to 10000000").
void check_online_options(const OnlineOptions& options);

}  // namespace dpeval::monitor
