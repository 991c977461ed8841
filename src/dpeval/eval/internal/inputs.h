// Validation of the spans handed to eval/: lengths, finiteness, probability
// ranges and label values. Each failure throws InputError naming the function,
// the input, the first bad row and what was expected, e.g.
//   "compute_binary: labels[12] = 2: expected 0 or 1".
// Labels are converted once to a compact class vector the metrics then read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace dpeval::eval::internal {

// Throws unless a == b: "<where>: labels has 10 rows but scores has 9".
void check_same_rows(std::string_view where, std::string_view a_name, size_t a, std::string_view b_name,
                     size_t b);

// Every value finite.
void check_finite(std::string_view where, std::string_view name, std::span<const double> values);

// Every value a probability: finite, in [0, 1].
void check_probabilities(std::string_view where, std::string_view name, std::span<const double> values);

// Labels 0 or 1 (as doubles: exactly 0.0 or 1.0).
std::vector<uint8_t> binary_labels(std::string_view where, std::span<const double> labels);
std::vector<uint8_t> binary_labels(std::string_view where, std::span<const int64_t> labels);

// Labels in 0..num_classes-1 (as doubles: integral values).
std::vector<int32_t> class_labels(std::string_view where, std::span<const double> labels, size_t num_classes);
std::vector<int32_t> class_labels(std::string_view where, std::span<const int64_t> labels,
                                  size_t num_classes);

}  // namespace dpeval::eval::internal
