// See prometheus.h.
#include "dpeval/serve/prometheus.h"

#include <fmt/format.h>

#include <cmath>

namespace dpeval::serve {

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void Histogram::observe(double value) {
  size_t b = 0;
  while (b < bounds_.size() && value > bounds_[b]) ++b;
  counts_[b].fetch_add(1, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

void Histogram::append_series(std::string& out, std::string_view name, std::string_view labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= bounds_.size(); ++b) {
    cumulative += counts_[b].load(std::memory_order_relaxed);
    const std::string le = b < bounds_.size() ? fmt::format("{}", bounds_[b]) : "+Inf";
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le,
                   cumulative);
  }
  const std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
  fmt::format_to(std::back_inserter(out), "{}_sum{} {}\n", name, braces,
                 sum_.load(std::memory_order_relaxed));
  fmt::format_to(std::back_inserter(out), "{}_count{} {}\n", name, braces, cumulative);
}

void append_family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  std::string v;
  if (std::isnan(value)) {
    v = "NaN";
  } else if (std::isinf(value)) {
    v = value > 0 ? "+Inf" : "-Inf";
  } else {
    v = fmt::format("{}", value);
  }
  if (labels.empty()) {
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, v);
  } else {
    fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, v);
  }
}

std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace dpeval::serve
