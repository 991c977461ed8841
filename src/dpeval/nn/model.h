// Model: a sequential network built from a ModelSpec for one input shape, with
// its parameters and gradients in two flat buffers (see Note [Flat parameters]
// in layer.h).
//
// Layout: params() holds every parameter tensor end to end in forward order
// (layer 0's weight, its bias, then layer 1's ...); param_infos() names each
// tensor ("<layer index>.weight", "<layer index>.bias") with its offset, length
// and shape. grads() has the same layout. Activations are owned by the Model
// and reused from step to step: after the first step of a given batch size a
// training step allocates nothing.
//
// Note [Grad-ready hooks]
// backward() walks the layers in reverse; as soon as a layer's parameter
// gradients are final it calls on_grad_ready(i) for each of its parameter
// tensors, highest index first, and only then computes the gradient for the
// layer below. So the hook sees indices strictly decreasing from
// param_infos().size() - 1 to 0, each once per backward: the data-parallel
// Reducer starts the allreduce of a bucket there while backward continues.
//
// Note [Fused ReLU]
// A ReLU right after a Linear or Conv2d is applied by that layer's epilogue
// (bias + max(0, .)) and masked into its backward; the ReLU layer itself is
// skipped. This is exact (same numbers as running the ReLU separately) and
// saves a pass over the activation each way. describe() shows the fusion.
//
// Thread safety: a Model is used by one thread at a time. Distinct Models are
// independent (the data-parallel runtime keeps one per worker).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/shape.h"
#include "dpeval/core/tensor.h"
#include "dpeval/nn/layer.h"
#include "dpeval/nn/model_spec.h"

namespace dpeval {
class ThreadPool;
}  // namespace dpeval

namespace dpeval::nn {

struct ParamInfo {
  std::string name;   // "0.weight", "0.bias", "3.weight", ...: layer index in the spec, slot name
  size_t offset = 0;  // into params() / grads(), in elements
  size_t length = 0;  // elements, == shape.numel()
  Shape shape;        // e.g. [OUT, IN] for a linear weight, [OC, C, KH, KW] for a conv weight
};

struct ForwardOptions {
  bool training = true;  // false: dropout is the identity
  uint64_t rng_key = 0;  // keys dropout masks; see Note [Dropout determinism] in dropout.h
  // Every row's output independent of the batch it is in, bitwise (GEMMs
  // through kernels::gemm_batch_invariant instead of BLAS): what predict and
  // serve use. Slower than BLAS; training and its evaluation leave it off.
  bool batch_invariant = false;
  // Threads for the batch-invariant GEMMs (may be null: the calling thread alone).
  ThreadPool* pool = nullptr;
};

class Model {
 public:
  // Caps that keep a malformed spec from asking for absurd memory (ConfigError).
  static constexpr int64_t kMaxParams = int64_t{1} << 31;
  static constexpr int64_t kMaxSampleActivations = int64_t{1} << 26;

  // Builds the layers for per-sample input `sample_shape` (e.g. [1, 28, 28] or
  // [F]) and `num_classes` outputs. Parameters are zero until init_params().
  // Throws ConfigError naming the layer (index, type and spec line) when a layer
  // does not fit its input, when a linear other than the last omits `out`, or
  // when the output per sample is not [num_classes].
  static Model build(const ModelSpec& spec, const Shape& sample_shape, int num_classes);

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  size_t param_count() const { return params_view_.size(); }
  std::span<float> params() { return params_view_; }
  std::span<const float> params() const { return params_view_; }

  // Note [Shared parameters]
  // From now on the layers read and write their parameters in `buffer`
  // (param_count() floats, the params() layout) instead of this Model's own
  // copy, which is released; buffer's contents are left as they are and it
  // must outlive the Model. Several Models of one layout may share a buffer:
  // the threads backend's ranks do, so that a sharded update needs no copy
  // (parallel/internal/worker.cc). Gradients and activations stay per Model.
  // Whoever shares must order every write to the buffer against the other
  // Models' reads (the ranks do it with collectives).
  void share_params(std::span<float> buffer);
  std::span<float> grads() { return grads_; }
  std::span<const float> grads() const { return grads_; }
  const std::vector<ParamInfo>& param_infos() const { return param_infos_; }

