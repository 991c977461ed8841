// np.argmax of a probability row: the first maximum (lowest index on ties).
#pragma once

#include <cstddef>
#include <span>

namespace dpeval::eval::internal {

inline size_t argmax(std::span<const double> row) {
  size_t best = 0;
  for (size_t j = 1; j < row.size(); ++j) {
    if (row[j] > row[best]) best = j;
  }
  return best;
}

}  // namespace dpeval::eval::internal
