// libFuzzer target for dataset manifests (govern/manifest.h): parse_manifest
// over arbitrary bytes. A parse must either throw dpeval::Error or succeed; an
// accepted manifest must survive the round trip through its own JSON with the
// same content hash, and its verification summary must be printable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dpeval/core/error.h"
#include "dpeval/govern/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dpeval::govern::Manifest m;
  try {
    m = dpeval::govern::parse_manifest(text, "fuzz.manifest.json");
  } catch (const dpeval::Error&) {
    return 0;  // expected for malformed input
  }
  try {
    const dpeval::govern::Manifest back = dpeval::govern::parse_manifest(m.to_json().dump(), "canonical");
    if (back.content_hash() != m.content_hash() || back.files.size() != m.files.size()) std::abort();
  } catch (const dpeval::Error&) {
    std::abort();  // the canonical JSON of an accepted manifest must parse
  }
  return 0;
}
