// Sorting many doubles fast: the LSD radix sort the ranking metrics use
// (eval/internal/score_sort.h), for any caller with millions of values to
// order (`dpeval drift`'s KS and Wasserstein).
#pragma once

#include <span>

namespace dpeval::eval {

// Sorts ascending; -0.0 comes out as +0.0 (the two compare equal). Equal to
// std::sort's order. Precondition: no NaN.
void sort_ascending(std::span<double> values);

}  // namespace dpeval::eval
