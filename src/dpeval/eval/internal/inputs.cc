// Input validation for eval/ (see inputs.h).
#include "dpeval/eval/internal/inputs.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "dpeval/core/error.h"

namespace dpeval::eval::internal {

void check_same_rows(std::string_view where, std::string_view a_name, size_t a, std::string_view b_name,
                     size_t b) {
  if (a != b) throw InputError(fmt::format("{}: {} has {} rows but {} has {}", where, a_name, a, b_name, b));
}

void check_finite(std::string_view where, std::string_view name, std::span<const double> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw InputError(fmt::format("{}: {}[{}] = {}: expected a finite number", where, name, i, values[i]));
    }
  }
}

// The checks below first test every value without branching (so the loop
// vectorises; these run over every row of every evaluation), and only when
// one fails look for the first bad value to name it.
void check_probabilities(std::string_view where, std::string_view name, std::span<const double> values) {
  bool all_ok = true;
  for (const double v : values) all_ok &= (v >= 0.0) & (v <= 1.0);  // also false for NaN
  if (all_ok) return;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] >= 0.0 && values[i] <= 1.0)) {
      throw InputError(
          fmt::format("{}: {}[{}] = {}: expected a probability in [0, 1]", where, name, i, values[i]));
    }
  }
}

std::vector<uint8_t> binary_labels(std::string_view where, std::span<const double> labels) {
  std::vector<uint8_t> out(labels.size());
  bool all_ok = true;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double v = labels[i];
    all_ok &= (v == 0.0) | (v == 1.0);
    out[i] = static_cast<uint8_t>(v == 1.0);
  }
  if (all_ok) return out;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0.0 && labels[i] != 1.0) {
      throw InputError(fmt::format("{}: labels[{}] = {}: expected 0 or 1", where, i, labels[i]));
    }
  }
  return out;
}

std::vector<uint8_t> binary_labels(std::string_view where, std::span<const int64_t> labels) {
  std::vector<uint8_t> out(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1) {
      throw InputError(fmt::format("{}: labels[{}] = {}: expected 0 or 1", where, i, labels[i]));
    }
    out[i] = static_cast<uint8_t>(labels[i]);
  }
  return out;
}

namespace {

[[noreturn]] void throw_bad_class(std::string_view where, size_t row, double value, size_t num_classes) {
  throw InputError(fmt::format("{}: labels[{}] = {}: expected an integer class in [0, {}]", where, row, value,
                               num_classes - 1));
}

void check_num_classes(std::string_view where, size_t num_classes) {
  if (num_classes < 2 || num_classes > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw InputError(fmt::format("{}: num_classes = {}: expected 2 to {}", where, num_classes,
                                 std::numeric_limits<int32_t>::max()));
  }
}

}  // namespace

std::vector<int32_t> class_labels(std::string_view where, std::span<const double> labels,
                                  size_t num_classes) {
  check_num_classes(where, num_classes);
  std::vector<int32_t> out(labels.size());
  const auto k = static_cast<double>(num_classes);
  for (size_t i = 0; i < labels.size(); ++i) {
    const double v = labels[i];
    if (!(v >= 0.0 && v < k && v == std::floor(v))) throw_bad_class(where, i, v, num_classes);
    out[i] = static_cast<int32_t>(v);
  }
  return out;
}

std::vector<int32_t> class_labels(std::string_view where, std::span<const int64_t> labels,
                                  size_t num_classes) {
  check_num_classes(where, num_classes);
  std::vector<int32_t> out(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || static_cast<uint64_t>(labels[i]) >= num_classes) {
      throw InputError(fmt::format("{}: labels[{}] = {}: expected an integer class in [0, {}]", where, i,
                                   labels[i], num_classes - 1));
    }
    out[i] = static_cast<int32_t>(labels[i]);
  }
  return out;
}

}  // namespace dpeval::eval::internal
