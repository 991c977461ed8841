// MaxPool2d and AvgPool2d as plain loops (memory-bound; a few percent of a step).
#include "dpeval/nn/pool.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "dpeval/core/error.h"

namespace dpeval::nn {

namespace {

Shape pool_output(std::string_view type, const Shape& in, int64_t kernel, int64_t stride) {
  if (in.rank() != 3) {
    throw ConfigError(fmt::format("{} needs a [channels, height, width] input, got {}", type, in.to_string()));
  }
  if (kernel < 1 || stride < 1) {
    throw ConfigError(fmt::format("{} kernel = {}, stride = {}: expected both >= 1", type, kernel, stride));
  }
  if (kernel > in[1] || kernel > in[2]) {
    throw ConfigError(fmt::format("{} kernel {} is larger than the input {}", type, kernel, in.to_string()));
  }
  return Shape{in[0], (in[1] - kernel) / stride + 1, (in[2] - kernel) / stride + 1};
}

}  // namespace

MaxPool2d::MaxPool2d(const Shape& input_shape, int64_t kernel, int64_t stride)
    : Layer(input_shape, pool_output("maxpool2d", input_shape, kernel, stride)), kernel_(kernel), stride_(stride) {}

void MaxPool2d::forward(const Tensor& x, Tensor& y, const LayerForwardContext&) {
  const int64_t batch = x.dim(0);
  ensure_shape(y, batch, output_shape());
  const int64_t planes = batch * input_shape()[0];
  const int64_t H = input_shape()[1], W = input_shape()[2];
  const int64_t OH = output_shape()[1], OW = output_shape()[2];
  argmax_.resize(static_cast<size_t>(planes * OH * OW));
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* in = x.data() + pl * H * W;
    float* out = y.data() + pl * OH * OW;
    int32_t* arg = argmax_.data() + pl * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t h0 = oh * stride_, w0 = ow * stride_;
        int64_t best_index = h0 * W + w0;
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t kh = 0; kh < kernel_; ++kh) {
          for (int64_t kw = 0; kw < kernel_; ++kw) {
            const int64_t i = (h0 + kh) * W + (w0 + kw);
            const float v = in[i];
            if (v > best || std::isnan(v)) {
              best = v;
              best_index = i;
              if (std::isnan(v)) break;
            }
          }
          if (std::isnan(best)) break;
        }
        out[oh * OW + ow] = best;
        arg[oh * OW + ow] = static_cast<int32_t>(best_index);
      }
    }
  }
}

void MaxPool2d::backward_input(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const int64_t batch = x.dim(0);
  ensure_shape(dx, batch, input_shape());
  dx.fill(0.0f);
  const int64_t planes = batch * input_shape()[0];
  const int64_t plane_in = input_shape()[1] * input_shape()[2];
  const int64_t plane_out = output_shape()[1] * output_shape()[2];
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* d = dx.data() + pl * plane_in;
    const float* g = dy.data() + pl * plane_out;
    const int32_t* arg = argmax_.data() + pl * plane_out;
    for (int64_t o = 0; o < plane_out; ++o) d[arg[o]] += g[o];
  }
}

AvgPool2d::AvgPool2d(const Shape& input_shape, int64_t kernel, int64_t stride)
    : Layer(input_shape, pool_output("avgpool2d", input_shape, kernel, stride)), kernel_(kernel), stride_(stride) {}

void AvgPool2d::forward(const Tensor& x, Tensor& y, const LayerForwardContext&) {
  const int64_t batch = x.dim(0);
  ensure_shape(y, batch, output_shape());
  const int64_t planes = batch * input_shape()[0];
  const int64_t H = input_shape()[1], W = input_shape()[2];
  const int64_t OH = output_shape()[1], OW = output_shape()[2];
  const float inv = 1.0f / static_cast<float>(kernel_ * kernel_);
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* in = x.data() + pl * H * W;
    float* out = y.data() + pl * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        float s = 0.0f;
        for (int64_t kh = 0; kh < kernel_; ++kh) {
          const float* row = in + (oh * stride_ + kh) * W + ow * stride_;
          for (int64_t kw = 0; kw < kernel_; ++kw) s += row[kw];
        }
        out[oh * OW + ow] = s * inv;
      }
    }
  }
}

void AvgPool2d::backward_input(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const int64_t batch = x.dim(0);
  ensure_shape(dx, batch, input_shape());
  dx.fill(0.0f);
  const int64_t planes = batch * input_shape()[0];
  const int64_t H = input_shape()[1], W = input_shape()[2];
  const int64_t OH = output_shape()[1], OW = output_shape()[2];
  const float inv = 1.0f / static_cast<float>(kernel_ * kernel_);
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* d = dx.data() + pl * H * W;
    const float* g = dy.data() + pl * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        const float v = g[oh * OW + ow] * inv;
        for (int64_t kh = 0; kh < kernel_; ++kh) {
          float* row = d + (oh * stride_ + kh) * W + ow * stride_;
          for (int64_t kw = 0; kw < kernel_; ++kw) row[kw] += v;
        }
      }
    }
  }
}

}  // namespace dpeval::nn
