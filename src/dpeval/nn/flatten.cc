// Flatten: a reshaping copy each way.
#include "dpeval/nn/flatten.h"

#include <algorithm>

namespace dpeval::nn {

void Flatten::forward(const Tensor& x, Tensor& y, const LayerForwardContext&) {
  ensure_shape(y, x.dim(0), output_shape());
  std::copy(x.span().begin(), x.span().end(), y.span().begin());
}

void Flatten::backward_input(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  ensure_shape(dx, x.dim(0), input_shape());
  std::copy(dy.span().begin(), dy.span().end(), dx.span().begin());
}

}  // namespace dpeval::nn
