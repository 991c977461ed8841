// IDX: the MNIST / Fashion-MNIST array format (LeCun et al.). Bytes 0-1 are zero,
// byte 2 is the item type, byte 3 the number of dimensions D, then D big-endian
// uint32 sizes, then the items in row-major order. A file may be gzip-compressed;
// that is detected from its first bytes (1f 8b), never from its name.
// Only unsigned-byte items (type 0x08) are supported: that is what image and label
// files use. Everything else is rejected with a message naming the type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace dpeval::data {

struct IdxArray {
  std::vector<int64_t> dims;  // outermost first, e.g. [60000, 28, 28]; at least one
  std::vector<uint8_t> data;  // product(dims) items, row-major
};

// Parses an IDX file held in memory (plain or gzip). `source_name` (usually the
// path) starts every error message. Throws InputError naming the byte offset
// (in the decompressed stream for gzip) and what was expected for: wrong magic,
// unsupported item type, zero dimensions, truncated header or data, trailing bytes,
// a header whose claimed size cannot fit in the file, corrupt or truncated gzip.
// The claimed size is checked against the input before anything is allocated, and
// gzip is decompressed piecewise, never past what the header claims (see Note
// [Gzip limits] in idx.cc), so hostile input cannot cause a huge allocation.
IdxArray parse_idx(std::span<const std::byte> bytes, std::string_view source_name);

// The dimensions the header of an IDX file declares, from its first bytes only
// (for gzip only the header is inflated): lets a caller check a claimed shape
// (image rows against the label count) before the body is inflated. Throws
// InputError as parse_idx does for the magic, item type and a truncated header.
std::vector<int64_t> parse_idx_dims(std::span<const std::byte> bytes, std::string_view source_name);

// read_file(path) then parse_idx with the path as the source name.
// Throws InputError("<path>: cannot open: ...") as well.
IdxArray read_idx(const std::filesystem::path& path);

}  // namespace dpeval::data
