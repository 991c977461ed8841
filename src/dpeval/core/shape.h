// Shape: the dimensions of a dense row-major tensor, outermost first.
// A Shape never includes strides: dpeval tensors are always contiguous.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace dpeval {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t& operator[](int i) { return dims_[static_cast<size_t>(i)]; }
  const std::vector<int64_t>& dims() const { return dims_; }

  // Product of all dimensions; 1 for a rank-0 shape.
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims_) n *= d;
    return n;
  }

  // The shape with `outer` prepended (e.g. a batch dimension).
  Shape with_outer(int64_t outer) const {
    std::vector<int64_t> d;
    d.reserve(dims_.size() + 1);
    d.push_back(outer);
    d.insert(d.end(), dims_.begin(), dims_.end());
    return Shape(std::move(d));
  }

  // The shape without its outermost dimension. Precondition: rank() >= 1.
  Shape without_outer() const { return Shape(std::vector<int64_t>(dims_.begin() + 1, dims_.end())); }

  // "[64, 1, 28, 28]"
  std::string to_string() const {
    std::string s = "[";
    for (size_t i = 0; i < dims_.size(); ++i) {
      if (i) s += ", ";
      s += std::to_string(dims_[i]);
    }
    return s + "]";
  }

  bool operator==(const Shape&) const = default;

 private:
  std::vector<int64_t> dims_;
};

}  // namespace dpeval
