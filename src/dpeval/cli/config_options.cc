#include "dpeval/cli/config_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <type_traits>

#include "dpeval/cli/options.h"
#include "dpeval/core/enum_text.h"
#include "dpeval/nn/model_spec.h"

namespace dpeval::cli {
namespace {

template <typename T>
CLI::Validator range_check(const parallel::ConfigField& field) {
  const parallel::FieldRange& r = *field.range;
  if constexpr (std::is_integral_v<T>) {
    return integer_in(static_cast<int64_t>(r.lo), static_cast<int64_t>(r.hi));
  } else {
    return number_in(r.lo, r.hi, r.lo_open, r.hi_open);
  }
}

template <typename T>
void add_option(CLI::App& app, const parallel::ConfigField& field, T& target) {
  const std::string flag(field.flag), help(field.help);
  if constexpr (std::is_same_v<T, bool>) {
    app.add_flag(flag, target, help);
  } else if constexpr (std::is_enum_v<T>) {
    app.add_option_function<std::string>(
           flag, [&target](const std::string& text) { target = *find_enum<T>(text); }, help)
        ->check(CLI::IsMember(enum_texts_of<T>()))
        ->default_str(std::string(enum_text(target)));
  } else if constexpr (parallel::IsOptionalSetting<T>::value) {
    using V = typename T::value_type;
    CLI::Option* option = app.add_option_function<V>(
        flag, [&target](const V& value) { target = value; }, help);
    if (field.range) option->check(range_check<V>(field));
  } else {
    CLI::Option* option = app.add_option(flag, target, help);
    if constexpr (std::is_arithmetic_v<T>) {
      if (field.range) option->check(range_check<T>(field));
    }
    if constexpr (std::is_same_v<T, std::string>) {
      if (!target.empty()) option->capture_default_str();
    } else {
      option->capture_default_str();
    }
  }
}

template <typename T>
std::string value_text(const T& value) {
  if constexpr (std::is_enum_v<T>) {
    return std::string(enum_text(value));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else if constexpr (std::is_floating_point_v<T>) {
    return fmt::format("{}", value);  // the shortest text that reads back as the same value
  } else {
    return std::to_string(value);
  }
}

bool given(const CLI::App& app, std::string_view flag) {
  const CLI::Option* option = app.get_option_no_throw(std::string(flag));
  return option != nullptr && option->count() > 0;
}

}  // namespace

void add_config_options(CLI::App& app, parallel::TrainConfig& parsed,
                        std::span<const std::string_view> only) {
  parallel::for_each_config_field([&](const parallel::ConfigField& field, auto member) {
    if (only.empty() || std::find(only.begin(), only.end(), field.flag) != only.end()) {
      add_option(app, field, member(parsed));
    }
  });
}

void apply_config_options(const CLI::App& app, const parallel::TrainConfig& parsed,
                          parallel::TrainConfig& config, bool only_given) {
  parallel::for_each_config_field([&](const parallel::ConfigField& field, auto member) {
    if (!only_given || given(app, field.flag)) member(config) = member(parsed);
  });
  if (!only_given || given(app, "--model")) config.model_spec = nn::load_model_spec(config.model_name);
}

std::vector<std::pair<std::string, std::string>> config_option_words(const parallel::TrainConfig& config) {
  std::vector<std::pair<std::string, std::string>> words;
  parallel::for_each_config_field([&](const parallel::ConfigField& field, auto member) {
    const auto& value = member(config);
    using T = std::decay_t<decltype(value)>;
    const std::string flag(field.flag);
    if constexpr (std::is_same_v<T, bool>) {
      if (value) words.emplace_back(flag, "");
    } else if constexpr (parallel::IsOptionalSetting<T>::value) {
      if (value) words.emplace_back(flag, value_text(*value));
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!value.empty()) words.emplace_back(flag, value);
    } else {
      words.emplace_back(flag, value_text(value));
    }
  });
  return words;
}

}  // namespace dpeval::cli
