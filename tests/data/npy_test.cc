// NPY reader and writer: golden bytes as numpy.save writes them, round trips for
// every dtype, and every kind of bad input naming its byte offset.
#include "dpeval/data/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "data_test_util.h"

namespace dpeval::data {
namespace {

using testing::as_bytes;
using testing::throws_input_error;

// What numpy 1.x writes for np.save(f, np.array([1.5, -2.0], dtype='<f4')).
std::string golden_f32() {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  dict.append(128 - 10 - dict.size() - 1, ' ');
  dict += '\n';
  std::string s = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(dict.size()) + '\0' + dict;
  const float values[2] = {1.5f, -2.0f};
  s.append(reinterpret_cast<const char*>(values), sizeof values);
  return s;
}

// A file with the given header dict text (version 1) followed by `data`.
std::string npy_with(const std::string& dict, const std::string& data = "", int major = 1) {
  std::string s = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const size_t n = dict.size() + 1;
  s.push_back(static_cast<char>(n & 0xff));
  s.push_back(static_cast<char>(n >> 8));
  if (major > 1) s.append(2, '\0');
  return s + dict + "\n" + data;
}

TEST(Npy, GoldenBytes) {
  const std::string golden = golden_f32();
  ASSERT_EQ(golden.size(), 136u);
  const NpyArray a = parse_npy(as_bytes(golden), "golden.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(a.dtype, NpyArray::DType::kF32);
  EXPECT_EQ(npy_to_f32(a, "golden.npy"), (std::vector<float>{1.5f, -2.0f}));
  // The writer produces the same bytes numpy does.
  const std::vector<std::byte> encoded = encode_npy(a);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(encoded.data()), encoded.size()), golden);
}

TEST(Npy, Version2And3Headers) {
  const std::string data(8, '\x01');
  for (int major : {2, 3}) {
    const NpyArray a = parse_npy(
        as_bytes(npy_with("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", data, major)),
        "v.npy");
    EXPECT_EQ(npy_to_i64(a, "v.npy"), (std::vector<int64_t>{0x0101010101010101}));
  }
}

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  const auto dir = testing::fresh_dir();
  using D = NpyArray::DType;
  for (D dtype : {D::kF32, D::kF64, D::kU8, D::kI64, D::kI32}) {
    for (const std::vector<int64_t>& shape :
         {std::vector<int64_t>{}, {0}, {3}, {2, 3}, {2, 1, 2}, {4, 0, 5}}) {
      NpyArray a;
      a.dtype = dtype;
      a.shape = shape;
      a.data.resize(static_cast<size_t>(a.numel()) * npy_item_size(dtype));
      for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = std::byte{static_cast<uint8_t>(i % 7)};
      const auto path = dir / "a.npy";
      const std::vector<std::byte> bytes = encode_npy(a);
      write_file_atomic(path, bytes);
      const NpyArray b = read_npy(path);
      EXPECT_EQ(b.shape, a.shape);
      EXPECT_EQ(b.dtype, a.dtype);
      EXPECT_EQ(b.data, a.data);
    }
  }
}

TEST(Npy, EmptyArraysMayClaimHugeDimensions) {
  const std::string dict =
      "{'descr': '|u1', 'fortran_order': False, 'shape': (4000000000, 4000000000, 4000000000, 0), }";
  const NpyArray a = parse_npy(as_bytes(npy_with(dict)), "e.npy");
  EXPECT_EQ(a.numel(), 0);
  EXPECT_TRUE(a.data.empty());
}

TEST(Npy, LenientHeaderSpellings) {
  const std::string four(4, '\0');
  // Key order, double quotes, no trailing comma, extra spaces, '<u1'.
  EXPECT_EQ(parse_npy(as_bytes(npy_with("{\"shape\": ( 2 , 2 ) ,'fortran_order':False,'descr':'<u1'}", four)),
                      "a.npy")
                .shape,
            (std::vector<int64_t>{2, 2}));
}

TEST(Npy, Conversions) {
  NpyArray a;
  a.dtype = NpyArray::DType::kF64;
  a.shape = {3};
  const double values[3] = {1.0, std::numeric_limits<double>::quiet_NaN(), 2.0};
  a.data.resize(sizeof values);
  std::memcpy(a.data.data(), values, sizeof values);
  EXPECT_TRUE(
      throws_input_error([&] { npy_to_f32(a, "x.npy"); }, {"x.npy: element 1:", "not a finite float32"}));
  EXPECT_TRUE(
      throws_input_error([&] { npy_to_i64(a, "x.npy"); }, {"x.npy:", "'<f8'", "expected an integer array"}));
  const double big[3] = {1.0, 1e300, 2.0};
  std::memcpy(a.data.data(), big, sizeof big);
  EXPECT_TRUE(throws_input_error([&] { npy_to_f32(a, "x.npy"); }, {"element 1"}));
}

