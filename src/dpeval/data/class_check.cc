// The class rule of Note [Class count]: one pass over the labels.
#include "dpeval/data/class_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "dpeval/core/error.h"

namespace dpeval::data {

void check_class_labels(const Dataset& dataset, std::string_view source, std::string_view label_what) {
  const auto labels = dataset.labels();
  if (labels.empty()) return;  // "no rows" is reported where rows are needed
  const int k = dataset.num_classes();
  std::vector<uint32_t> count(static_cast<size_t>(k));
  size_t max_row = 0;
  for (size_t r = 0; r < labels.size(); ++r) {
    ++count[static_cast<size_t>(labels[r])];
    if (labels[r] > labels[max_row]) max_row = r;
  }
  const auto distinct =
      static_cast<size_t>(std::count_if(count.begin(), count.end(), [](uint32_t c) { return c > 0; }));
  const std::vector<std::string>& names = dataset.class_names();
  if (distinct < 2) {
    throw InputError(fmt::format(
        "{}: {}: every one of the {} rows has the label '{}'; a classifier needs at least two classes "
        "(is this the right label column or file?)",
        source, label_what, labels.size(), names[static_cast<size_t>(labels[0])]));
  }
  if (distinct * 2 < static_cast<size_t>(k)) {
    int next = -1;  // the largest label below the maximum
    for (int32_t v : labels) {
      if (v < labels[max_row]) next = std::max(next, v);
    }
    throw InputError(fmt::format(
        "{}: {}: data row {}: label {} is far above the others (the next largest is {}): integer labels "
        "are class indices 0..K-1, so it makes K = {} classes of which only {} occur; expected at least "
        "half of the classes to occur (fix or drop the row)",
        source, label_what, max_row + 1, labels[max_row], next, k, distinct));
  }
  if (k > kMaxClasses) {
    throw InputError(fmt::format(
        "{}: {}: {} classes (data row {}: label '{}'); at most {} classes are supported "
        "(is this an identifier column rather than a label?)",
        source, label_what, k, max_row + 1, names[static_cast<size_t>(labels[max_row])], kMaxClasses));
  }
}

}  // namespace dpeval::data
