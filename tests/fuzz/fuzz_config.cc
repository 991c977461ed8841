// libFuzzer target for model specs (nn/model_spec.h): parse_model_toml over
// arbitrary bytes. A parse must either throw dpeval::Error or succeed; an
// accepted spec must survive the canonical round trip
// (parse(to_toml(s)) == s and to_toml is a fixed point), and building it for a
// small image input must either succeed or throw ConfigError. Specs with very
// wide layers are not built (that is an allocation, not a parser, question).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dpeval/core/error.h"
#include "dpeval/nn/model.h"
#include "dpeval/nn/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dpeval::nn::ModelSpec spec;
  try {
    spec = dpeval::nn::parse_model_toml(text, "fuzz.toml");
  } catch (const dpeval::Error&) {
    return 0;  // expected for malformed input
  }
  const std::string canonical = dpeval::nn::model_spec_to_toml(spec);
  try {
    const dpeval::nn::ModelSpec back = dpeval::nn::parse_model_toml(canonical, "canonical");
    if (!(back == spec) || dpeval::nn::model_spec_to_toml(back) != canonical) std::abort();
  } catch (const dpeval::Error&) {
    std::abort();  // the canonical text of an accepted spec must parse
  }
  bool small = spec.layers.size() <= 16;
  for (const dpeval::nn::LayerSpec& layer : spec.layers) {
    small = small && layer.out <= 256 && layer.out_channels <= 64 && layer.kernel <= 8 && layer.padding <= 8;
  }
  if (!small) return 0;
  try {
    dpeval::nn::Model model = dpeval::nn::Model::build(spec, dpeval::Shape{2, 8, 8}, 3);
    model.init_params(1);
  } catch (const dpeval::ConfigError&) {
    // a spec that does not fit the input
  }
  return 0;
}
