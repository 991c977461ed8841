// The one number parser for text cells and numbers people type: every table
// reader (data/csv.cc, the prediction readers, the audit scan, the manifest
// profile) and the quality gates (eval/gates.cc) read numbers through it, so a
// cell or a threshold means the same number everywhere. Built on fast_float
// (a public dependency of dpeval::data for this header).
#pragma once

#include <fast_float/fast_float.h>

#include <cmath>
#include <string_view>
#include <system_error>

namespace dpeval::data {

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
  const auto result = fast_float::from_chars(begin, end, *out);
  return result.ec == std::errc() && result.ptr == end;
}

// parse_number, and the value is finite: what a threshold or an option takes.
template <typename T>
bool parse_finite_number(std::string_view text, T* out) {
  return parse_number(text, out) && std::isfinite(*out);
}

}  // namespace dpeval::data
