// NPY reader and writer. The header dict is parsed by a small recursive-descent
// parser that accepts exactly what numpy.lib.format writes (and a little slack in
// whitespace and trailing commas); every failure names the file byte offset.
#include "dpeval/data/npy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/data/text.h"

namespace dpeval::data {
namespace {

using DType = NpyArray::DType;

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct Header {
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
};

// Recursive-descent parser over the header text; `base` is its offset in the file.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, size_t base, std::string_view source)
      : text_(text), base_(base), source_(source) {}

  Header parse() {
    Header h;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{', "to open the header dict");
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const size_t key_pos = pos_;
      const std::string key = parse_string("a key");
      expect(':', "after key '" + key + "'");
      if (key == "descr") {
        set_once(seen_descr, key, key_pos);
        h.dtype = parse_descr();
      } else if (key == "fortran_order") {
        set_once(seen_order, key, key_pos);
        const size_t value_pos = pos_;
        if (parse_bool()) {
          fail(value_pos,
               "fortran_order is True; only C-order arrays are supported (save with "
               "numpy.ascontiguousarray)");
        }
      } else if (key == "shape") {
        set_once(seen_shape, key, key_pos);
        h.shape = parse_shape();
      } else {
        fail(key_pos, "unexpected key " + quote_excerpt(key) +
                          "; expected only 'descr', 'fortran_order' and 'shape'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail(pos_, "expected ',' or '}' after the value of '" + key + "', got " + got());
    }
    ++pos_;  // '}'
    skip_space();
    if (pos_ != text_.size()) fail(pos_, "unexpected text after the header dict: " + got());
    if (!seen_descr) fail(pos_, "the header dict has no 'descr' key");
    if (!seen_order) fail(pos_, "the header dict has no 'fortran_order' key");
    if (!seen_shape) fail(pos_, "the header dict has no 'shape' key");
    return h;
  }

 private:
  [[noreturn]] void fail(size_t pos, const std::string& what) const {
    throw InputError(fmt::format("{}: byte {}: NPY header: {}", source_, base_ + pos, what));
  }
  std::string got() const {
    return pos_ < text_.size() ? quote_excerpt(text_.substr(pos_), 12) : "the end of the header";
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }
  void expect(char c, const std::string& context) {
    skip_space();
    if (peek() != c) fail(pos_, fmt::format("expected '{}' {}, got {}", c, context, got()));
    ++pos_;
  }
  void set_once(bool& seen, const std::string& key, size_t pos) const {
    if (seen) fail(pos, "key '" + key + "' appears twice");
    seen = true;
  }

  std::string parse_string(const std::string& what) {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(pos_, "expected " + what + " (a quoted string), got " + got());
    const size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') fail(pos_, "escape sequences in strings are not supported");
      ++pos_;
    }
    if (pos_ == text_.size()) fail(start - 1, "unterminated string");
    return std::string(text_.substr(start, pos_++ - start));
  }

  bool parse_bool() {
    skip_space();
    if (text_.substr(pos_).starts_with("True")) {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_).starts_with("False")) {
      pos_ += 5;
      return false;
    }
    fail(pos_, "expected True or False for 'fortran_order', got " + got());
  }

  DType parse_descr() {
    skip_space();
    const size_t pos = pos_;
    if (peek() == '[') {
      fail(pos, "structured dtypes (a list 'descr') are not supported; expected a plain dtype");
    }
    const std::string d = parse_string("a dtype string for 'descr'");
    if (d == "<f4") return DType::kF32;
    if (d == "<f8") return DType::kF64;
    if (d == "|u1" || d == "<u1" || d == ">u1") return DType::kU8;
    if (d == "<i8") return DType::kI64;
    if (d == "<i4") return DType::kI32;
    if (d.size() == 3 && d[0] == '>') {
      fail(pos, "big-endian dtype " + quote_excerpt(d) +
                    " is not supported; expected little-endian (save with "
                    "arr.astype(arr.dtype.newbyteorder('<')))");
    }
    fail(pos, "dtype " + quote_excerpt(d) +
                  " is not supported; expected '<f4', '<f8', '|u1', '<i8' or '<i4'");
  }

