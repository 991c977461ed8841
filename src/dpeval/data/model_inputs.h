// Matching a table to the inputs and classes a trained model was built for.
//
// A model trained on a CSV table takes its feature columns in one order and
// predicts classes in one order. Another table (predict --data new.csv) may
// order its columns differently, rename one, or hold a subset of the labels:
// taken by position, its rows would be predicted from the wrong columns and
// scored against the wrong classes, with no error. So columns are matched by
// name and labels by class name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dpeval/data/dataset.h"

namespace dpeval::data {

// `dataset` with its features reordered (and extra feature columns dropped) to
// `feature_names`, and its labels re-indexed to `class_names`. An empty
// feature_names (images, arrays, or a checkpoint that predates the names)
// keeps the features as they are; so does a dataset without feature names.
// `model` names the checkpoint in messages. Throws InputError naming the
// columns the dataset lacks (and the ones it has that the model does not
// know, as a hint for a rename), or the first label that is not one of the
// model's classes.
Dataset align_to_model(const Dataset& dataset, const std::vector<std::string>& feature_names,
                       const std::vector<std::string>& class_names, std::string_view model);

}  // namespace dpeval::data
