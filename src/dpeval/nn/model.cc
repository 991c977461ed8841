// Model: building from a spec, flat parameter layout, forward and backward.
#include "dpeval/nn/model.h"

#include <fmt/format.h>

#include <algorithm>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/rng.h"
#include "dpeval/kernels/kernels.h"

namespace dpeval::nn {

namespace {

constexpr uint64_t kInitPurpose = 0x696e6974706172ull;  // "initpar"

std::string layer_label(const ModelSpec& spec, size_t i) {
  const LayerSpec& s = spec.layers[i];
  std::string where = s.line > 0 ? fmt::format(", line {}", s.line) : "";
  return fmt::format("model '{}' layer {} ({}{})", spec.name, i, s.type, where);
}

}  // namespace

Model::Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::build(const ModelSpec& spec, const Shape& sample_shape, int num_classes) {
  if (num_classes < 1) {
    throw ConfigError(fmt::format("model '{}': {} classes, expected at least 1", spec.name, num_classes));
  }
  if (spec.layers.empty()) throw ConfigError(fmt::format("model '{}' has no layers", spec.name));
  bool shape_ok = sample_shape.rank() >= 1;
  for (int64_t d : sample_shape.dims()) shape_ok = shape_ok && d >= 1 && d <= kMaxSampleActivations;
  if (!shape_ok || sample_shape.numel() > kMaxSampleActivations) {
    throw ConfigError(fmt::format("model '{}': input sample shape {} is empty or too large", spec.name,
                                  sample_shape.to_string()));
  }
  size_t last_linear = spec.layers.size();
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    if (spec.layers[i].type == "linear") last_linear = i;
  }

  Model m;
  m.spec_ = spec;
  m.sample_shape_ = sample_shape;
  m.num_classes_ = num_classes;
  Shape shape = sample_shape;
  size_t total = 0;  // parameters so far; allocated once all layers fit
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& ls = spec.layers[i];
    if (ls.type == "linear" && ls.out == 0 && i != last_linear) {
      throw ConfigError(
          fmt::format("{}: no out, expected a positive integer (only the last linear layer may "
                      "omit it)",
                      layer_label(spec, i)));
    }
    std::unique_ptr<Layer> layer;
    try {
      layer = make_layer(ls, shape, num_classes);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", layer_label(spec, i), e.what()));
    }
    double slot_total = 0;
    for (const ParamSlot& slot : layer->param_slots()) {
      double n = 1;
      for (int64_t d : slot.shape.dims()) n *= static_cast<double>(d);
      slot_total += n;
    }
    if (slot_total + static_cast<double>(total) > static_cast<double>(kMaxParams)) {
      throw ConfigError(
          fmt::format("{}: the model would have more than {} parameters", layer_label(spec, i), kMaxParams));
    }
    if (layer->output_shape().numel() > kMaxSampleActivations) {
      throw ConfigError(fmt::format("{}: output {} per sample is larger than {} elements",
                                    layer_label(spec, i), layer->output_shape().to_string(),
                                    kMaxSampleActivations));
    }
    shape = layer->output_shape();
    m.first_param_.push_back(m.param_infos_.size());
    for (const ParamSlot& slot : layer->param_slots()) {
      const size_t n = static_cast<size_t>(slot.shape.numel());
      m.param_infos_.push_back(ParamInfo{fmt::format("{}.{}", i, slot.name), total, n, slot.shape});
      total += n;
    }
    m.layers_.push_back(std::move(layer));
  }
  if (!(shape == Shape{num_classes})) {
    throw ConfigError(
        fmt::format("model '{}' outputs {} per sample, expected [{}] (one logit per class); end it "
                    "with a flatten and a linear layer without `out`",
                    spec.name, shape.to_string(), num_classes));
  }
  m.params_.assign(total, 0.0f);
  m.grads_.assign(total, 0.0f);
  m.bind_layers(m.params_);
  // See Note [Fused ReLU].
  m.fused_.assign(m.layers_.size(), false);
  for (size_t i = 1; i < m.layers_.size(); ++i) {
    if (spec.layers[i].type == "relu" && !m.fused_[i - 1] && m.layers_[i - 1]->can_fuse_relu()) {
      m.layers_[i - 1]->fuse_relu();
      m.fused_[i] = true;
    }
  }
  m.outputs_.resize(m.layers_.size());
  m.output_of_.assign(m.layers_.size(), nullptr);
  return m;
}

void Model::bind_layers(std::span<float> params) {
  params_view_ = params;
  first_param_layer_ = layers_.size();
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = *layers_[i];
    const size_t begin = first_param_[i] < param_infos_.size() ? param_infos_[first_param_[i]].offset : 0;
    const size_t n = layer.param_count();
    if (n > 0) {
      layer.bind(params.subspan(begin, n), std::span(grads_).subspan(begin, n));
      first_param_layer_ = std::min(first_param_layer_, i);
    }
  }
}

void Model::share_params(std::span<float> buffer) {
  DPEVAL_CHECK(buffer.size() == param_count())
      << "share_params: buffer of " << buffer.size() << " floats for " << param_count() << " parameters";
  bind_layers(buffer);
  params_ = std::vector<float>();
}

