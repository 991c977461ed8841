// A checkpoint's weights as safetensors, the format PyTorch and the Hugging
// Face tools load without pickle: `dpeval export` writes one, `dpeval import`
// turns one back into a checkpoint.
//
// Note [Safetensors layout]
// The file is 8 bytes (little-endian u64 N), N bytes of JSON header, then the
// tensors' bytes. The header maps each tensor's name to {"dtype": "F32",
// "shape": [...], "data_offsets": [begin, end]} (offsets into the bytes after
// the header, the tensors packed end to end with no gap, in the model's
// order); "__metadata__" maps strings to strings. The header is padded with
// spaces to a multiple of 8 bytes, so every tensor starts 8-byte aligned.
// dpeval writes float32 little-endian, the layout its own tensors have.
//
// Note [State-dict names]
// Tensors are named as the PyTorch module of the same model names its
// state_dict, so that load_state_dict(strict=True) takes them:
// - the "mlp" preset (../shared/peers/fmnist_ddp.py's MLP): fc1, fc2, fc3;
// - the "cnn" preset (its CNN): conv1, conv2, fc1, fc2;
// - any other model (a TOML spec): layers.<i>, i the layer's index in the
//   spec, as an nn.Sequential named `layers` holding the spec's layers in
//   order would name them;
// each followed by ".weight" or ".bias". Shapes are PyTorch's ([out, in] for
// a linear weight, [out, in, kh, kw] for a convolution's), which are dpeval's.
//
// Note [Safetensors metadata]
// "__metadata__" holds "format": "pt", "dpeval.schema":
// "dpeval.safetensors/1", and the checkpoint's other two sections as JSON
// text: "dpeval.config" (the training config, model spec included) and
// "dpeval.progress" (epochs, history, sample shape, classes, data identity).
// The optimizer's state is not exported (PyTorch's strict load would refuse
// an extra tensor), so progress records none: a checkpoint imported back
// predicts, evaluates and serves exactly as the original, and resuming
// training from it is refused unless the optimizer keeps no state (plain SGD).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/shape.h"
#include "dpeval/parallel/train_checkpoint.h"

namespace dpeval::run {

struct NamedTensor {
  std::string name;  // Note [State-dict names]
  Shape shape;
  size_t offset = 0;  // into TrainState::params, in elements
};

// The model's parameter tensors under their PyTorch names, in the model's
// order. Throws InputError when the checkpoint does not fit its own model.
std::vector<NamedTensor> state_dict_names(const parallel::TrainState& state, const std::string& checkpoint);

// The bytes of a safetensors file holding `state`'s parameters under the
// names state_dict_names gave (Note [Safetensors layout], [Safetensors
// metadata]).
std::string safetensors_bytes(const parallel::TrainState& state, const std::vector<NamedTensor>& tensors);

// The checkpoint state a safetensors file written by safetensors_bytes holds,
// with no optimizer state. Throws InputError naming the file and the field:
// a file shorter than its header says, a header that is not JSON or larger
// than 100 MB, a tensor of another dtype than F32, offsets outside the data,
// overlapping or leaving gaps, a shape whose size is not its bytes, no dpeval
// metadata, a tensor missing, extra or of the wrong shape for the model the
// metadata describes, or a weight that is not finite.
parallel::TrainState read_safetensors(const std::filesystem::path& path);
// The same from the file's bytes; `path` names it in messages (the fuzz target's entry).
parallel::TrainState safetensors_state(std::string_view bytes, const std::filesystem::path& path);

}  // namespace dpeval::run
