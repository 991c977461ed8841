// ModelSpec: the description of a sequential model, independent of its input.
// It comes from a preset ("mlp", "cnn": the peer's two Fashion-MNIST models) or
// from a TOML file:
//
//   name = "small-cnn"
//   [[layers]]
//   type = "conv2d"        # conv2d | linear | relu | gelu | maxpool2d | avgpool2d
//   out_channels = 16      #   | dropout | flatten | layernorm
//   kernel = 3
//   [[layers]]
//   type = "flatten"
//   [[layers]]
//   type = "linear"        # the last linear may omit `out`: it becomes the
//                          # number of classes when the model is built
//
// Keys per type (defaults in brackets; unknown keys are rejected):
//   linear     out [number of classes; last linear only]
//   conv2d     out_channels, kernel, stride [1], padding [0]
//   maxpool2d  kernel, stride [= kernel]      avgpool2d  kernel, stride [= kernel]
//   dropout    p [0.5], 0 <= p < 1           layernorm  eps [1e-5]
//   relu, gelu, flatten: none
// Parsing resolves every default, so a parsed spec holds explicit values and
// model_spec_to_toml writes them all: the canonical text is stable and
// parse_model_toml(model_spec_to_toml(s)) == s. Whether the layers fit a given
// input shape is checked later, by Model::build.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::nn {

// Upper bounds accepted for spec integers: generous for real models, small
// enough that a typo cannot ask for terabytes. Model::build bounds the totals.
inline constexpr int64_t kSpecMaxWidth = 1 << 20;  // out, out_channels
inline constexpr int64_t kSpecMaxKernel = 1024;    // kernel, stride, padding

struct LayerSpec {
  std::string type;          // one of the types listed above
  int64_t out = 0;           // linear: output features; 0 = the number of classes
  int64_t out_channels = 0;  // conv2d
  int64_t kernel = 0;        // conv2d, maxpool2d, avgpool2d (square kernel)
  int64_t stride = 0;        // conv2d, maxpool2d, avgpool2d
  int64_t padding = 0;       // conv2d (zero padding, both sides)
  double p = 0.0;            // dropout: probability of zeroing an element
  double eps = 0.0;          // layernorm: added to the variance
  int line = 0;              // 1-based line of the layer's table in its source; 0 if made in code

  // Factories with the TOML defaults, for presets and tests (line = 0).
  static LayerSpec linear(int64_t out = 0);
  static LayerSpec conv2d(int64_t out_channels, int64_t kernel, int64_t stride = 1, int64_t padding = 0);
  static LayerSpec maxpool2d(int64_t kernel, int64_t stride = 0);  // stride 0 -> kernel
  static LayerSpec avgpool2d(int64_t kernel, int64_t stride = 0);  // stride 0 -> kernel
  static LayerSpec relu();
  static LayerSpec gelu();
  static LayerSpec dropout(double p = 0.5);
  static LayerSpec flatten();
  static LayerSpec layernorm(double eps = 1e-5);

  // Equality of meaning: every field except `line`.
  friend bool operator==(const LayerSpec& a, const LayerSpec& b);
};

struct ModelSpec {
  std::string name;
  std::vector<LayerSpec> layers;
  friend bool operator==(const ModelSpec&, const ModelSpec&) = default;
};

// The peer's models (tests/golden, /work/shared/peers/fmnist_ddp.py):
//   "mlp": flatten, linear 512, relu, linear 256, relu, linear (classes)
//   "cnn": conv2d 32 k5 p2, relu, maxpool2d 2, conv2d 64 k5 p2, relu, maxpool2d 2,
//          flatten, linear 128, relu, linear (classes)
// Throws ConfigError for any other name, listing the presets.
ModelSpec model_spec_preset(std::string_view name);

// Parses and validates TOML text. `source_name` (a path, or "<string>") prefixes
// every error. Throws ConfigError "<source>:<line>:<col>: <what>, expected <what>"
// for invalid TOML, an unknown type or key, a missing, mistyped or out-of-range field,
// and for non-ASCII text outside `key = "string"` values and comments (a guard for
// a toml++ 3.3 bug; see Note [toml++ 3.3 unreachable] in core/toml_hazards.h).
ModelSpec parse_model_toml(std::string_view text, std::string_view source_name);

// A preset name, or a path to a TOML file (anything containing '/' or ending in
// ".toml"). Throws InputError when the file cannot be read, ConfigError otherwise.
ModelSpec load_model_spec(std::string_view name_or_path);

// The canonical TOML text of a spec (every field written, fixed key order,
// shortest round-trip floats). Used in checkpoints and config hashes.
// Precondition: the spec is valid (as parse_model_toml or the factories make it).
std::string model_spec_to_toml(const ModelSpec& spec);

}  // namespace dpeval::nn