void Model::init_params(uint64_t seed) {
  const uint64_t key = mix64(seed ^ kInitPurpose);
  size_t index = 0;
  for (const auto& layer : layers_) {
    for (const ParamSlot& slot : layer->param_slots()) {
      const ParamInfo& info = param_infos_[index];
      float* p = params_view_.data() + info.offset;
      if (slot.init == ParamInit::kUniform) {
        Rng rng(key, index);
        for (size_t j = 0; j < info.length; ++j) p[j] = rng.uniform(-slot.init_value, slot.init_value);
      } else {
        std::fill(p, p + info.length, slot.init_value);
      }
      ++index;
    }
  }
  std::fill(grads_.begin(), grads_.end(), 0.0f);
}

const Tensor& Model::layer_input(size_t i) const { return i == 0 ? *input_ : *output_of_[i - 1]; }

const Tensor& Model::forward(const Tensor& x, const ForwardOptions& options) {
  const Shape& s = x.shape();
  bool ok = s.rank() == sample_shape_.rank() + 1 && s[0] >= 1;
  for (int d = 0; ok && d < sample_shape_.rank(); ++d) ok = s[d + 1] == sample_shape_[d];
  DPEVAL_CHECK(ok) << "model input " << s.to_string() << ", expected [B >= 1, " << sample_shape_.to_string()
                   << "...]";
  input_ = &x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (fused_[i]) {
      output_of_[i] = output_of_[i - 1];
      continue;
    }
    LayerForwardContext context;
    context.training = options.training;
    context.rng_key = options.rng_key;
    context.layer_index = i;
    context.batch_invariant = options.batch_invariant;
    context.pool = options.pool;
    layers_[i]->forward(layer_input(i), outputs_[i], context);
    output_of_[i] = &outputs_[i];
    if (on_layer_done_) on_layer_done_(i, false);
  }
  return *output_of_.back();
}

void Model::load_dlogits(const Tensor& dlogits, const char* caller) {
  DPEVAL_CHECK(input_ != nullptr) << caller << " before forward";
  const Tensor& logits = *output_of_.back();
  DPEVAL_CHECK(dlogits.shape() == logits.shape())
      << "dlogits " << dlogits.shape().to_string() << " vs logits " << logits.shape().to_string();
  ensure_shape(dy_[0], logits.dim(0), logits.shape().without_outer());
  std::copy(dlogits.span().begin(), dlogits.span().end(), dy_[0].span().begin());
}

void Model::backward(const Tensor& dlogits, bool accumulate) {
  load_dlogits(dlogits, "backward");
  int current = 0;
  for (size_t i = layers_.size(); i-- > first_param_layer_;) {
    if (fused_[i]) continue;
    Layer& layer = *layers_[i];
    const Tensor& x = layer_input(i);
    layer.backward_params(x, *output_of_[i], dy_[current], accumulate);
    const size_t slots =
        (i + 1 < layers_.size() ? first_param_[i + 1] : param_infos_.size()) - first_param_[i];
    if (on_grad_ready_) {
      for (size_t k = slots; k-- > 0;) on_grad_ready_(first_param_[i] + k);
    }
    if (i == first_param_layer_) {
      if (on_layer_done_) on_layer_done_(i, true);
      break;
    }
    layer.backward_input(x, *output_of_[i], dy_[current], dy_[1 - current]);
    current = 1 - current;
    if (on_layer_done_) on_layer_done_(i, true);
  }
}

void Model::input_gradient(const Tensor& dlogits, Tensor& dx) {
  load_dlogits(dlogits, "input_gradient");
  int current = 0;
  for (size_t i = layers_.size(); i-- > 0;) {
    if (fused_[i]) continue;
    Layer& layer = *layers_[i];
    // backward_params masks dy by a fused ReLU; with no parameter gradients
    // the mask is applied here.
    if (layer.relu_fused())
      kernels::relu_backward(output_of_[i]->span(), dy_[current].span(), dy_[current].span());
    layer.backward_input(layer_input(i), *output_of_[i], dy_[current], i == 0 ? dx : dy_[1 - current]);
    current = 1 - current;
  }
}

void Model::set_on_layer_done(std::function<void(size_t layer, bool backward)> hook) {
  on_layer_done_ = std::move(hook);
}

std::string_view Model::layer_type(size_t layer) const { return layers_.at(layer)->type(); }

void Model::set_on_grad_ready(std::function<void(size_t param_index)> hook) {
  on_grad_ready_ = std::move(hook);
}

std::string Model::describe() const {
  std::string out = fmt::format("model '{}': input {}, {} classes, {} parameters\n", spec_.name,
                                sample_shape_.to_string(), num_classes_, param_count());
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = *layers_[i];
    out += fmt::format("  {:>3} {:<10} {:<16} {:>10}", i, layer.type(), layer.output_shape().to_string(),
                       layer.param_count());
    if (fused_[i]) out += fmt::format("  (fused into {})", i - 1);
    out += "\n";
  }
  return out;
}

uint64_t Model::layout_hash() const {
  Hasher h;
  h.update_pod(param_infos_.size());
  for (const ParamInfo& info : param_infos_) {
    h.update(info.name);
    h.update_pod(info.offset);
    h.update_pod(info.length);
    h.update_pod(info.shape.rank());
    for (int64_t d : info.shape.dims()) h.update_pod(d);
  }
  return h.digest();
}

}  // namespace dpeval::nn
