// The class rule: what a labelled dataset must look like before a model is
// built for it (dpeval train, and every command that re-reads a run's data).
//
// Note [Class count]
// Integer labels (a CSV's integer label column, an .npy or IDX labels file) are
// class indices 0..K-1 with K = the largest label + 1, and a model has K
// outputs. One stray value far above the others (99999 in a 3-class table, a
// byte of 200 among the ten Fashion-MNIST classes) would silently build a
// model for 100000 or 201 classes, nearly all of them never seen. The rule,
// checked in this order on the whole file before it is split:
//   - at least 2 distinct classes occur (a classifier of one class learns
//     nothing, and its evaluation fails later naming no file);
//   - at least half of the K classes occur in the data (distinct labels * 2 >= K);
//   - K <= kMaxClasses (1000, as ImageNet-1k; the eval document covers as many).
// A split that lacks a few classes passes; a label far above the others does
// not, and the message names its data row and value. String labels always pass
// the second rule (their classes are exactly the distinct labels seen); the
// third catches an identifier column taken for the label.
#pragma once

#include <string_view>

#include "dpeval/data/dataset.h"

namespace dpeval::data {

inline constexpr int kMaxClasses = 1000;

// Checks `dataset` against Note [Class count]. `source` names the file that
// holds the labels and `label_what` what they are ("column 'label'", "labels");
// both start the message. Rows in messages are 1-based data rows.
// Throws InputError.
void check_class_labels(const Dataset& dataset, std::string_view source, std::string_view label_what);

}  // namespace dpeval::data
