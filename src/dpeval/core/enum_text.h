// Enums spelled as text: a config value ("sgd", "fp16", "threads") is parsed
// into an `enum class` once, where it enters (a command-line option, a JSON or
// TOML field), and the code that acts on it switches on the enum.
//
// Each enum names its spellings in one table found by argument-dependent
// lookup, next to the enum:
//
//   enum class GradDType { kFloat32, kFloat16, kBFloat16 };
//   inline constexpr EnumText<GradDType> kGradDTypeTexts[] = {
//       {GradDType::kFloat32, "fp32"}, {GradDType::kFloat16, "fp16"}, ...};
//   constexpr const auto& enum_texts(GradDType) { return kGradDTypeTexts; }
//
// enum_text(value) is its spelling; parse_enum<E>(text, field) the value or a
// ConfigError naming the field and every spelling it accepts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval {

template <typename E>
struct EnumText {
  E value;
  std::string_view text;
};

// The spelling of `value` (every value of E is in its table).
template <typename E>
std::string_view enum_text(E value) {
  for (const EnumText<E>& t : enum_texts(E{})) {
    if (t.value == value) return t.text;
  }
  DPEVAL_CHECK(false) << "an enum value without a spelling: " << static_cast<long long>(value);
  return {};
}

// The value spelled `text`, if any (exact, case-sensitive).
template <typename E>
std::optional<E> find_enum(std::string_view text) {
  for (const EnumText<E>& t : enum_texts(E{})) {
    if (t.text == text) return t.value;
  }
  return std::nullopt;
}

// Every spelling of E in table order.
template <typename E>
std::vector<std::string> enum_texts_of() {
  std::vector<std::string> all;
  for (const EnumText<E>& t : enum_texts(E{})) all.emplace_back(t.text);
  return all;
}

// "'sgd', 'adamw' or 'lars'".
template <typename E>
std::string enum_choices() {
  const std::vector<std::string> all = enum_texts_of<E>();
  std::string text;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) text += i + 1 == all.size() ? " or " : ", ";
    text += "'" + all[i] + "'";
  }
  return text;
}

// The value spelled `text`; throws ConfigError("<field> = '<text>': expected
// <choices>") when no value is.
template <typename E>
E parse_enum(std::string_view text, std::string_view field) {
  if (const std::optional<E> value = find_enum<E>(text)) return *value;
  throw ConfigError(std::string(field) + " = '" + std::string(text) + "': expected " + enum_choices<E>());
}

}  // namespace dpeval
