// Finite-difference gradient checker: the oracle every layer and loss is
// tested against (tests/nn/grad_check_test.cc, tests/nn/model_test.cc).
//
// check_gradient perturbs chosen elements of a float buffer, re-evaluates a
// scalar loss (returned as double) with central differences, and compares the
// result with an analytic gradient. Header-only: it needs nothing but the STL.
//
// Note [Finite differences on float code]
// dpeval's layers run in float32 through the same kernels a training step
// uses, and that float code is what must be right; a double-templated twin of
// every layer would test a different code path. So the checker differentiates
// the real float forward, and does everything around it in double:
//  * the loss is accumulated in double from the float outputs (for layer tests
//    a fixed random projection L = sum_i r_i y_i, so dL/dy = r exactly);
//  * the step is taken in float and the quotient uses the step actually
//    representable: (L(v+) - L(v-)) / (double(v+) - double(v-));
//  * eps is large (1e-2 for O(1) values): layers that are linear in the
//    perturbed element (linear, conv, pools, relu away from 0, dropout with a
//    fixed mask) have no truncation error at all, and smooth ones (GELU,
//    LayerNorm, softmax) have O(eps^2) ~ 1e-4 relative; float rounding in the
//    forward contributes about 1e-7 * |L| / eps ~ 1e-5 * |L|.
// Hence the default acceptance |analytic - numeric| <= atol + rtol * max(|a|, |n|)
// with rtol = 1e-2 and atol = 1e-3 (scaled by the caller for tiny gradients).
// A wrong gradient (a missed term, a transposed index, a dropped 1/B) is off by
// far more; grad_check_test.cc checks that the checker rejects a 5% error.
// Kinks (ReLU at 0, max-pool ties) are avoided by choosing inputs at least
// 2 * eps away from them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

namespace dpeval::testing {

struct GradCheckOptions {
  double eps = 1e-2;   // perturbation (absolute)
  double rtol = 1e-2;  // see Note [Finite differences on float code]
  double atol = 1e-3;
  size_t max_elements = 64;  // elements checked: all when fewer, else first, last and a random sample
  uint64_t seed = 1;         // picks the sample
};

struct GradCheckResult {
  bool ok = true;
  size_t checked = 0;
  double max_abs_error = 0.0;
  std::string report;  // the failing elements (at most 10), "" when ok
};

// Which elements of a buffer of n a check visits (deterministic in seed).
inline std::vector<size_t> grad_check_indices(size_t n, const GradCheckOptions& options) {
  std::vector<size_t> idx;
  if (n <= options.max_elements) {
    for (size_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  idx.push_back(0);
  idx.push_back(n - 1);
  std::mt19937_64 gen(options.seed);
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  while (idx.size() < options.max_elements) idx.push_back(pick(gen));
  return idx;
}

// values: the buffer the loss depends on (restored before returning);
// analytic: d loss / d values as computed by the code under test (same size);
// loss: evaluates the scalar loss from the current contents of values.
inline GradCheckResult check_gradient(std::span<float> values, std::span<const float> analytic,
                                      const std::function<double()>& loss,
                                      const GradCheckOptions& options = {}) {
  GradCheckResult result;
  std::ostringstream report;
  int failures = 0;
  for (size_t i : grad_check_indices(values.size(), options)) {
    const float original = values[i];
    const float plus = static_cast<float>(original + options.eps);
    const float minus = static_cast<float>(original - options.eps);
    values[i] = plus;
    const double loss_plus = loss();
    values[i] = minus;
    const double loss_minus = loss();
    values[i] = original;
    const double numeric =
        (loss_plus - loss_minus) / (static_cast<double>(plus) - static_cast<double>(minus));
    const double a = analytic[i];
    const double error = std::abs(a - numeric);
    const double allowed = options.atol + options.rtol * std::max(std::abs(a), std::abs(numeric));
    result.max_abs_error = std::max(result.max_abs_error, error);
    ++result.checked;
    if (!(error <= allowed)) {
      result.ok = false;
      if (failures++ < 10) {
        report << "  [" << i << "] analytic " << a << " numeric " << numeric << " |diff| " << error << " > "
               << allowed << "\n";
      }
    }
  }
  result.report = report.str();
  return result;
}

}  // namespace dpeval::testing
