// The Rényi-DP accountant of DP-SGD: the sampled Gaussian mechanism
// (Mironov, Talwar and Zhang 2019, "Rényi Differential Privacy of the Sampled
// Gaussian Mechanism"), composed over steps and converted to (ε, δ).
//
// Note [RDP of the sampled Gaussian mechanism]
// One step samples each example with probability q (Poisson sampling) and
// adds N(0, σ² C²) to the sum of clipped gradients. Its RDP at order α > 1 is
// log(A_α) / (α − 1), with (Mironov et al. 2019, section 3.3):
//   integer α: A_α = Σ_{i=0..α} C(α, i) q^i (1 − q)^(α−i) exp((i² − i) / (2σ²));
//   fractional α: A_α = A_0 + A_1, two series over i = 0, 1, ... of
//     C(α, i) q^i (1−q)^(α−i) exp((i² − i)/(2σ²)) · ½ erfc((i − z₀)/(√2 σ)) and
//     C(α, i) q^(α−i) (1−q)^i exp(((α−i)² − (α−i))/(2σ²)) · ½ erfc((z₀ − (α−i))/(√2 σ)),
//     z₀ = σ² log(1/q − 1) + ½, summed until both terms fall below e^−30.
// Everything is summed in log space (the terms reach e^±700 at σ = 0.5 and
// α = 63); negative binomial coefficients of a fractional α are subtracted.
// q = 1 is the plain Gaussian mechanism, α / (2σ²); q = 0 releases nothing.
// RDP composes by addition, so T steps give T times one step's.
//
// Conversion to (ε, δ), as Opacus 1.4's get_privacy_spent does it (Balle et
// al. 2020, "Hypothesis testing interpretations and Rényi differential
// privacy", Theorem 21):
//   ε(α) = T·RDP(α) − (log δ + log α) / (α − 1) + log((α − 1) / α),
// minimised over the orders; the best order is reported with ε.
// The default orders are Opacus 1.4's: 1.1, 1.2, ..., 10.9 and 12, ..., 63.
#pragma once

#include <cstdint>
#include <vector>

namespace dpeval::privacy {

// Opacus 1.4's DEFAULT_ALPHAS: 1 + x / 10 for x in 1..99, then 12..63.
std::vector<double> default_orders();

// RDP of one step of the sampled Gaussian mechanism at order `alpha` (> 1):
// sampling rate q in [0, 1], noise multiplier sigma > 0. +inf when it is
// unbounded (sigma = 0).
double rdp_step(double q, double sigma, double alpha);

struct Epsilon {
  double epsilon = 0;
  double best_order = 0;
};

// (ε, δ) after `steps` steps; throws ConfigError naming the argument that is
// out of range (q outside [0, 1], sigma <= 0, steps < 0, delta outside (0, 1)).
Epsilon epsilon_after(double q, double sigma, int64_t steps, double delta,
                      const std::vector<double>& orders = default_orders());

// The smallest noise multiplier (to 1e-6 relative, by bisection on ε, which
// falls as σ grows) whose ε after `steps` steps is at most `target_epsilon`.
// Throws ConfigError when no σ up to 1e4 reaches it.
double noise_for_epsilon(double target_epsilon, double q, int64_t steps, double delta,
                         const std::vector<double>& orders = default_orders());

}  // namespace dpeval::privacy