  std::vector<int64_t> parse_shape() {
    expect('(', "to open the 'shape' tuple");
    std::vector<int64_t> shape;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      shape.push_back(parse_dim());
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail(pos_, "expected ',' or ')' in 'shape', got " + got());
    }
    ++pos_;
    return shape;
  }

  int64_t parse_dim() {
    const size_t start = pos_;
    if (peek() == '-') fail(start, "negative dimension in 'shape'");
    int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (value > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        fail(start, "dimension in 'shape' is too large");
      }
      value = value * 10 + (text_[pos_++] - '0');
    }
    if (pos_ == start) fail(start, "expected a non-negative integer in 'shape', got " + got());
    if (peek() == 'L') ++pos_;  // Python 2 long literal
    return value;
  }

  std::string_view text_;
  size_t base_;
  std::string_view source_;
  size_t pos_ = 0;
};

uint32_t load_le(const std::byte* p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

template <typename T>
T load_item(const std::byte* data, size_t i) {
  T v;
  std::memcpy(&v, data + i * sizeof(T), sizeof(T));
  return v;
}

}  // namespace

int64_t NpyArray::numel() const {
  // A zero dimension anywhere makes the product 0 even if the others overflow together.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  uint64_t n = 1;
  for (int64_t d : shape) {
    DPEVAL_CHECK(d > 0 && checked_mul(n, static_cast<uint64_t>(d), &n) &&
                 n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        << "NPY shape " << shape_text(shape) << " overflows int64";
  }
  return static_cast<int64_t>(n);
}

size_t npy_item_size(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return 4;
    case DType::kF64:
      return 8;
    case DType::kU8:
      return 1;
    case DType::kI64:
      return 8;
    case DType::kI32:
      return 4;
  }
  return 0;
}

std::string_view npy_descr(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "<f4";
    case DType::kF64:
      return "<f8";
    case DType::kU8:
      return "|u1";
    case DType::kI64:
      return "<i8";
    case DType::kI32:
      return "<i4";
  }
  return "?";
}

NpyArray parse_npy(std::span<const std::byte> bytes, std::string_view source_name) {
  auto fail = [&](uint64_t offset, const std::string& what) -> InputError {
    return InputError(fmt::format("{}: byte {}: {}", source_name, offset, what));
  };
  if (bytes.empty()) throw InputError(std::string(source_name) + ": file is empty; expected an NPY file");
  if (bytes.size() < kMagicSize || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    throw fail(0, "not an NPY file: expected the magic \\x93NUMPY, got " +
                      quote_excerpt(std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                                               std::min<size_t>(bytes.size(), kMagicSize))));
  }
  if (bytes.size() < kMagicSize + 2) throw fail(bytes.size(), "truncated NPY file: no version bytes");
  const auto major = static_cast<unsigned>(bytes[6]), minor = static_cast<unsigned>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    throw fail(6, fmt::format("unsupported NPY version {}.{}; expected 1.0, 2.0 or 3.0", major, minor));
  }
  const size_t length_size = major == 1 ? 2 : 4;
  const size_t header_start = kMagicSize + 2 + length_size;
  if (bytes.size() < header_start) throw fail(bytes.size(), "truncated NPY file: no header length");
  const size_t header_length = load_le(bytes.data() + 8, length_size);
  if (header_length > bytes.size() - header_start) {
    throw fail(8, fmt::format("header length {} runs past the end of the file ({} bytes)", header_length,
                              bytes.size()));
  }
  const std::string_view header_text(reinterpret_cast<const char*>(bytes.data() + header_start),
                                     header_length);
  const Header header = HeaderParser(header_text, header_start, source_name).parse();

  const size_t data_start = header_start + header_length;
  const uint64_t available = bytes.size() - data_start;
  const size_t item = npy_item_size(header.dtype);
  uint64_t need = item;
  bool overflow = false;
  if (std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end()) {
    need = 0;  // empty, however large the other dimensions
  } else {
    for (int64_t d : header.shape) {
      overflow = overflow || !checked_mul(need, static_cast<uint64_t>(d), &need);
    }
  }
  if (overflow || need != available) {
    const std::string claim = fmt::format(
        "shape {} of '{}' needs {}", shape_text(header.shape), npy_descr(header.dtype),
        overflow ? std::string("more than 18 EB") : human_bytes(static_cast<double>(need)));
    if (!overflow && need < available) {
      throw fail(data_start + need, fmt::format("{} but {} bytes of data follow the header ({} extra)", claim,
                                                available, available - need));
    }
    throw fail(data_start,
               fmt::format("{} but only {} of data follow the header; the file is truncated or its "
                           "header is wrong",
                           claim, human_bytes(static_cast<double>(available))));
  }
  NpyArray out;
  out.shape = header.shape;
  out.dtype = header.dtype;
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_start), bytes.end());
  return out;
}

