// Dataset storage, gather (the per-step copy into a batch) and subsets.
#include "dpeval/data/dataset.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include "dpeval/core/check.h"
#include "dpeval/core/hash.h"

namespace dpeval::data {

struct Dataset::Storage {
  FeatureType type = FeatureType::kF32;
  Shape sample_shape;
  size_t numel = 0;  // sample_shape.numel()
  size_t rows = 0;
  std::vector<uint8_t> u8;
  std::vector<float> f32;
  float u8_scale = 1.0f;
  std::vector<int32_t> labels;
  int num_classes = 0;

  std::once_flag hash_once;
  uint64_t hash = 0;
};

namespace {

constexpr std::string_view kHashTag = "dpeval.dataset.v1";

std::vector<std::string> default_class_names(int num_classes) {
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(num_classes));
  for (int k = 0; k < num_classes; ++k) names.push_back(std::to_string(k));
  return names;
}

// x[j] = src[j] * scale. Separate, restrict-qualified and branch-free so that
// -O2 vectorizes it (u8 -> i32 -> f32 widening, one multiply).
void convert_u8_row(const uint8_t* __restrict src, size_t n, float scale, float* __restrict dst) {
  for (size_t j = 0; j < n; ++j) dst[j] = static_cast<float>(src[j]) * scale;
}

void check_common(const Shape& sample_shape, size_t feature_count, std::span<const int32_t> labels,
                  int num_classes) {
  DPEVAL_CHECK(sample_shape.numel() >= 1) << "sample shape " << sample_shape.to_string();
  DPEVAL_CHECK(labels.size() <= std::numeric_limits<uint32_t>::max()) << labels.size() << " rows";
  DPEVAL_CHECK(feature_count == labels.size() * static_cast<size_t>(sample_shape.numel()))
      << feature_count << " features for " << labels.size() << " rows of " << sample_shape.to_string();
  DPEVAL_CHECK(num_classes >= 1 || labels.empty()) << "num_classes " << num_classes;
  for (size_t r = 0; r < labels.size(); ++r) {
    DPEVAL_CHECK(labels[r] >= 0 && labels[r] < num_classes)
        << "row " << r << " label " << labels[r] << " outside [0, " << num_classes << ")";
  }
}

}  // namespace

Dataset::Dataset() : storage_(std::make_shared<Storage>()) {}

Dataset::Dataset(std::string name, std::shared_ptr<Storage> storage)
    : name_(std::move(name)),
      storage_(std::move(storage)),
      class_names_(default_class_names(storage_->num_classes)) {}

Dataset Dataset::from_u8(std::string name, Shape sample_shape, std::vector<uint8_t> features, float u8_scale,
                         std::vector<int32_t> labels, int num_classes) {
  check_common(sample_shape, features.size(), labels, num_classes);
  DPEVAL_CHECK(std::isfinite(u8_scale)) << "u8_scale " << u8_scale;
  auto s = std::make_shared<Storage>();
  s->type = FeatureType::kU8;
  s->numel = static_cast<size_t>(sample_shape.numel());
  s->sample_shape = std::move(sample_shape);
  s->rows = labels.size();
  s->u8 = std::move(features);
  s->u8_scale = u8_scale;
  s->labels = std::move(labels);
  s->num_classes = num_classes;
  return Dataset(std::move(name), std::move(s));
}

Dataset Dataset::from_f32(std::string name, Shape sample_shape, std::vector<float> features,
                          std::vector<int32_t> labels, int num_classes) {
  check_common(sample_shape, features.size(), labels, num_classes);
  auto s = std::make_shared<Storage>();
  s->type = FeatureType::kF32;
  s->numel = static_cast<size_t>(sample_shape.numel());
  s->sample_shape = std::move(sample_shape);
  s->rows = labels.size();
  s->f32 = std::move(features);
  s->labels = std::move(labels);
  s->num_classes = num_classes;
  return Dataset(std::move(name), std::move(s));
}

size_t Dataset::size() const { return storage_->rows; }
const Shape& Dataset::sample_shape() const { return storage_->sample_shape; }
int64_t Dataset::sample_numel() const { return static_cast<int64_t>(storage_->numel); }
int Dataset::num_classes() const { return storage_->num_classes; }
std::span<const int32_t> Dataset::labels() const { return storage_->labels; }
FeatureType Dataset::feature_type() const { return storage_->type; }
float Dataset::u8_scale() const { return storage_->type == FeatureType::kU8 ? storage_->u8_scale : 1.0f; }
std::span<const uint8_t> Dataset::u8_features() const { return storage_->u8; }
std::span<const float> Dataset::f32_features() const { return storage_->f32; }

