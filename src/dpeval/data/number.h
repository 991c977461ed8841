// The one number parser for text cells and numbers people type: every table
// reader (data/csv.cc, the prediction readers, the audit scan, the manifest
// profile) and the quality gates (eval/gates.cc) read numbers through it, so a
// cell or a threshold means the same number everywhere. Built on fast_float
// (a public dependency of dpeval::data for this header).
//
// Note [Decimal shortcut]
// Most cells are short plain decimals ("0.169525", "-3", "12.5"). For one of
// at most 19 digits whose digits, read as an integer m, are at most 2^53, with
// f <= 22 digits after the point, m and 10^f are exact doubles and one IEEE
// division m / 10^f is the correctly rounded value of the text: the number
// fast_float returns (it takes the same path, after more checks). Anything
// else (an exponent, more digits, "inf", a leading '.' or '+', a trailing '.')
// goes to fast_float. Tests compare the two on every shape.
#pragma once

#include <fast_float/fast_float.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace dpeval::data {

namespace internal {

inline constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Note [Decimal shortcut]: the end of the plain decimal at p (and *out), or
// nullptr when the text is not one the shortcut takes.
inline const char* parse_plain_decimal(const char* p, const char* e, double* out) {
  const bool negative = p != e && *p == '-';
  const char* q = p + (negative ? 1 : 0);
  const char* const digits_begin = q;
  uint64_t m = 0;
  while (q != e && static_cast<unsigned>(*q - '0') <= 9) m = m * 10 + static_cast<unsigned>(*q++ - '0');
  if (q == digits_begin) return nullptr;  // no integer digit: ".5", "-", "inf"
  const char* int_end = q;
  size_t fraction = 0;
  if (q != e && *q == '.') {
    ++q;
    const char* const fraction_begin = q;
    while (q != e && static_cast<unsigned>(*q - '0') <= 9) m = m * 10 + static_cast<unsigned>(*q++ - '0');
    fraction = static_cast<size_t>(q - fraction_begin);
    if (fraction == 0) return nullptr;  // "5."
  }
  if (q != e && (*q == 'e' || *q == 'E' || *q == '.')) return nullptr;
  if (static_cast<size_t>(int_end - digits_begin) + fraction > 19 || m > (uint64_t{1} << 53) || fraction > 22) {
    return nullptr;  // m may have wrapped, or is not exact
  }
  const double v = static_cast<double>(m) / kExactPowersOfTen[fraction];
  *out = negative ? -v : v;
  return q;
}

}  // namespace internal

// True for the spellings of a missing cell every reader agrees on: empty, NA,
// N/A, NaN, nan, null, NULL, None (exact case, after trimming). The audit's
// scan and `dpeval drift` count these as missing, not as text.
[[gnu::always_inline]] inline bool is_missing_spelling(std::string_view cell) {
  // memcmp with a constant size compiles to one load and compare per spelling.
  switch (cell.size()) {
    case 0: return true;
    case 2: return std::memcmp(cell.data(), "NA", 2) == 0;
    case 3:
      return std::memcmp(cell.data(), "NaN", 3) == 0 || std::memcmp(cell.data(), "nan", 3) == 0 ||
             std::memcmp(cell.data(), "N/A", 3) == 0;
    case 4:
      return std::memcmp(cell.data(), "null", 4) == 0 || std::memcmp(cell.data(), "NULL", 4) == 0 ||
             std::memcmp(cell.data(), "None", 4) == 0;
    default: return false;
  }
}

// The number at the start of [p, e), read as fast_float::from_chars reads it
// (chars_format::general: no leading '+', no blanks): returns the end of what
// it read, or nullptr when no number starts at p.
inline const char* parse_number_prefix(const char* p, const char* e, double* out) {
  if (const char* end = internal::parse_plain_decimal(p, e, out)) return end;
  const auto result = fast_float::from_chars(p, e, *out);
  return result.ec == std::errc() ? result.ptr : nullptr;
}

// The whole of `cell` as a T (float or double), in decimal: "1", "-2.5e3",
// "+.5", "1.", also "nan" and "inf"/"infinity" (any case; callers that want
// finite numbers check). A leading '+' is accepted before a digit or '.'.
// False for an empty cell, blanks, trailing text, hexadecimal ("0x10"), a
// comma decimal separator or anything else; *out is then unspecified.
template <typename T>
bool parse_number(std::string_view cell, T* out) {
  const char* begin = cell.data();
  const char* end = begin + cell.size();
  if (begin == end) return false;
  if (*begin == '+' && end - begin > 1 && ((begin[1] >= '0' && begin[1] <= '9') || begin[1] == '.')) ++begin;
  if constexpr (std::is_same_v<T, double>) {
    return parse_number_prefix(begin, end, out) == end;
  } else {
    const auto result = fast_float::from_chars(begin, end, *out);
    return result.ec == std::errc() && result.ptr == end;
  }
}

// parse_number, and the value is finite: what a threshold or an option takes.
template <typename T>
bool parse_finite_number(std::string_view text, T* out) {
  return parse_number(text, out) && std::isfinite(*out);
}

}  // namespace dpeval::data
