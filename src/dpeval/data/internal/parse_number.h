// One text cell as a number, the same way in every reader: the CSV dataset
// reader (data/csv.cc) and the prediction readers (eval/internal/prediction_cells.h).
// Needs fast_float on the include path (a PRIVATE dependency of data and eval).
#pragma once

#include <fast_float/fast_float.h>

#include <string_view>
#include <system_error>

namespace dpeval::data::internal {

// The whole of `cell` as a T (float or double): "1", "-2.5e3", "+.5", "nan",
// "inf". A leading '+' is accepted before a digit or '.'. False for an empty
// cell, trailing text or anything fast_float rejects; *out is then unspecified.
template <typename T>
bool parse_number(std::string_view cell, T* out) {
  const char* begin = cell.data();
  const char* end = begin + cell.size();
  if (begin == end) return false;
  if (*begin == '+' && end - begin > 1 && ((begin[1] >= '0' && begin[1] <= '9') || begin[1] == '.')) ++begin;
  const auto result = fast_float::from_chars(begin, end, *out);
  return result.ec == std::errc() && result.ptr == end;
}

}  // namespace dpeval::data::internal