TEST(Npy, RejectsBadMagicAndVersion) {
  EXPECT_TRUE(throws_input_error([] { parse_npy({}, "e.npy"); }, {"e.npy: file is empty"}));
  EXPECT_TRUE(throws_input_error([] { parse_npy(as_bytes("PK\x03\x04 not numpy"), "z.npy"); },
                                 {"z.npy: byte 0: not an NPY file"}));
  EXPECT_TRUE(throws_input_error([] { parse_npy(as_bytes(std::string("\x93NUMPY", 6)), "t.npy"); },
                                 {"t.npy: byte 6:", "no version"}));
  EXPECT_TRUE(throws_input_error([] { parse_npy(as_bytes(npy_with("{}", "", 4)), "v.npy"); },
                                 {"v.npy: byte 6: unsupported NPY version 4.0"}));
  EXPECT_TRUE(
      throws_input_error([] { parse_npy(as_bytes(std::string("\x93NUMPY\x01\x00\xff\x00{", 11)), "l.npy"); },
                         {"l.npy: byte 8: header length 255 runs past the end"}));
}

TEST(Npy, RejectsBadHeaderDicts) {
  struct Case {
    std::string dict;
    std::vector<std::string_view> pieces;
  };
  const std::vector<Case> cases = {
      {"", {"byte 11: NPY header: expected '{' to open the header dict"}},
      {"{'descr' '<f4'}", {"byte 19: NPY header: expected ':' after key 'descr'"}},
      {"{'descr': '<f4', 'fortran_order': False}", {"no 'shape' key"}},
      {"{'descr': '<f4', 'shape': ()}", {"no 'fortran_order' key"}},
      {"{'fortran_order': False, 'shape': ()}", {"no 'descr' key"}},
      {"{'descr': '<f4', 'descr': '<f4'}", {"key 'descr' appears twice"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (), 'extra': 1}", {"unexpected key 'extra'"}},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}", {"fortran_order is True", "C-order"}},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}", {"expected True or False"}},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': ()}", {"big-endian dtype '>f4'"}},
      {"{'descr': '<f2', 'fortran_order': False, 'shape': ()}", {"dtype '<f2' is not supported"}},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}", {"structured dtypes"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", {"negative dimension"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", {"expected '(' to open the 'shape' tuple"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", {"expected ',' or ')'"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", {"too large"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': ()} junk",
       {"unexpected text after the header dict"}},
      {"{'descr: '<f4'}", {"expected ':' after key"}},
      {"{'descr': '<f4", {"unterminated string"}},
      {"{'de\\x63r': '<f4'}", {"escape sequences"}},
  };
  for (const Case& c : cases) {
    const std::string file = npy_with(c.dict, std::string(4, '\0'));
    std::vector<std::string_view> pieces = {"h.npy: byte "};
    pieces.insert(pieces.end(), c.pieces.begin(), c.pieces.end());
    EXPECT_TRUE(throws_input_error([&] { parse_npy(as_bytes(file), "h.npy"); }, pieces)) << c.dict;
  }
}

TEST(Npy, RejectsDataOfTheWrongSize) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
  EXPECT_TRUE(throws_input_error([&] { parse_npy(as_bytes(npy_with(dict, std::string(20, 'x'))), "s.npy"); },
                                 {"s.npy: byte", "shape (3, 2) of '<f4' needs 24 bytes", "only 20 bytes"}));
  EXPECT_TRUE(throws_input_error([&] { parse_npy(as_bytes(npy_with(dict, std::string(30, 'x'))), "l.npy"); },
                                 {"l.npy: byte", "30 bytes of data follow the header (6 extra)"}));
  const std::string huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 28, 28), }";
  EXPECT_TRUE(throws_input_error([&] { parse_npy(as_bytes(npy_with(huge, "tiny")), "h.npy"); },
                                 {"h.npy: byte", "needs 25 TB", "only 4 bytes"}));
  const std::string overflow =
      "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }";
  EXPECT_TRUE(throws_input_error([&] { parse_npy(as_bytes(npy_with(overflow)), "o.npy"); },
                                 {"o.npy: byte", "more than 18 EB"}));
}

}  // namespace
}  // namespace dpeval::data
