// Data sources: what the command line's --data argument names, resolved to a
// train/test pair of Datasets.
//
//   "fashion-mnist"    the official 60000/10000 split of Debian's dataset-fashion-mnist
//                      (IDX files in $DPEVAL_FMNIST_DIR, default
//                      /usr/share/datasets/fashion-mnist); features uint8 [1, 28, 28]
//                      scaled by 1/255; the ten Fashion-MNIST class names.
//   "<path>.csv|.tsv[.gz]"  read_csv_dataset (label column options.label_col; .tsv is
//                      tab-delimited), then split_holdout(test_fraction, seed).
//   "<path>.npy"       features from the array (first dimension = rows, the rest =
//                      sample shape, [1] for a 1-D array; uint8 is scaled by 1/255,
//                      other dtypes become float32), labels from options.labels_path
//                      (.npy, integer dtype, shape [N] or [N, 1]); then split_holdout.
//   "<path>.idx|.gz|-ubyte"  IDX features ([N, H, W] becomes [1, H, W] images,
//                      uint8 scaled by 1/255) with IDX labels from options.labels_path;
//                      then split_holdout.
// Labels from arrays are class indices 0..K-1 with K = max + 1. Every source but
// fashion-mnist is checked against Note [Class count] (class_check.h) before it
// is split: at least two classes, at most kMaxClasses, and no label far above
// the others. Data and labels paths must name regular files (Note [Regular data
// files] in source.cc): a FIFO or a symlink loop is an InputError. IDX image
// and label counts are compared from the headers before any body is inflated.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/data/idx.h"
#include "dpeval/data/split.h"

namespace dpeval::data {

struct DataSourceOptions {
  std::string label_col = "label";  // CSV label column
  std::string labels_path;          // labels for .npy and IDX features (required for them)
  double test_fraction = 0.2;       // held out from CSV/NPY/IDX sources; fashion-mnist has its own split
  uint64_t seed = 0;                // seeds split_holdout
};

// Throws ConfigError for an unknown spec, a bad test_fraction or missing
// labels_path; InputError (naming the file) for anything wrong with the files.
TrainTest load_data_source(std::string_view spec, const DataSourceOptions& options);

// $DPEVAL_FMNIST_DIR if set and non-empty, else /usr/share/datasets/fashion-mnist.
std::filesystem::path fashion_mnist_dir();

// The Fashion-MNIST train and test sets from `dir` (the four IDX files, gzip or
// plain). Throws InputError saying to install dataset-fashion-mnist when a file is
// missing, and for images that are not 28x28, label counts that differ from image
// counts, or labels outside 0..9.
TrainTest load_fashion_mnist(const std::filesystem::path& dir);

// "T-shirt/top", "Trouser", ..., "Ankle boot": index = label.
const std::vector<std::string>& fashion_mnist_class_names();

// Features from an IDX array (see above; moved in, not copied) and labels from an
// IDX array of shape [N]. num_classes = max label + 1, or `num_classes` when it is
// positive (then every label must be below it). images_name names the dataset;
// both names start error messages. Throws InputError.
Dataset dataset_from_idx(IdxArray images, std::string_view images_name, const IdxArray& labels,
                         std::string_view labels_name, int num_classes = 0);

}  // namespace dpeval::data
