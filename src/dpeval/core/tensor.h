// Tensor: an owning, contiguous, row-major float32 array with a Shape.
// Activations and their gradients live in Tensors; parameters do not (they are
// views into the model's flat parameter buffer, see nn/model.h).
// resize() keeps the allocation when the new size fits, so a training loop that
// reuses its Tensors allocates nothing after the first step.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/core/shape.h"

namespace dpeval {

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape) { resize(std::move(shape)); }

  // Sets the shape; contents are unspecified afterwards unless the size is unchanged.
  void resize(Shape shape) {
    shape_ = std::move(shape);
    data_.resize(static_cast<size_t>(shape_.numel()));
  }
  // Keeps the data, reinterprets it with a shape of the same element count.
  void reshape(Shape shape) {
    DPEVAL_CHECK(shape.numel() == shape_.numel()) << shape.to_string() << " vs " << shape_.to_string();
    shape_ = std::move(shape);
  }
  void fill(float value) {
    for (float& v : data_) v = value;
  }

  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_[i]; }
  size_t size() const { return data_.size(); }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  std::span<float> span() { return data_; }
  std::span<const float> span() const { return data_; }
  float& operator[](size_t i) { return data_[i]; }
  float operator[](size_t i) const { return data_[i]; }

 private:
  Shape shape_;
  std::vector<float> data_;
};

}  // namespace dpeval
