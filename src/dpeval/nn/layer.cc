// Layer base: parameter binding, the default backward_params, make_layer.
#include "dpeval/nn/layer.h"

#include <fmt/format.h>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/nn/activation.h"
#include "dpeval/nn/conv2d.h"
#include "dpeval/nn/dropout.h"
#include "dpeval/nn/flatten.h"
#include "dpeval/nn/layer_norm.h"
#include "dpeval/nn/linear.h"
#include "dpeval/nn/pool.h"

namespace dpeval::nn {

size_t Layer::param_count() const {
  size_t n = 0;
  for (const ParamSlot& slot : param_slots()) n += static_cast<size_t>(slot.shape.numel());
  return n;
}

void Layer::bind(std::span<float> params, std::span<float> grads) {
  DPEVAL_CHECK(params.size() == param_count() && grads.size() == params.size())
      << params.size() << " params, " << grads.size() << " grads for " << param_count();
  param_views_.clear();
  grad_views_.clear();
  size_t offset = 0;
  for (const ParamSlot& slot : param_slots()) {
    const size_t n = static_cast<size_t>(slot.shape.numel());
    param_views_.push_back(params.subspan(offset, n));
    grad_views_.push_back(grads.subspan(offset, n));
    offset += n;
  }
}

void Layer::backward_params(const Tensor&, const Tensor&, Tensor&, bool) {}

void ensure_shape(Tensor& t, int64_t batch, const Shape& sample) {
  const Shape& s = t.shape();
  bool same = s.rank() == sample.rank() + 1 && s[0] == batch;
  for (int i = 0; same && i < sample.rank(); ++i) same = s[i + 1] == sample[i];
  if (!same) t.resize(sample.with_outer(batch));
}

std::unique_ptr<Layer> make_layer(const LayerSpec& spec, const Shape& input_shape, int num_classes) {
  const std::string& t = spec.type;
  if (t == "linear") {
    const int64_t out = spec.out != 0 ? spec.out : num_classes;
    return std::make_unique<Linear>(input_shape, out);
  }
  if (t == "conv2d")
    return std::make_unique<Conv2d>(input_shape, spec.out_channels, spec.kernel, spec.stride, spec.padding);
  if (t == "maxpool2d") return std::make_unique<MaxPool2d>(input_shape, spec.kernel, spec.stride);
  if (t == "avgpool2d") return std::make_unique<AvgPool2d>(input_shape, spec.kernel, spec.stride);
  if (t == "relu") return std::make_unique<ReLU>(input_shape);
  if (t == "gelu") return std::make_unique<GELU>(input_shape);
  if (t == "dropout") return std::make_unique<Dropout>(input_shape, spec.p);
  if (t == "flatten") return std::make_unique<Flatten>(input_shape);
  if (t == "layernorm") return std::make_unique<LayerNorm>(input_shape, spec.eps);
  throw ConfigError(fmt::format("unknown layer type '{}'", t));
}

}  // namespace dpeval::nn
