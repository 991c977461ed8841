// Escaping and number formatting for the report writers (see text.h).
#include "dpeval/report/internal/text.h"

#include <cmath>
#include <cstdio>

namespace dpeval::report::internal {
namespace {

std::string printf_double(const char* format, int precision, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, precision, value);
  return buffer;
}

// "-0.0000" and "-0" say nothing a plain zero does not.
std::string drop_negative_zero(std::string text) {
  if (text.starts_with('-') && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

// Appends the entity for '&', '<' or '>' and returns true; leaves `out` alone
// and returns false for any other character. Both escapers start here.
bool append_markup_entity(std::string& out, char c) {
  switch (c) {
    case '&':
      out += "&amp;";
      return true;
    case '<':
      out += "&lt;";
      return true;
    case '>':
      out += "&gt;";
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (append_markup_entity(out, c)) continue;
    switch (c) {
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_markdown(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (append_markup_entity(out, c)) continue;
    switch (c) {
      case '\n':
      case '\r':
        out += ' ';
        break;
      case '\\':
      case '|':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '#':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_number(double value) {
  if (!std::isfinite(value)) return "—";
  double magnitude = std::fabs(value);
  if (value != 0 && (magnitude < 1e-4 || magnitude >= 1e9)) return printf_double("%.*e", 3, value);
  if (magnitude <= 1) return drop_negative_zero(printf_double("%.*f", 4, value));
  int digits_before_point = static_cast<int>(std::floor(std::log10(magnitude))) + 1;
  int decimals = digits_before_point >= 4 ? 0 : 4 - digits_before_point;
  return printf_double("%.*f", decimals, value);
}

std::string format_count(int64_t count) {
  uint64_t magnitude = count < 0 ? uint64_t{0} - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return count < 0 ? "-" + out : out;
}

std::string format_count_value(double count) {
  if (count == std::floor(count) && std::fabs(count) < 9e15) return format_count(static_cast<int64_t>(count));
  return format_number(count);
}

std::string format_p_value(double p) {
  if (!std::isfinite(p)) return "—";
  if (p < 1e-4) return "< 0.0001";
  if (p >= 0.1) return printf_double("%.*f", 2, p);
  int decimals = 1 - static_cast<int>(std::floor(std::log10(p)));  // 2 significant digits
  return printf_double("%.*f", decimals, p);
}

std::string format_coord(double value) {
  std::string text = printf_double("%.*f", 2, value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return drop_negative_zero(text);
}

std::string format_tick(double value, double step) {
  // The fewest decimals that write the step exactly: 0.2 -> 1, 0.25 -> 2, 15 -> 0.
  int decimals = 0;
  for (double scaled = step; decimals < 6 && std::fabs(scaled - std::round(scaled)) > 1e-6; scaled *= 10)
    ++decimals;
  return drop_negative_zero(printf_double("%.*f", decimals, value));
}

}  // namespace dpeval::report::internal
