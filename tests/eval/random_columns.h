// Random task columns for the weighted-metric, slice and bootstrap tests, with
// ties on purpose (scores quantised to a few levels), and the multiset a
// vector of counts stands for (rows repeated counts[i] times).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dpeval/core/rng.h"
#include "dpeval/eval/task_columns.h"

namespace dpeval::eval::testing {

struct OwnedColumns {
  Task task = Task::binary;
  size_t num_classes = 0;
  std::vector<double> labels, scores, probs, predictions;

  size_t rows() const { return labels.size(); }
  TaskColumns view() const {
    TaskColumns c;
    c.task = task;
    c.labels = labels;
    c.scores = scores;
    c.probs = probs;
    c.num_classes = num_classes;
    c.predictions = predictions;
    return c;
  }
  // Row i repeated counts[i] times, in row order.
  OwnedColumns repeated(const std::vector<uint8_t>& counts) const {
    OwnedColumns out;
    out.task = task;
    out.num_classes = num_classes;
    for (size_t i = 0; i < rows(); ++i) {
      for (int c = 0; c < counts[i]; ++c) {
        out.labels.push_back(labels[i]);
        if (task == Task::binary) out.scores.push_back(scores[i]);
        if (task == Task::regression) out.predictions.push_back(predictions[i]);
        if (task == Task::multiclass) {
          for (size_t k = 0; k < num_classes; ++k) out.probs.push_back(probs[i * num_classes + k]);
        }
      }
    }
    return out;
  }
};

// levels > 0 rounds scores to that many steps (ties); signal in [0, 1] makes
// scores lean toward the label.
inline OwnedColumns random_binary(size_t n, uint64_t seed, int levels = 0, double signal = 0.3) {
  Rng rng(seed, 1);
  OwnedColumns c;
  c.task = Task::binary;
  for (size_t i = 0; i < n; ++i) {
    const double label = rng.uniform_double() < 0.4 ? 1.0 : 0.0;
    double s = (1.0 - signal) * rng.uniform_double() + signal * label;
    if (levels > 0) s = std::round(s * levels) / levels;
    c.labels.push_back(label);
    c.scores.push_back(std::clamp(s, 0.0, 1.0));
  }
  return c;
}

inline OwnedColumns random_multiclass(size_t n, size_t k, uint64_t seed, int levels = 0) {
  Rng rng(seed, 2);
  OwnedColumns c;
  c.task = Task::multiclass;
  c.num_classes = k;
  for (size_t i = 0; i < n; ++i) {
    const size_t label = rng.uniform_below(k);
    std::vector<double> row(k);
    double sum = 0;
    for (size_t j = 0; j < k; ++j) {
      row[j] = rng.uniform_double() + (j == label ? 0.5 : 0.0);
      if (levels > 0) row[j] = std::round(row[j] * levels) / levels + 0.01;
      sum += row[j];
    }
    c.labels.push_back(static_cast<double>(label));
    for (double p : row) c.probs.push_back(p / sum);
  }
  return c;
}

inline OwnedColumns random_regression(size_t n, uint64_t seed, int levels = 0) {
  Rng rng(seed, 3);
  OwnedColumns c;
  c.task = Task::regression;
  for (size_t i = 0; i < n; ++i) {
    const double t = 10.0 + 3.0 * rng.normal();
    double e = rng.normal();
    if (levels > 0) e = std::round(e * levels) / levels;
    c.labels.push_back(t);
    c.predictions.push_back(t + e);
  }
  return c;
}

// Counts 0..4, about a quarter zeros.
inline std::vector<uint8_t> random_counts(size_t n, uint64_t seed) {
  Rng rng(seed, 4);
  std::vector<uint8_t> counts(n);
  for (auto& c : counts) c = static_cast<uint8_t>(rng.uniform_below(5) == 0 ? 0 : 1 + rng.uniform_below(4));
  return counts;
}

}  // namespace dpeval::eval::testing
