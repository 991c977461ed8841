// libFuzzer target for the safetensors reader (run/safetensors.h). An input
// must be refused with dpeval::Error or read; a file that is read must export
// again to bytes that read back to the same state (names, shapes, weights).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dpeval/core/error.h"
#include "dpeval/run/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const dpeval::parallel::TrainState state = dpeval::run::safetensors_state(bytes, "fuzz.safetensors");
    const std::string again =
        dpeval::run::safetensors_bytes(state, dpeval::run::state_dict_names(state, "fuzz"));
    const dpeval::parallel::TrainState back = dpeval::run::safetensors_state(again, "again.safetensors");
    if (back.params != state.params || back.config.to_json() != state.config.to_json() ||
        back.sample_shape.dims() != state.sample_shape.dims() || back.class_names != state.class_names) {
      std::abort();
    }
  } catch (const dpeval::InternalError&) {
    std::abort();  // a broken invariant, not bad input
  } catch (const dpeval::Error&) {
    // Expected for malformed input.
  }
  return 0;
}
