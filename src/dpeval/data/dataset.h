// Dataset: a labelled classification dataset held compactly in memory.
//
// Layout (said once, kept everywhere in data/): N rows; row r is one sample of
// sample_shape() (no batch dimension) with F = sample_numel() elements, stored
// contiguously at [r*F, (r+1)*F) of one row-major feature buffer. The buffer holds
// either uint8 (images: 47 MB for Fashion-MNIST instead of 188 MB; turned into
// float32 by multiplying with u8_scale() when gathered) or float32 (tables).
// labels() holds N int32 class indices in [0, num_classes()). Categorical columns
// are side columns (N codes into a list of strings) that are NOT features: they
// feed slices, reports and `predict` output.
//
// Copies are cheap: features and labels are immutable after construction and
// shared between copies; names, class and feature names and categorical columns
// are per copy.
// Thread safety: const member functions may be called concurrently (the content
// hash is computed once under std::call_once); the set_/add_ mutators may not.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/shape.h"

namespace dpeval::data {

// One non-numeric column: row r has the string values[codes[r]].
// values are sorted and unique (the readers build them so).
struct CategoricalColumn {
  std::string name;
  std::vector<std::string> values;
  std::vector<uint32_t> codes;  // one per row, each < values.size()
};

enum class FeatureType { kU8, kF32 };

class Dataset {
 public:
  // An empty dataset: 0 rows, 0 classes, sample shape [].
  Dataset();

  // Preconditions (DPEVAL_CHECK, InternalError: the readers validate user input
  // before calling these): features.size() == labels.size() * sample_shape.numel();
  // sample_shape.numel() >= 1; every label in [0, num_classes); num_classes >= 1
  // unless there are no rows; at most 2^32 - 1 rows (indices are uint32);
  // u8_scale finite. class_names() start as "0", "1", ..., "K-1".
  static Dataset from_u8(std::string name, Shape sample_shape, std::vector<uint8_t> features, float u8_scale,
                         std::vector<int32_t> labels, int num_classes);
  static Dataset from_f32(std::string name, Shape sample_shape, std::vector<float> features,
                          std::vector<int32_t> labels, int num_classes);

  // Shown in reports and messages: the file path, or "fashion-mnist/train".
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  size_t size() const;
  const Shape& sample_shape() const;
  int64_t sample_numel() const;
  int num_classes() const;
  std::span<const int32_t> labels() const;
  // Display names of the classes, index = label: "0".."9", the Fashion-MNIST names,
  // or a CSV's sorted label strings.
  const std::vector<std::string>& class_names() const { return class_names_; }

  FeatureType feature_type() const;
  float u8_scale() const;                        // 1 for float32 storage
  std::span<const uint8_t> u8_features() const;  // empty unless feature_type() == kU8
  std::span<const float> f32_features() const;   // empty unless feature_type() == kF32

  // Writes row indices[i] as float32 into x[i*F, (i+1)*F) and its label into y[i]
  // (y may be nullptr). x must hold indices.size() * F floats. Hot path of every
  // training step: no allocation; uint8 rows are converted with a vectorized loop.
  // Throws InternalError for an index >= size().
  void gather(std::span<const uint32_t> indices, float* x, int32_t* y) const;

  // The rows `indices` (in that order; repeats allowed) as a new dataset with the
  // same name, classes, class and feature names and categorical columns (codes
  // subset too). Throws InternalError for an index >= size().
  Dataset subset(std::span<const uint32_t> indices) const;

  // XXH3-64 over a version tag, feature type, u8 scale, sample shape, num_classes,
  // row count, feature bytes and label bytes. Names and categorical columns are not
  // included. Stable across runs and machines (little-endian); computed once.
  uint64_t content_hash() const;

  const std::vector<CategoricalColumn>& categorical_columns() const { return categorical_; }
  // nullptr when there is no categorical column of that name.
  const CategoricalColumn* find_categorical_column(std::string_view name) const;
  // Precondition (DPEVAL_CHECK): column.codes.size() == size(), every code < values.size().
  void add_categorical_column(CategoricalColumn column);
  // Precondition (DPEVAL_CHECK): names.size() == num_classes().
  void set_class_names(std::vector<std::string> names);

  // Names of the F feature columns of a table ("x1", "x2", ... from a CSV header);
  // empty for images and arrays, which have no column names.
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  // Precondition (DPEVAL_CHECK): names is empty or names.size() == sample_numel().
  void set_feature_names(std::vector<std::string> names);

 private:
  struct Storage;
  Dataset(std::string name, std::shared_ptr<Storage> storage);

  std::string name_;
  std::shared_ptr<Storage> storage_;  // never null; shared, immutable except for the cached hash
  std::vector<std::string> class_names_;
  std::vector<std::string> feature_names_;
  std::vector<CategoricalColumn> categorical_;
};

}  // namespace dpeval::data
