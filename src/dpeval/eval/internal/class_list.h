// Formats a list of class indices for a warning: "[0, 3, 7]", at most ten
// shown, then "... (42 classes)".
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <span>
#include <string>

namespace dpeval::eval::internal {

inline std::string format_class_list(std::span<const size_t> classes) {
  constexpr size_t kShown = 10;
  std::string out = "[";
  for (size_t i = 0; i < classes.size() && i < kShown; ++i) {
    out += (i ? ", " : "") + std::to_string(classes[i]);
  }
  if (classes.size() > kShown) out += fmt::format(", ... ({} classes)", classes.size());
  return out + "]";
}

}  // namespace dpeval::eval::internal
