// GzipReader: pulls decompressed bytes out of an in-memory gzip file (one or more
// members, RFC 1952) through zlib, a piece at a time, so that a caller that knows
// how much data to expect (an IDX header) never decompresses or allocates more
// than that: a gzip bomb cannot exhaust memory. See Note [Gzip limits] in idx.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace dpeval::data::internal {

// True when bytes start with the gzip magic 1f 8b.
bool is_gzip(std::span<const std::byte> bytes);

class GzipReader {
 public:
  // `compressed` must outlive the reader. Throws InternalError if zlib cannot start.
  GzipReader(std::span<const std::byte> compressed, std::string_view source_name);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Fills `out` with the next decompressed bytes; returns how many were written,
  // fewer than out.size() only when the gzip data has ended cleanly. Throws
  // InputError "<source>: gzip ..." for corrupt, truncated or trailing data.
  size_t read(std::span<std::byte> out);

  // Decompressed bytes handed out so far.
  uint64_t total_out() const { return total_out_; }

  // The largest number of bytes a gzip file of `compressed_bytes` can decompress
  // to (deflate cannot expand more than 1032:1).
  static uint64_t max_decompressed_bytes(uint64_t compressed_bytes);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::span<const std::byte> input_;
  size_t fed_ = 0;  // input bytes handed to zlib so far
  uint64_t total_out_ = 0;
  bool finished_ = false;
  std::string source_name_;
};

}  // namespace dpeval::data::internal
