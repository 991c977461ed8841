// Small helpers shared by the readers for building one-line error messages and
// for overflow-safe size arithmetic on untrusted headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dpeval::data {

// `text` quoted for an error message: at most max_chars characters (then "..."),
// control characters and non-ASCII bytes escaped as \xNN, so a message built from
// hostile input stays one printable line. "abc" -> 'abc'.
std::string quote_excerpt(std::string_view text, size_t max_chars = 40);

// A byte count for people, decimal units: "512 bytes", "47 MB", "3.1 TB".
std::string human_bytes(double bytes);

// *out = a * b; false (and *out unspecified) when the product overflows uint64.
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

// "4000000000 x 28 x 28"
std::string join_dims(const int64_t* dims, size_t count);

}  // namespace dpeval::data
