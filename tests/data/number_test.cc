// data/number.h: the shortcut for plain decimals (Note [Decimal shortcut])
// reads every text as fast_float does, bit for bit, and parse_number keeps its
// contract.
#include "dpeval/data/number.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace dpeval::data {
namespace {

// What fast_float alone reads at the start of `text`: the end offset (or -1) and the bits.
std::pair<long, uint64_t> fast_float_reads(const std::string& text) {
  double v = 0;
  const auto r = fast_float::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc()) return {-1, 0};
  return {static_cast<long>(r.ptr - text.data()), std::bit_cast<uint64_t>(v)};
}

std::pair<long, uint64_t> prefix_reads(const std::string& text) {
  double v = 0;
  const char* end = parse_number_prefix(text.data(), text.data() + text.size(), &v);
  if (end == nullptr) return {-1, 0};
  return {static_cast<long>(end - text.data()), std::bit_cast<uint64_t>(v)};
}

void expect_same(const std::string& text) {
  EXPECT_EQ(prefix_reads(text), fast_float_reads(text)) << "'" << text << "'";
}

TEST(Number, PrefixReadsEveryShapeAsFastFloat) {
  const std::vector<std::string> shapes = {
      "0", "-0", "0.0", "-0.0", "7", "0.169525", "-3.25", "12.5,x", "1.5\n", "1.5\r\n", "00012.500",
      "9007199254740992", "9007199254740993", "-9007199254740993", "0.9007199254740993", "18446744073709551615",
      "18446744073709551616", "99999999999999999999", "1234567890123456789", "0.1234567890123456789",
      "0.0000000000000000000001", "0.00000000000000000000001", "1.0000000000000000000000001", "5.", "5.,", ".5",
      "-.5", "-", "", "+1", "1e5", "1E5", "1.5e-3", "1.5e", "1.5.2", "1..2", "inf", "-inf", "nan", "Infinity",
      "0x10", "1,5", " 1", "1 ", "--1", "-x", "1e400", "4.9e-324", "2.2250738585072014e-308",
      "123456789012345.6", "1234567890123456.7", "0.30000000000000004", "3.141592653589793",
  };
  for (const std::string& s : shapes) expect_same(s);
}

TEST(Number, PrefixEqualsFastFloatOnRandomDecimals) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    if (rng() % 4 == 0) s += '-';
    const size_t int_digits = 1 + rng() % 12, frac_digits = rng() % 14;
    for (size_t d = 0; d < int_digits; ++d) s += static_cast<char>('0' + rng() % 10);
    if (frac_digits > 0 || rng() % 8 == 0) s += '.';
    for (size_t d = 0; d < frac_digits; ++d) s += static_cast<char>('0' + rng() % 10);
    const char tails[] = {',', '\t', '\n', 'e', '.', 'x', '\0'};
    const char tail = tails[rng() % 7];
    if (tail != '\0') s += tail;
    expect_same(s);
    if (HasFailure()) return;
  }
}

TEST(Number, ParseNumberTakesWholeCellsOnly) {
  double v = 0;
  EXPECT_TRUE(parse_number(std::string_view("0.25"), &v));
  EXPECT_EQ(v, 0.25);
  EXPECT_TRUE(parse_number(std::string_view("+.5"), &v));
  EXPECT_EQ(v, 0.5);
  EXPECT_TRUE(parse_number(std::string_view("1."), &v));
  EXPECT_EQ(v, 1.0);
  EXPECT_TRUE(parse_number(std::string_view("-2.5e3"), &v));
  EXPECT_EQ(v, -2500.0);
  EXPECT_TRUE(parse_number(std::string_view("-0"), &v));
  EXPECT_TRUE(std::signbit(v));
  for (const char* bad : {"", " ", "0.25 ", " 0.25", "0.25x", "0x10", "1,5", "+", "++1", "1.5.2"}) {
    EXPECT_FALSE(parse_number(std::string_view(bad), &v)) << "'" << bad << "'";
  }
  float f = 0;
  EXPECT_TRUE(parse_number(std::string_view("0.1"), &f));
  EXPECT_EQ(f, 0.1f);
}

}  // namespace
}  // namespace dpeval::data
