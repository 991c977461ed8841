// Layer: one step of a sequential model, and make_layer, which builds a layer
// from its LayerSpec and per-sample input shape.
//
// Data layout (see Note [Flat parameters]): a layer owns no parameter memory.
// It declares its parameter tensors as ParamSlots; the Model lays every slot of
// every layer end to end in one float32 buffer (forward order) and hands each
// layer its contiguous views with bind(). Gradients use a second buffer with
// the same layout. Activations are Tensors owned by the Model: [B, sample...],
// B the batch size, sample the layer's per-sample shape.
//
// Backward runs in two calls so the Model can report a layer's gradients as
// final (on_grad_ready) before the input gradient is computed:
//   backward_params(x, y, dy, accumulate)   always called first
//   backward_input(x, y, dy, dx)            only when the input gradient is needed
// A layer may keep state between the two calls (and from forward).
//
// Note [Flat parameters]
// One contiguous parameter buffer and one gradient buffer (llm.c's
// params_memory) let the data-parallel Reducer treat buckets as slices of the
// gradient buffer, let the optimizer run one loop over everything, and make a
// ZeRO-1 shard a slice. Layers therefore take spans, never own parameters.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/shape.h"
#include "dpeval/core/tensor.h"
#include "dpeval/nn/model_spec.h"

namespace dpeval {
class ThreadPool;
}  // namespace dpeval

namespace dpeval::nn {

// How Model::init_params fills a slot: PyTorch's defaults.
enum class ParamInit {
  kUniform,   // U(-value, value); Linear/Conv2d weight and bias use 1/sqrt(fan_in)
  kConstant,  // every element = value (LayerNorm: weight 1, bias 0)
};

struct ParamSlot {
  std::string name;  // "weight" | "bias"
  Shape shape;
  ParamInit init = ParamInit::kUniform;
  float init_value = 0.0f;
};

// What forward needs besides the input.
struct LayerForwardContext {
  bool training = true;
  uint64_t rng_key = 0;          // ForwardOptions::rng_key
  size_t layer_index = 0;        // position in the model: keys Dropout's mask
  bool batch_invariant = false;  // ForwardOptions::batch_invariant
  ThreadPool* pool = nullptr;    // ForwardOptions::pool
};

class Layer {
 public:
  virtual ~Layer() = default;

  virtual std::string_view type() const = 0;
  // Per-sample shapes (no batch dimension).
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }

  // The parameter tensors, in layout order. Empty for parameter-free layers.
  virtual std::vector<ParamSlot> param_slots() const { return {}; }
  // Total elements over param_slots().
  size_t param_count() const;
  // Gives the layer its views: params.size() == grads.size() == param_count(),
  // slots end to end in param_slots() order. The spans must outlive the layer's use.
  void bind(std::span<float> params, std::span<float> grads);

  // True when the layer can apply a following ReLU itself (fused epilogue);
  // the Model then calls fuse_relu() and skips that ReLU layer.
  virtual bool can_fuse_relu() const { return false; }
  void fuse_relu() { relu_fused_ = true; }
  bool relu_fused() const { return relu_fused_; }

  // x: [B, input_shape...]  ->  y: [B, output_shape...] (resized here; y != x).
  virtual void forward(const Tensor& x, Tensor& y, const LayerForwardContext& context) = 0;
  // Writes (accumulate == false) or adds to this layer's gradient views.
  // dy = d loss / d y; the layer may overwrite it (a fused ReLU masks it in place).
  // x and y are those of the latest forward.
  virtual void backward_params(const Tensor& x, const Tensor& y, Tensor& dy, bool accumulate);
  // dx = d loss / d x (resized here; dx is none of x, y, dy). Called after backward_params.
  virtual void backward_input(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) = 0;

 protected:
  Layer(Shape input_shape, Shape output_shape)
      : input_shape_(std::move(input_shape)), output_shape_(std::move(output_shape)) {}
  // Views of slot `i`, valid after bind().
  std::span<float> param(size_t i) { return param_views_[i]; }
  std::span<const float> param(size_t i) const { return param_views_[i]; }
  std::span<float> grad(size_t i) { return grad_views_[i]; }

 private:
  Shape input_shape_, output_shape_;
  std::vector<std::span<float>> param_views_, grad_views_;
  bool relu_fused_ = false;
};

// Builds the layer described by `spec` for per-sample input `input_shape`.
// `out` of a linear layer may be 0: it then gets `num_classes`.
// Throws ConfigError (without location; Model::build adds it) when the shape
// does not fit, e.g. conv2d on a flat input or a kernel larger than the image.
std::unique_ptr<Layer> make_layer(const LayerSpec& spec, const Shape& input_shape, int num_classes);

// Resizes t to [batch, sample...] only when its shape differs (no allocation
// in the steady state, where every step has the same shapes).
void ensure_shape(Tensor& t, int64_t batch, const Shape& sample);

}  // namespace dpeval::nn
