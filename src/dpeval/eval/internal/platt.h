// Platt scaling's two-parameter fit (see Note [Platt fit] in
// dpeval/eval/recalibrate.h): q = sigmoid(a x + b) by maximum likelihood on
// Platt's smoothed targets. x finite, positive[i] in {0, 1}, validated by the
// caller.
#pragma once

#include <cstdint>
#include <span>

#include "dpeval/eval/recalibrate.h"

namespace dpeval::eval::internal {

struct PlattFit {
  PlattSigmoid sigmoid;
  double loss = 0;  // L(a, b) at the fit: a sum over rows, as sklearn's objective
  int iterations = 0;
};

// sum_i [t_i softplus(-eta_i) + (1 - t_i) softplus(eta_i)], eta = a x + b, with
// Platt's targets t from the class counts (sklearn's objective, a = -AB[0], b = -AB[1]).
double platt_loss(std::span<const double> x, std::span<const uint8_t> positive, const PlattSigmoid& s);

// Precondition (DPEVAL_CHECKed): x.size() == positive.size() >= 1.
PlattFit fit_platt(std::span<const double> x, std::span<const uint8_t> positive);

// 1 / (1 + exp(-eta)) without overflow.
double sigmoid(double eta);

}  // namespace dpeval::eval::internal
