#include "dpeval/data/text.h"

#include <fmt/format.h>

namespace dpeval::data {

std::string quote_excerpt(std::string_view text, size_t max_chars) {
  std::string out = "'";
  const size_t shown = std::min(text.size(), max_chars);
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < text.size()) out += "...";
  out += "'";
  return out;
}

std::string human_bytes(double bytes) {
  if (bytes < 1000) return fmt::format("{} bytes", static_cast<uint64_t>(bytes));
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB"};
  double value = bytes / 1000;
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  if (value < 10) return fmt::format("{:.1f} {}", value, kUnits[unit]);
  return fmt::format("{:.0f} {}", value, kUnits[unit]);
}

std::string join_dims(const int64_t* dims, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i) out += " x ";
    out += std::to_string(dims[i]);
  }
  return out;
}

}  // namespace dpeval::data
