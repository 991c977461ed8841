// NPY: NumPy's array file format (numpy.lib.format), versions 1.0, 2.0 and 3.0.
// Layout: "\x93NUMPY", major, minor, header length (uint16 LE in v1, uint32 LE in
// v2/v3), a Python dict literal {'descr': '<f4', 'fortran_order': False,
// 'shape': (3, 4), } padded with spaces and ended by '\n', then the raw data.
// Supported: little-endian '<f4' '<f8' '|u1' '<i8' '<i4', C order only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace dpeval::data {

struct NpyArray {
  enum class DType { kF32, kF64, kU8, kI64, kI32 };

  std::vector<int64_t> shape;  // () for a scalar
  DType dtype = DType::kF32;
  std::vector<std::byte> data;  // numel() * item_size(), little-endian, C order

  // Product of shape (1 for a scalar, 0 if any dimension is 0). Throws InternalError
  // if it overflows int64 (parse_npy never returns such an array).
  int64_t numel() const;
};

// Bytes per item: 4, 8, 1, 8, 4.
size_t npy_item_size(NpyArray::DType dtype);
// The descr string NumPy writes: "<f4", "<f8", "|u1", "<i8", "<i4".
std::string_view npy_descr(NpyArray::DType dtype);

// Parses an NPY file held in memory. Throws InputError "<source>: byte N: ..."
// naming what was expected for: bad magic or version, a header dict that does not
// parse (or misses/duplicates/adds keys), an unsupported or big-endian dtype,
// fortran_order True, negative or overflowing shapes, and data shorter or longer
// than the shape says. Sizes are checked (overflow-safe) before allocating.
NpyArray parse_npy(std::span<const std::byte> bytes, std::string_view source_name);
// read_file(path) then parse_npy with the path as the source name.
NpyArray read_npy(const std::filesystem::path& path);

// The bytes of a version 1.0 NPY file holding `array` (header padded to 64 bytes).
// Precondition (DPEVAL_CHECK): data.size() == numel() * item size.
std::vector<std::byte> encode_npy(const NpyArray& array);

// The array's values as float32 (f64 rounded, integers converted). Throws
// InputError "<source>: element i: ..." for NaN or infinity, or an f64 outside float range.
std::vector<float> npy_to_f32(const NpyArray& array, std::string_view source_name);
// The array's values as int64. Throws InputError when the dtype is a float type.
std::vector<int64_t> npy_to_i64(const NpyArray& array, std::string_view source_name);

}  // namespace dpeval::data
