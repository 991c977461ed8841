// What a prediction cell must hold and how a bad one is counted: shared by the
// CSV and NPY prediction readers (predictions.cc, internal/prediction_csv.cc).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dpeval/data/number.h"

namespace dpeval::eval::internal {

// The check a numeric cell gets.
enum class CellKind : uint8_t {
  kBinaryLabel,  // exactly 0 or 1
  kClassLabel,   // an integer 0..K-1
  kFinite,       // a regression target, a prediction, a logit
  kProbability,  // in [0, 1]
};

inline bool cell_ok(CellKind kind, double v, size_t num_classes) {
  switch (kind) {
    case CellKind::kBinaryLabel:
      return v == 0.0 || v == 1.0;
    case CellKind::kClassLabel:
      return v >= 0.0 && v < static_cast<double>(num_classes) && v == std::floor(v);
    case CellKind::kFinite:
      return std::isfinite(v);
    case CellKind::kProbability:
      return v >= 0.0 && v <= 1.0;
  }
  return false;
}

// The "expected ..." part of a message for a cell of that kind.
std::string cell_expected(CellKind kind, size_t num_classes);

// A whole cell as a double: "1", "-2.5e3", "+.5", "nan", "inf" (the last two
// parse; cell_ok then rejects them). False for an empty cell or any other text.
inline bool parse_cell_number(std::string_view cell, double* out) {
  if (cell.size() == 1 && cell[0] >= '0' && cell[0] <= '9') {  // labels, mostly
    *out = cell[0] - '0';
    return true;
  }
  return data::parse_number(cell, out);
}

// The first problem (by position: callers add in file order) and how many
// there are in all. The message is built only for the first.
class ProblemLog {
 public:
  template <typename MakeMessage>
  void add(MakeMessage&& make_message) {
    if (count_++ == 0) first_ = make_message();
  }
  // Appends `other`'s problems, which come after this log's in the file.
  void append(const ProblemLog& other) {
    if (other.count_ == 0) return;
    if (count_ == 0) first_ = other.first_;
    count_ += other.count_;
  }
  uint64_t count() const { return count_; }
  // Throws InputError with the first message and the count of the others.
  void throw_if_any() const;

 private:
  uint64_t count_ = 0;
  std::string first_;
};

}  // namespace dpeval::eval::internal
