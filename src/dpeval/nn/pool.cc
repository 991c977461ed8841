// MaxPool2d and AvgPool2d as plain loops (memory-bound; a few percent of a step).
#include "dpeval/nn/pool.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval::nn {

namespace {

Shape pool_output(std::string_view type, const Shape& in, int64_t kernel, int64_t stride) {
  if (in.rank() != 3) {
    throw ConfigError(
        fmt::format("{} needs a [channels, height, width] input, got {}", type, in.to_string()));
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
    : Layer(input_shape, pool_output("maxpool2d", input_shape, kernel, stride)),
      kernel_(kernel),
      stride_(stride) {}

// One window's maximum in PyTorch's order: row by row, a later element wins
// when larger or NaN (NaN propagates: the last NaN of a window wins).
struct MaxTracker {
  float best = -std::numeric_limits<float>::infinity();
  int32_t index = 0;
  void take(float v, int32_t i) {
    if (v > best || std::isnan(v)) {
      best = v;
      index = i;
    }
  }
};

// The 2x2 stride-2 case (the peer's CNN) over one output row, written as
// arithmetic selects so it vectorizes (random data defeats branch prediction);
// ties keep the earlier element, as std::max does. Windows holding a NaN are
// redone by MaxTracker afterwards.
void max_pool_2x2_row(const float* __restrict r0, const float* __restrict r1, int32_t i0, int32_t i1,
                      int64_t OW, float* __restrict out, int32_t* __restrict arg) {
  for (int64_t ow = 0; ow < OW; ++ow) {
    const float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
    const int32_t top_right = b > a;
    const int32_t bottom_right = d > c;
    const float top = std::max(a, b), bottom = std::max(c, d);
    const int32_t take_bottom = bottom > top;
    out[ow] = std::max(top, bottom);
    arg[ow] = i0 + 2 * static_cast<int32_t>(ow) + take_bottom * (i1 - i0 + bottom_right) +
              (1 - take_bottom) * top_right;
  }
  for (int64_t ow = 0; ow < OW; ++ow) {
    if (std::isnan(out[ow]) || std::isnan(r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1])) {
      const int32_t w = static_cast<int32_t>(2 * ow);
      MaxTracker m;
      m.take(r0[w], i0 + w);
      m.take(r0[w + 1], i0 + w + 1);
      m.take(r1[w], i1 + w);
      m.take(r1[w + 1], i1 + w + 1);
      out[ow] = m.best;
      arg[ow] = m.index;
    }
  }
}

// The same values as max_pool_2x2_row, without the argmax (none to compute
// or store): what inference (predict, serve) needs.
void max_pool_2x2_row_values(const float* __restrict r0, const float* __restrict r1, int64_t OW,
                             float* __restrict out) {
  for (int64_t ow = 0; ow < OW; ++ow) {
    const float top = std::max(r0[2 * ow], r0[2 * ow + 1]), bottom = std::max(r1[2 * ow], r1[2 * ow + 1]);
    out[ow] = std::max(top, bottom);
  }
  for (int64_t ow = 0; ow < OW; ++ow) {
    if (std::isnan(out[ow]) || std::isnan(r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1])) {
      MaxTracker m;
      m.take(r0[2 * ow], 0);
      m.take(r0[2 * ow + 1], 0);
      m.take(r1[2 * ow], 0);
      m.take(r1[2 * ow + 1], 0);
      out[ow] = m.best;
    }
  }
}

void MaxPool2d::forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) {
  const int64_t batch = x.dim(0);
  ensure_shape(y, batch, output_shape());
  const int64_t planes = batch * input_shape()[0];
  const int64_t H = input_shape()[1], W = input_shape()[2];
  const int64_t OH = output_shape()[1], OW = output_shape()[2];
  // Inference for predict and serve (batch-invariant) never goes backward:
  // the values alone, and backward refuses until a forward keeps argmaxes.
  argmax_kept_ = !(context.batch_invariant && kernel_ == 2 && stride_ == 2);
  if (!argmax_kept_) {
    for (int64_t pl = 0; pl < planes; ++pl) {
      const float* in = x.data() + pl * H * W;
      float* out = y.data() + pl * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh)
        max_pool_2x2_row_values(in + 2 * oh * W, in + 2 * oh * W + W, OW, out + oh * OW);
    }
    return;
  }
  argmax_.resize(static_cast<size_t>(planes * OH * OW));
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* in = x.data() + pl * H * W;
    float* out = y.data() + pl * OH * OW;
    int32_t* arg = argmax_.data() + pl * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = oh * stride_;
      if (kernel_ == 2 && stride_ == 2) {
        const int32_t i0 = static_cast<int32_t>(h0 * W);
        max_pool_2x2_row(in + h0 * W, in + h0 * W + W, i0, i0 + static_cast<int32_t>(W), OW, out + oh * OW,
                         arg + oh * OW);
        continue;
      }
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = ow * stride_;
        MaxTracker m;
        m.index = static_cast<int32_t>(h0 * W + w0);
        for (int64_t kh = 0; kh < kernel_; ++kh) {
          const int64_t row = (h0 + kh) * W;
          for (int64_t kw = 0; kw < kernel_; ++kw)
            m.take(in[row + w0 + kw], static_cast<int32_t>(row + w0 + kw));
        }
        out[oh * OW + ow] = m.best;
        arg[oh * OW + ow] = m.index;
      }
    }
  }
}

void MaxPool2d::backward_input(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const int64_t batch = x.dim(0);
  ensure_shape(dx, batch, input_shape());
  const int64_t planes = batch * input_shape()[0];
  const int64_t H = input_shape()[1], W = input_shape()[2];
  const int64_t OH = output_shape()[1], OW = output_shape()[2];
  DPEVAL_CHECK(argmax_kept_ && argmax_.size() == static_cast<size_t>(planes * OH * OW))
      << "maxpool2d: backward after an inference forward, which keeps no argmax";
  // Zeroing then scattering beats writing each element once (measured): memset is
  // very fast and the scatter touches only one element per window.
  dx.fill(0.0f);
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* d = dx.data() + pl * H * W;
    const float* g = dy.data() + pl * OH * OW;
    const int32_t* arg = argmax_.data() + pl * OH * OW;
    for (int64_t o = 0; o < OH * OW; ++o) d[arg[o]] += g[o];
  }
}

AvgPool2d::AvgPool2d(const Shape& input_shape, int64_t kernel, int64_t stride)
    : Layer(input_shape, pool_output("avgpool2d", input_shape, kernel, stride)),
      kernel_(kernel),
      stride_(stride) {}

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