void Dataset::gather(std::span<const uint32_t> indices, float* x, int32_t* y) const {
  const Storage& s = *storage_;
  const size_t f = s.numel;
  for (size_t i = 0; i < indices.size(); ++i) {
    const size_t row = indices[i];
    DPEVAL_CHECK(row < s.rows) << name_ << ": gather index " << row << " >= " << s.rows << " rows";
    if (s.type == FeatureType::kU8) {
      convert_u8_row(s.u8.data() + row * f, f, s.u8_scale, x + i * f);
    } else {
      std::memcpy(x + i * f, s.f32.data() + row * f, f * sizeof(float));
    }
    if (y != nullptr) y[i] = s.labels[row];
  }
}

Dataset Dataset::subset(std::span<const uint32_t> indices) const {
  const Storage& s = *storage_;
  const size_t f = s.numel;
  auto out = std::make_shared<Storage>();
  out->type = s.type;
  out->sample_shape = s.sample_shape;
  out->numel = s.numel;
  out->rows = indices.size();
  out->u8_scale = s.u8_scale;
  out->num_classes = s.num_classes;
  out->labels.resize(indices.size());
  if (s.type == FeatureType::kU8) {
    out->u8.resize(indices.size() * f);
  } else {
    out->f32.resize(indices.size() * f);
  }
  for (size_t i = 0; i < indices.size(); ++i) {
    const size_t row = indices[i];
    DPEVAL_CHECK(row < s.rows) << name_ << ": subset index " << row << " >= " << s.rows << " rows";
    if (s.type == FeatureType::kU8) {
      std::memcpy(out->u8.data() + i * f, s.u8.data() + row * f, f);
    } else {
      std::memcpy(out->f32.data() + i * f, s.f32.data() + row * f, f * sizeof(float));
    }
    out->labels[i] = s.labels[row];
  }
  Dataset result(name_, std::move(out));
  result.class_names_ = class_names_;
  result.feature_names_ = feature_names_;
  for (const CategoricalColumn& column : categorical_) {
    CategoricalColumn sub{column.name, column.values, {}};
    sub.codes.reserve(indices.size());
    for (uint32_t row : indices) sub.codes.push_back(column.codes[row]);
    result.categorical_.push_back(std::move(sub));
  }
  return result;
}

uint64_t Dataset::content_hash() const {
  Storage& s = *storage_;
  std::call_once(s.hash_once, [&s] {
    Hasher h;
    h.update(kHashTag);
    h.update_pod(static_cast<uint8_t>(s.type));
    h.update_pod(s.type == FeatureType::kU8 ? s.u8_scale : 1.0f);
    h.update_pod(static_cast<uint64_t>(s.sample_shape.rank()));
    for (int64_t d : s.sample_shape.dims()) h.update_pod(d);
    h.update_pod(static_cast<int64_t>(s.num_classes));
    h.update_pod(static_cast<uint64_t>(s.rows));
    h.update(std::as_bytes(std::span(s.u8)));
    h.update(std::as_bytes(std::span(s.f32)));
    h.update(std::as_bytes(std::span(s.labels)));
    s.hash = h.digest();
  });
  return s.hash;
}

const CategoricalColumn* Dataset::find_categorical_column(std::string_view name) const {
  for (const CategoricalColumn& column : categorical_) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

void Dataset::add_categorical_column(CategoricalColumn column) {
  DPEVAL_CHECK(column.codes.size() == size()) << "categorical column '" << column.name << "' has "
                                              << column.codes.size() << " codes for " << size() << " rows";
  for (uint32_t code : column.codes) {
    DPEVAL_CHECK(code < column.values.size()) << "categorical column '" << column.name << "' code " << code;
  }
  categorical_.push_back(std::move(column));
}

void Dataset::set_class_names(std::vector<std::string> names) {
  DPEVAL_CHECK(names.size() == static_cast<size_t>(num_classes()))
      << names.size() << " class names for " << num_classes() << " classes";
  class_names_ = std::move(names);
}

void Dataset::set_feature_names(std::vector<std::string> names) {
  DPEVAL_CHECK(names.empty() || names.size() == static_cast<size_t>(sample_numel()))
      << names.size() << " feature names for " << sample_numel() << " features";
  feature_names_ = std::move(names);
}

}  // namespace dpeval::data
