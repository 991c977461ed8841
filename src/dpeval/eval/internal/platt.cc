// Platt scaling's fit: Newton's method with a backtracking line search on the
// two parameters (see Note [Platt fit] in dpeval/eval/recalibrate.h).
#include "dpeval/eval/internal/platt.h"

#include <algorithm>
#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/eval/internal/sum.h"

namespace dpeval::eval::internal {
namespace {

constexpr int kIterationsMax = 100;
constexpr double kRidge = 1e-12;  // on the Hessian's diagonal (Lin, Lin and Weng 2007)
constexpr double kArmijo = 1e-4;
constexpr double kStepMin = 1e-10;
// Newton decrement g' H^-1 g (twice the predicted gain) relative to max(1, L):
// below kFullStep the step is taken without a line search (the quadratic
// region, where the loss can no longer resolve the gain); below kDone the
// parameters are within ~1e-10 of the optimum and the search ends.
constexpr double kFullStep = 1e-8;
constexpr double kDone = 1e-20;

struct Targets {
  double positive;
  double negative;
};

// Platt's smoothing: (N+ + 1) / (N+ + 2) and 1 / (N- + 2).
Targets targets_of(std::span<const uint8_t> positive, double* n_positive, double* n_negative) {
  double count = 0;
  for (uint8_t p : positive) count += p;
  *n_positive = count;
  *n_negative = static_cast<double>(positive.size()) - count;
  return {(*n_positive + 1.0) / (*n_positive + 2.0), 1.0 / (*n_negative + 2.0)};
}

double softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }

// sum_i softplus(eta_i) - t_i eta_i, which is t softplus(-eta) + (1 - t) softplus(eta).
double loss_of(std::span<const double> x, std::span<const uint8_t> positive, const Targets& t,
               const PlattSigmoid& s) {
  NeumaierSum sum;
  for (size_t i = 0; i < x.size(); ++i) {
    const double eta = s.a * x[i] + s.b;
    sum.add(softplus(eta) - (positive[i] ? t.positive : t.negative) * eta);
  }
  return sum.value();
}

}  // namespace

double sigmoid(double eta) {
  if (eta >= 0) return 1.0 / (1.0 + std::exp(-eta));
  const double e = std::exp(eta);
  return e / (1.0 + e);
}

double platt_loss(std::span<const double> x, std::span<const uint8_t> positive, const PlattSigmoid& s) {
  double n_positive, n_negative;
  return loss_of(x, positive, targets_of(positive, &n_positive, &n_negative), s);
}

PlattFit fit_platt(std::span<const double> x, std::span<const uint8_t> positive) {
  DPEVAL_CHECK(!x.empty() && x.size() == positive.size());
  double n_positive, n_negative;
  const Targets t = targets_of(positive, &n_positive, &n_negative);

  PlattFit fit;
  fit.sigmoid = {0.0, std::log((n_positive + 1.0) / (n_negative + 1.0))};  // sklearn's start
  fit.loss = loss_of(x, positive, t, fit.sigmoid);
  while (fit.iterations < kIterationsMax) {
    NeumaierSum ga, gb, haa, hab, hbb;
    for (size_t i = 0; i < x.size(); ++i) {
      const double eta = fit.sigmoid.a * x[i] + fit.sigmoid.b;
      const double p = sigmoid(eta);
      const double r = p - (positive[i] ? t.positive : t.negative);
      const double w = p * sigmoid(-eta);
      ga.add(r * x[i]);
      gb.add(r);
      haa.add(w * x[i] * x[i]);
      hab.add(w * x[i]);
      hbb.add(w);
    }
    const double g_a = ga.value(), g_b = gb.value();
    const double h_aa = haa.value() + kRidge, h_ab = hab.value(), h_bb = hbb.value() + kRidge;
    const double det = h_aa * h_bb - h_ab * h_ab;
    if (!(det > 0)) break;
    const double d_a = -(h_bb * g_a - h_ab * g_b) / det;
    const double d_b = -(h_aa * g_b - h_ab * g_a) / det;
    const double decrement = -(g_a * d_a + g_b * d_b);
    const double scale = std::max(1.0, std::abs(fit.loss));
    if (!(decrement > kDone * scale)) break;

    PlattSigmoid next{fit.sigmoid.a + d_a, fit.sigmoid.b + d_b};
    double next_loss = loss_of(x, positive, t, next);
    if (decrement >= kFullStep * scale) {
      double step = 1.0;
      while (!(next_loss <= fit.loss - kArmijo * step * decrement)) {
        step /= 2;
        if (step < kStepMin) break;
        next = {fit.sigmoid.a + step * d_a, fit.sigmoid.b + step * d_b};
        next_loss = loss_of(x, positive, t, next);
      }
      if (step < kStepMin) break;  // no decrease left to find
    }
    fit.sigmoid = next;
    fit.loss = next_loss;
    ++fit.iterations;
  }
  return fit;
}

}  // namespace dpeval::eval::internal