  // PyTorch's default initialization, a pure function of `seed`: Linear and
  // Conv2d weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (what
  // kaiming_uniform(a = sqrt(5)) gives), LayerNorm weight 1 and bias 0.
  // Parameter tensor i draws from Rng(mix64(seed ^ purpose), i), so its values
  // do not depend on the other tensors. Gradients are zeroed.
  void init_params(uint64_t seed);

  // x: [B, sample_shape...], B >= 1 -> logits [B, num_classes]. The returned
  // reference stays valid until the next forward. Keeps the activations (and a
  // pointer to x: x must stay alive and unchanged until backward) for backward.
  const Tensor& forward(const Tensor& x, const ForwardOptions& options);

  // dlogits: [B, num_classes] = d loss / d logits of the latest forward.
  // grads() = (accumulate == false) or += (accumulate == true) d loss / d params.
  // Fires on_grad_ready per Note [Grad-ready hooks]. The gradient with respect
  // to the model input is never computed (nor any below the first layer with
  // parameters).
  void backward(const Tensor& dlogits, bool accumulate = false);

  // dx = d loss / d input of the latest forward (a forward with
  // batch_invariant false: max-pooling keeps its argmax only then), from
  // dlogits as in backward(); no parameter gradient is computed or changed
  // (adversarial attacks, model inversion).
  void input_gradient(const Tensor& dlogits, Tensor& dx);

  // Called from backward on the calling thread; an empty function disables it.
  void set_on_grad_ready(std::function<void(size_t param_index)> hook);

  // Timeline hook (dpeval train --trace): called on the calling thread right
  // after layer `layer` finished its forward (backward == false) or its
  // backward (true; after its on_grad_ready calls). A fused ReLU has no calls
  // of its own. An empty function disables it.
  void set_on_layer_done(std::function<void(size_t layer, bool backward)> hook);
  size_t layer_count() const { return layers_.size(); }
  // Layer i (tests and benches reach a layer's own switches through it).
  Layer& layer(size_t i) { return *layers_.at(i); }
  // "linear", "conv2d", ...: the spec's type name of layer `layer`.
  std::string_view layer_type(size_t layer) const;

  const ModelSpec& spec() const { return spec_; }
  const Shape& sample_shape() const { return sample_shape_; }
  int num_classes() const { return num_classes_; }

  // A header line, then one line per layer: index, type, output shape per
  // sample, parameter count, and "(fused into k)" for a fused ReLU.
  std::string describe() const;
  // XXH3 of param_infos (names, offsets, lengths, shapes): equal hashes mean
  // interchangeable parameter buffers. Used in checkpoints and cross-rank checks.
  uint64_t layout_hash() const;

 private:
  // Points every layer at its slice of `params` (and of grads_); sets params_view_.
  void bind_layers(std::span<float> params);
  Model();
  // Checks dlogits against the latest forward's logits and copies it into dy_[0].
  void load_dlogits(const Tensor& dlogits, const char* caller);
  // The input of layer i in the latest forward.
  const Tensor& layer_input(size_t i) const;

  ModelSpec spec_;
  Shape sample_shape_;
  int num_classes_ = 0;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<bool> fused_;          // layer i is a ReLU applied by layer i - 1
  std::vector<size_t> first_param_;  // layer i's first index into param_infos_
  size_t first_param_layer_ = 0;     // lowest layer with parameters (layers_.size() if none)
  std::vector<ParamInfo> param_infos_;
  std::vector<float> params_, grads_;
  std::span<float> params_view_;          // params_, or a buffer shared with share_params()
  std::vector<Tensor> outputs_;           // per layer; a fused ReLU's stays empty
  std::vector<const Tensor*> output_of_;  // layer i's output (a fused ReLU: its producer's)
  Tensor dy_[2];                          // backward ping-pong: d loss / d (current activation)
  const Tensor* input_ = nullptr;
  std::function<void(size_t)> on_grad_ready_;
  std::function<void(size_t, bool)> on_layer_done_;
};

}  // namespace dpeval::nn
