// Float settings as people typed them. A float32 setting such as lr = 0.05f
// widened to double prints as 0.05000000074505806; the shortest decimal that
// reads back as the same float ("0.05") is what the user wrote, and as a double
// it prints as 0.05 and converts back to the identical float.
#pragma once

#include <charconv>
#include <cstdlib>
#include <string>

namespace dpeval {

// The double nearest the shortest decimal text that round-trips `value`
// (std::to_chars); float(as_typed(v)) == v for every finite v, and NaN and
// infinities pass through unchanged.
inline double as_typed(float value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof(text) - 1, value);
  if (ec != std::errc()) return value;
  *end = '\0';
  return std::strtod(text, nullptr);
}

}  // namespace dpeval
