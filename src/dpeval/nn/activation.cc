// ReLU and GELU layers over the kernels' elementwise routines.
#include "dpeval/nn/activation.h"

#include "dpeval/kernels/kernels.h"

namespace dpeval::nn {

void ReLU::forward(const Tensor& x, Tensor& y, const LayerForwardContext&) {
  ensure_shape(y, x.dim(0), output_shape());
  kernels::relu_forward(x.span(), y.span());
}

void ReLU::backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) {
  ensure_shape(dx, x.dim(0), input_shape());
  kernels::relu_backward(y.span(), dy.span(), dx.span());
}

void GELU::forward(const Tensor& x, Tensor& y, const LayerForwardContext&) {
  ensure_shape(y, x.dim(0), output_shape());
  kernels::gelu_forward(x.span(), y.span());
}

void GELU::backward_input(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  ensure_shape(dx, x.dim(0), input_shape());
  kernels::gelu_backward(x.span(), dy.span(), dx.span());
}

}  // namespace dpeval::nn
