// libFuzzer target for the checkpoint container parser (core/checkpoint_file.h).
// Each input is parsed twice: as is, and with its last 8 bytes replaced by the
// valid checksum, so mutations reach the section walk behind the checksum check.
// A parse must either throw dpeval::Error or succeed, and a successful parse
// must serialize back to exactly the input bytes (the format is canonical).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "dpeval/core/checkpoint_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"

namespace {

void parse_and_check(std::span<const std::byte> bytes) {
  try {
    const dpeval::CheckpointFile file = dpeval::CheckpointFile::parse(bytes, "fuzz");
    const std::vector<std::byte> again = file.serialize();
    if (again.size() != bytes.size() || std::memcmp(again.data(), bytes.data(), bytes.size()) != 0)
      std::abort();
  } catch (const dpeval::Error&) {
    // Expected for malformed input.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto bytes = std::as_bytes(std::span<const uint8_t>(data, size));
  parse_and_check(bytes);
  if (size >= dpeval::CheckpointFile::kTrailerBytes) {
    std::vector<std::byte> sealed(bytes.begin(), bytes.end());
    const size_t body = size - dpeval::CheckpointFile::kTrailerBytes;
    const uint64_t checksum = dpeval::hash64(std::span<const std::byte>(sealed).first(body));
    for (size_t i = 0; i < 8; ++i) sealed[body + i] = static_cast<std::byte>(checksum >> (8 * i));
    parse_and_check(sealed);
  }
  return 0;
}
