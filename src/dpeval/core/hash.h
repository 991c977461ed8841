// Hashing: xxHash (XXH3) for fast content hashes and checksums, SHA-256 (OpenSSL
// libcrypto) where a cryptographic digest is wanted (dataset manifests).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dpeval {

// XXH3 64-bit hash of a byte range.
uint64_t hash64(std::span<const std::byte> bytes, uint64_t seed = 0);
uint64_t hash64(std::string_view text, uint64_t seed = 0);

// "0123456789abcdef": 16 lowercase hex digits.
std::string hex64(uint64_t value);

// Incremental XXH3-64 over many pieces; equal to hash64 of the concatenation.
class Hasher {
 public:
  explicit Hasher(uint64_t seed = 0);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  Hasher& update(std::span<const std::byte> bytes);
  Hasher& update(std::string_view text);
  template <typename T>
  Hasher& update_pod(const T& value) {
    return update(std::as_bytes(std::span<const T>(&value, 1)));
  }
  uint64_t digest() const;

 private:
  void* state_;  // XXH3_state_t*, kept opaque so xxhash.h stays out of this header.
};

// SHA-256 of a byte range as 64 lowercase hex digits.
std::string sha256_hex(std::span<const std::byte> bytes);

}  // namespace dpeval
