// libFuzzer target for the IDX reader (plain and gzip). Any input must either parse
// into a consistent array or throw a typed dpeval error; InternalError (a broken
// invariant), crashes, hangs, leaks and huge allocations are findings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/data/idx.h"
#include "dpeval/data/source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const dpeval::data::IdxArray a =
        dpeval::data::parse_idx(std::as_bytes(std::span(data, size)), "fuzz.idx");
    uint64_t count = 1;
    for (int64_t d : a.dims) count *= static_cast<uint64_t>(d);
    if (a.dims.empty() || count != a.data.size()) std::abort();
    // Build a dataset from it (row-shape checks), with all-zero labels when that is small.
    if (a.dims[0] <= (1 << 16)) {
      const dpeval::data::IdxArray labels{{a.dims[0]}, std::vector<uint8_t>(static_cast<size_t>(a.dims[0]))};
      const dpeval::data::Dataset d = dpeval::data::dataset_from_idx(a, "fuzz.idx", labels, "labels.idx");
      if (d.size() != static_cast<size_t>(a.dims[0])) std::abort();
    }
  } catch (const dpeval::InternalError&) {
    throw;
  } catch (const dpeval::Error&) {
  }
  return 0;
}