NpyArray read_npy(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  return parse_npy(std::as_bytes(std::span(bytes.data(), bytes.size())), path.string());
}

std::vector<std::byte> encode_npy(const NpyArray& array) {
  DPEVAL_CHECK(array.data.size() == static_cast<size_t>(array.numel()) * npy_item_size(array.dtype))
      << array.data.size() << " bytes for shape " << shape_text(array.shape);
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 npy_descr(array.dtype), shape_text(array.shape));
  const bool v2 = 10 + dict.size() + 1 + 63 > 65535;  // the padded length must fit in v1's uint16
  const size_t preamble = v2 ? 12 : 10;
  while ((preamble + dict.size() + 1) % 64 != 0) dict.push_back(' ');
  dict.push_back('\n');
  std::vector<std::byte> out(preamble + dict.size() + array.data.size());
  std::memcpy(out.data(), kMagic, kMagicSize);
  out[6] = std::byte{static_cast<uint8_t>(v2 ? 2 : 1)};
  out[7] = std::byte{0};
  for (size_t i = 0; i < preamble - 8; ++i) {
    out[8 + i] = std::byte{static_cast<uint8_t>(dict.size() >> (8 * i))};
  }
  std::memcpy(out.data() + preamble, dict.data(), dict.size());
  if (!array.data.empty()) {
    std::memcpy(out.data() + preamble + dict.size(), array.data.data(), array.data.size());
  }
  return out;
}

std::vector<float> npy_to_f32(const NpyArray& array, std::string_view source_name) {
  const size_t n = array.data.size() / npy_item_size(array.dtype);
  std::vector<float> out(n);
  const std::byte* p = array.data.data();
  auto bad = [&](size_t i, double v) {
    return InputError(
        fmt::format("{}: element {}: value {} is not a finite float32; NaN and infinity are not "
                    "allowed in features",
                    source_name, i, v));
  };
  switch (array.dtype) {
    case DType::kF32:
      for (size_t i = 0; i < n; ++i) {
        out[i] = load_item<float>(p, i);
        if (!std::isfinite(out[i])) throw bad(i, out[i]);
      }
      break;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        const double v = load_item<double>(p, i);
        if (!(std::fabs(v) <= std::numeric_limits<float>::max())) throw bad(i, v);
        out[i] = static_cast<float>(v);
      }
      break;
    case DType::kU8:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_item<uint8_t>(p, i));
      break;
    case DType::kI64:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_item<int64_t>(p, i));
      break;
    case DType::kI32:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_item<int32_t>(p, i));
      break;
  }
  return out;
}

std::vector<int64_t> npy_to_i64(const NpyArray& array, std::string_view source_name) {
  const size_t n = array.data.size() / npy_item_size(array.dtype);
  std::vector<int64_t> out(n);
  const std::byte* p = array.data.data();
  switch (array.dtype) {
    case DType::kF32:
    case DType::kF64:
      throw InputError(fmt::format("{}: dtype '{}': expected an integer array ('<i8', '<i4' or '|u1')",
                                   source_name, npy_descr(array.dtype)));
    case DType::kU8:
      for (size_t i = 0; i < n; ++i) out[i] = load_item<uint8_t>(p, i);
      break;
    case DType::kI64:
      for (size_t i = 0; i < n; ++i) out[i] = load_item<int64_t>(p, i);
      break;
    case DType::kI32:
      for (size_t i = 0; i < n; ++i) out[i] = load_item<int32_t>(p, i);
      break;
  }
  return out;
}

}  // namespace dpeval::data
