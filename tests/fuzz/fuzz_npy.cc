// libFuzzer target for the NPY reader, plus the conversions applied to what it
// returns. Typed dpeval errors are the expected outcome for bad input; an
// InternalError (a broken invariant) or a crash is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dpeval/core/error.h"
#include "dpeval/data/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dpeval::data;
  try {
    const NpyArray a = parse_npy(std::as_bytes(std::span(data, size)), "fuzz.npy");
    if (a.data.size() != static_cast<size_t>(a.numel()) * npy_item_size(a.dtype)) std::abort();
    // The writer must reproduce an array the reader accepts.
    const std::vector<std::byte> again = encode_npy(a);
    if (parse_npy(again, "fuzz.npy (re-encoded)").data != a.data) std::abort();
    npy_to_f32(a, "fuzz.npy");
    npy_to_i64(a, "fuzz.npy");
  } catch (const dpeval::InternalError&) {
    throw;
  } catch (const dpeval::Error&) {
  }
  return 0;
}
