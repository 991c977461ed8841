// TrainConfig's settings as `dpeval train` options, made from its field table
// (Note [Config fields] in parallel/train_config.h): each setting's flag, help,
// range (a usage error outside it, cli/options.h) and, for enums, its
// spellings. Nothing here names a setting.
#pragma once

#include <CLI/CLI.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dpeval/parallel/train_config.h"

namespace dpeval::cli {

// Adds one option per setting to `app`, parsing into `parsed` (whose values are
// the defaults shown in --help); with `only`, just the settings of those flags
// (a command that runs trainings of its own, such as `dpeval scale`).
void add_config_options(CLI::App& app, parallel::TrainConfig& parsed,
                        std::span<const std::string_view> only = {});

// Copies the settings given on the command line from `parsed` onto `config`;
// every setting when `only_given` is false (a fresh run: settings `app` has no
// option for keep `parsed`'s defaults). A given --model also loads its spec.
void apply_config_options(const CLI::App& app, const parallel::TrainConfig& parsed,
                          parallel::TrainConfig& config, bool only_given);

// The options that spell `config`'s settings, in table order, as (flag, value)
// pairs: every setting, defaults included, so that they mean the same under a
// later dpeval's defaults. Empty strings and unset optionals are left out; a
// flag without a value ("--nesterov") has an empty value, and is there only
// when true.
std::vector<std::pair<std::string, std::string>> config_option_words(const parallel::TrainConfig& config);

}  // namespace dpeval::cli
