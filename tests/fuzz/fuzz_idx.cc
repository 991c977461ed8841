// libFuzzer target for the IDX reader (plain and gzip). Any input must either parse
// into a consistent array or throw a typed dpeval error; InternalError (a broken
// invariant), crashes, hangs, leaks and huge allocations are findings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dpeval/core/error.h"
#include "dpeval/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const dpeval::data::IdxArray a = dpeval::data::parse_idx(std::as_bytes(std::span(data, size)), "fuzz.idx");
    uint64_t count = 1;
    for (int64_t d : a.dims) count *= static_cast<uint64_t>(d);
    if (a.dims.empty() || count != a.data.size()) std::abort();
  } catch (const dpeval::InternalError&) {
    throw;
  } catch (const dpeval::Error&) {
  }
  return 0;
}
