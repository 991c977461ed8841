// Dropout with inverted scaling (PyTorch's nn.Dropout): in training each
// element is kept with probability 1 - p and scaled by 1 / (1 - p), else zeroed;
// in evaluation it is the identity. x, y [B, any...].
//
// Note [Dropout determinism]
// The mask is a pure function of (ForwardOptions::rng_key, layer index,
// element index within the batch): a counter-based Rng keyed by rng_key with
// the layer index as its stream. The same key gives the same mask on any
// machine and after a resume; the trainer derives a fresh key per step (and
// per rank), so no generator state needs saving in a checkpoint.
#pragma once

#include <vector>

#include "dpeval/nn/layer.h"

namespace dpeval::nn {

class Dropout final : public Layer {
 public:
  // Throws ConfigError unless 0 <= p < 1.
  Dropout(const Shape& input_shape, double p);

  std::string_view type() const override { return "dropout"; }
  void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) override;
  void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;

 private:
  float p_;
  bool masked_ = false;      // the latest forward applied a mask (training and p > 0)
  std::vector<float> mask_;  // [B, any...]: 0 or 1 / (1 - p)
};

}  // namespace dpeval::nn
