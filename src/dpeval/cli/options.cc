#include "dpeval/cli/options.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace dpeval::cli {
namespace {

std::string range_text(double lo, double hi, bool lo_open, bool hi_open) {
  return fmt::format("{}{}, {}{}", lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]");
}

}  // namespace

CLI::Validator integer_in(int64_t lo, int64_t hi) {
  const std::string expected = fmt::format("an integer in [{}, {}]", lo, hi);
  return CLI::Validator(
      [lo, hi, expected](std::string& text) -> std::string {
        int64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        const bool digits_only = !text.empty() && (text[0] != '+') && (text[0] != '-' || lo < 0);
        if (!digits_only || ec != std::errc() || ptr != end || value < lo || value > hi) {
          return "'" + text + "': expected " + expected;
        }
        return {};
      },
      fmt::format("INT in [{}, {}]", lo, hi));
}

CLI::Validator number_in(double lo, double hi, bool lo_open, bool hi_open) {
  const std::string range = range_text(lo, hi, lo_open, hi_open);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        // chars_format::general: decimal with an optional exponent; no hex.
        const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
        const bool ok = ec == std::errc() && ptr == end && std::isfinite(value) &&
                        text.find_first_of("iInN") == std::string::npos && (lo_open ? value > lo : value >= lo) &&
                        (hi_open ? value < hi : value <= hi);
        if (!ok) return "'" + text + "': expected a decimal number in " + range;
        return {};
      },
      "NUMBER in " + range);
}

CLI::Option* add_seed_option(CLI::App& app, uint64_t& seed, const std::string& description) {
  return app.add_option("--seed", seed, description)
      ->check(integer_in(0, static_cast<int64_t>(kMaxSeed)))
      ->capture_default_str();
}

CLI::Option* add_threads_option(CLI::App& app, size_t& threads) {
  return app.add_option("--threads", threads, fmt::format("Threads, 0 to {} (0: all cores)", kMaxThreads))
      ->check(integer_in(0, kMaxThreads))
      ->capture_default_str();
}

}  // namespace dpeval::cli
