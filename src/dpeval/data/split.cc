#include "dpeval/data/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"

namespace dpeval::data {

void check_holdout_fraction(double holdout_fraction) {
  if (!(holdout_fraction >= 0.0 && holdout_fraction < 1.0)) {
    throw ConfigError("test fraction " + std::to_string(holdout_fraction) +
                      " is out of range; expected 0 <= f < 1");
  }
}

TrainTest split_holdout(const Dataset& all, double holdout_fraction, uint64_t seed) {
  check_holdout_fraction(holdout_fraction);
  const size_t n = all.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  Rng rng = Rng::for_stream(seed, kSplitRngPurpose, 0, 0);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.uniform_below(i)]);
  const auto test_count =
      std::min(n, static_cast<size_t>(std::llround(holdout_fraction * static_cast<double>(n))));
  std::vector<uint32_t> test(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(test_count));
  std::vector<uint32_t> train(order.begin() + static_cast<std::ptrdiff_t>(test_count), order.end());
  std::sort(test.begin(), test.end());
  std::sort(train.begin(), train.end());
  return TrainTest{all.subset(train), all.subset(test)};
}

}  // namespace dpeval::data
