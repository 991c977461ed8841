// A key column of an evaluation: a categorical value per row (region, device,
// sex), dictionary-encoded. What slices (slices.h) and fairness (fairness.h)
// group rows by, and what the predictions reader (predictions.h) produces.
//
// Layout: values holds the distinct values (the dictionary, any order, each
// once); codes holds one index into values per row. A value no row uses is
// allowed (it yields no slice).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dpeval::eval {

struct KeyColumn {
  std::string name;
  std::vector<std::string> values;
  std::vector<uint32_t> codes;  // codes[i] < values.size()
};

}  // namespace dpeval::eval
