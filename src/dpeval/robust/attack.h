// Adversarial robustness: the accuracy a model keeps when each input may be
// moved by at most ε in L∞ (every pixel by at most ε, inside [0, 1]) to make
// it wrong. `dpeval robust` reports it per ε and per class.
//
// Note [FGSM and PGD]
// FGSM (Goodfellow et al. 2015): one step, x' = clip(x + ε sign(∇ₓ L(x, y)),
// 0, 1), L the mean cross-entropy of the batch (only the sign matters; the
// gradient of a pixel that is exactly 0 leaves it where it is), as
// PyTorch's own FGSM is written, so the two agree on the same weights.
// PGD (Madry et al. 2018): a random start x₀ = clip(x + U(−ε, ε), 0, 1), then
// `steps` steps x ← clip(Π_ε(x + α sign(∇ₓ L)), 0, 1), Π_ε the projection
// back into the ε-ball around x, α = 2.5 ε / steps unless given.
// Robust accuracy is the accuracy on the adversarial inputs, as PyTorch
// scripts compute it (a row the model gets wrong unattacked counts if its
// adversarial input happens to be right: rare, and the same on both sides);
// with several restarts a row counts only if no restart fools the model. Gradients come from
// Model::input_gradient on a forward that is not batch-invariant (pooling keeps its argmax there); batches
// are fixed row ranges, whatever the thread, and PGD's random start is keyed by (seed, ε, restart, row), so
// the result is the same for any --threads. Every adversarial input is checked before it is scored: inside
// [0, 1] and within ε of its original (to float rounding); a violation is an internal error, never a number.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dpeval/data/data.h"
#include "dpeval/nn/nn.h"

namespace dpeval::robust {

enum class Attack { kFgsm, kPgd };

struct AttackOptions {
  Attack attack = Attack::kFgsm;
  std::vector<double> eps = {0.05, 0.1, 0.2};  // each in (0, 1]
  int steps = 10;                              // PGD steps, >= 1
  double step_size = 0;                        // PGD α; 0: 2.5 ε / steps
  int restarts = 1;                            // PGD random starts, >= 1
  uint64_t seed = 0;
  int batch = 500;
  size_t threads = 1;
};

struct EpsResult {
  double eps = 0;
  int64_t robust_correct = 0;
  double robust_accuracy = 0;
  std::vector<double> per_class;  // robust accuracy among the rows of each class (NaN: none)
  double max_perturbation = 0;    // the largest |x' − x| over every adversarial input
};

struct RobustReport {
  std::string attack;  // "fgsm" or "pgd"
  int64_t rows = 0;
  int64_t clean_correct = 0;
  double clean_accuracy = 0;
  std::vector<double> clean_per_class;
  std::vector<int64_t> class_rows;
  std::vector<EpsResult> results;  // in the order of options.eps
};

// One attack on a batch, what evaluate_robustness and adversarial training
// (dpeval train --adv-train) both run: adv = FGSM (steps and key unused) or
// PGD of x (rows of the model's sample shape, values in [0, 1]) against
// labels y, by `model`'s input gradients (its activations are overwritten).
// PGD's random start of row i is keyed by (key, first_row + i).
struct BatchAttack {
  Attack attack = Attack::kPgd;
  float eps = 0.1f;
  int steps = 7;
  float step_size = 0;  // 0: 2.5 eps / steps
  uint64_t key = 0;
  int64_t first_row = 0;
};
void attack_batch(nn::Model& model, const Tensor& x, std::span<const int32_t> y, const BatchAttack& a,
                  Tensor& adv);

// Attacks every row of `data` (features in [0, 1]: InputError naming the
// first one outside) with models from make_model (one a thread; each must
// hold the same weights). ConfigError for options out of range.
RobustReport evaluate_robustness(const std::function<nn::Model()>& make_model, const data::Dataset& data,
                                 int num_classes, const AttackOptions& options);

}  // namespace dpeval::robust
