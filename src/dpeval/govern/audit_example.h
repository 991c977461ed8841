// A finding's examples: how many rows had it and the first few, by row number.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dpeval::govern {

inline constexpr size_t kMaxExamples = 10;

struct Example {
  uint64_t row = 0;     // 0-based data row (the header is not a row)
  std::string column;   // may be empty
  std::string detail;   // a short, already-safe text (masked for PII)
};

struct ExampleList {
  uint64_t count = 0;
  std::vector<Example> examples;  // the kMaxExamples with the smallest rows, sorted

  void add(Example e);
  // Adds another list's count and keeps the smallest rows of both.
  void merge(const ExampleList& other);
};

}  // namespace dpeval::govern
