// Bounded command-line options. Every numeric option of every command has a
// range; a value outside it, or one that is not a plain decimal number ("0x10",
// "1e999", "nan", "-1" for a count), is a usage error (exit 2) naming the
// option and the range, before any work is done.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"

namespace dpeval::cli {

// Step counts (--max-steps, --warmup-steps, --step-size): at most 10^12.
inline constexpr int64_t kMaxSteps = 1'000'000'000'000;
// --comm-timeout-s: at most a week, as the trainer accepts.
inline constexpr double kMaxCommTimeoutS = 7 * 86400.0;
// The most threads --threads may ask for.
inline constexpr int64_t kMaxThreads = 256;

// A decimal integer (digits, a leading '-' only when lo < 0) in [lo, hi].
CLI::Validator integer_in(int64_t lo, int64_t hi);
// A plain decimal number (digits, '.', an exponent; no hex, inf or nan) in
// [lo, hi]; lo_open / hi_open exclude the bound itself.
CLI::Validator number_in(double lo, double hi, bool lo_open = false, bool hi_open = false);

// --seed N with N in [0, kMaxSeed].
CLI::Option* add_seed_option(CLI::App& app, uint64_t& seed, const std::string& description);
// --threads N with N in [0, kMaxThreads] (0: all cores).
CLI::Option* add_threads_option(CLI::App& app, size_t& threads);

// config.validate() for a config made from command-line options: what it
// rejects (a combination of options out of range, such as --warmup-epochs
// above --epochs) is a usage error (exit 2), not bad input.
template <typename Config>
void validate_options(const Config& config) {
  try {
    config.validate();
  } catch (const ConfigError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace dpeval::cli
