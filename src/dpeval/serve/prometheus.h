// Prometheus text exposition (format 0.0.4) for `dpeval serve`'s /metrics:
// counters, gauges and histograms written by hand (the format is a few lines
// per family; `promtool check metrics` checks the output in
// tests/serve/serve_test.py). Counters and histogram buckets are atomics, so
// recording from request threads never takes a lock; a scrape reads them
// without stopping anyone (figures of one scrape may be a request apart).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dpeval::serve {

// Fixed buckets (upper bounds, ascending) and their counts.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // "# HELP name help\n# TYPE name histogram\n" then, for each label set
  // given by the caller via append_series, the buckets, +Inf, _sum, _count.
  void append_series(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // per bucket, not cumulative; last: above every bound
  std::atomic<uint64_t> total_{0};
  std::atomic<double> sum_{0};
};

// "# HELP <name> <help>\n# TYPE <name> <type>\n"
void append_family(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// "<name>{<labels>} <value>\n" (no braces when labels is empty); NaN and
// infinities as Prometheus spells them.
void append_sample(std::string& out, std::string_view name, std::string_view labels, double value);
// A label value escaped as the format asks (backslash, quote, newline).
std::string label_value(std::string_view v);

}  // namespace dpeval::serve
