// dpeval privacy: what training reveals about its data. `privacy epsilon`:
// the (ε, δ) of DP-SGD from its noise, sampling rate and steps, or the noise a
// target ε needs, without training (privacy/rdp.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"
#include "dpeval/privacy/membership.h"
#include "dpeval/privacy/rdp.h"
#include "dpeval/report/privacy_report.h"
#include "dpeval/run/checkpoint_model.h"

namespace dpeval::cli {
namespace {

struct AttackArgs {
  std::string checkpoint, attack = "loss", html;
  int64_t rows = 10000;
  int bootstrap = 200;
  uint64_t seed = 0;
  JsonOutput json;
};

// Each row's score for the loss attack: minus its cross-entropy under the
// model, on `take` rows of the loaded split drawn without replacement
// (seeded), in the order of their row numbers.
std::vector<double> loss_scores(run::LoadedCheckpoint& loaded, const std::string& split, size_t take,
                                uint64_t seed) {
  const size_t n = loaded.dataset.size();
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  Rng rng(mix64(seed ^ 0x4d454d42ULL), split == "train" ? 1 : 2);  // "MEMB"
  for (size_t i = 0; i < take; ++i) std::swap(order[i], order[i + rng.uniform_below(n - i)]);
  order.resize(take);
  std::sort(order.begin(), order.end());
  // Minus the cross-entropy from the logits in double (log-sum-exp): float
  // probabilities round to 1 for confident rows, and ties at 0 would hide the
  // very rows the low-FPR figures are about.
  const size_t k = static_cast<size_t>(loaded.state.num_classes);
  std::vector<double> scores(take);
  nn::ForwardOptions forward;
  forward.training = false;
  Tensor x;
  std::vector<int32_t> y;
  for (size_t first = 0; first < take; first += 1000) {
    const size_t count = std::min<size_t>(1000, take - first);
    x.resize(loaded.dataset.sample_shape().with_outer(static_cast<int64_t>(count)));
    y.resize(count);
    loaded.dataset.gather(std::span(order).subspan(first, count), x.data(), y.data());
    const Tensor& z = loaded.model.forward(x, forward);
    for (size_t i = 0; i < count; ++i) {
      const float* row = z.data() + i * k;
      double top = row[0];
      for (size_t c = 1; c < k; ++c) top = std::max(top, static_cast<double>(row[c]));
      double sum = 0;
      for (size_t c = 0; c < k; ++c) sum += std::exp(static_cast<double>(row[c]) - top);
      scores[first + i] = static_cast<double>(row[static_cast<size_t>(y[i])]) - top - std::log(sum);
    }
  }
  return scores;
}

nlohmann::json metric_json(const privacy::AttackMetric& m) {
  return {{"value", m.value}, {"interval", {m.lo, m.hi}}};
}

int run_attack(AttackArgs& a) {
  CommandFiles files;
  files.input("--checkpoint", a.checkpoint);
  files.output("--html", a.html);
  a.json.declare(files);
  files.check();
  run::LoadedCheckpoint train = run::load_checkpoint(a.checkpoint, "", "train", "");
  run::LoadedCheckpoint test = run::load_checkpoint(a.checkpoint, "", "test", "");
  // Equal numbers of each, so that chance is an AUC of 0.5 and a balanced accuracy of 0.5.
  const size_t take = std::min({static_cast<size_t>(a.rows), train.dataset.size(), test.dataset.size()});
  const std::vector<double> members = loss_scores(train, "train", take, a.seed);
  const std::vector<double> non_members = loss_scores(test, "test", take, a.seed);
  const privacy::MembershipResult r = privacy::evaluate_membership(members, non_members, a.bootstrap, a.seed);
  nlohmann::json roc = nlohmann::json::array();
  for (const auto& [fpr, tpr] : r.roc) roc.push_back({fpr, tpr});
  const nlohmann::json doc = {{"attack", a.attack},
                              {"checkpoint", a.checkpoint},
                              {"members", r.members},
                              {"non_members", r.non_members},
                              {"members_from", "the training split"},
                              {"non_members_from", "the test split"},
                              {"bootstrap", a.bootstrap},
                              {"seed", a.seed},
                              {"roc_auc", metric_json(r.roc_auc)},
                              {"balanced_accuracy", metric_json(r.balanced_accuracy)},
                              {"tpr_at_fpr_0.001", metric_json(r.tpr_at_0_1_fpr)},
                              {"tpr_at_fpr_0.01", metric_json(r.tpr_at_1_fpr)},
                              {"min_measurable_fpr", 1.0 / static_cast<double>(r.non_members)},
                              {"roc_curve", roc}};
  if (r.non_members < 1000) {
    fmt::print(
        stderr,
        "dpeval privacy: warning: {} non-members resolve false-positive rates down to {:.3g} only: TPR at "
        "0.1 % FPR is the TPR at FPR 0 (no non-member let through)\n",
        r.non_members, 1.0 / static_cast<double>(r.non_members));
  }
  fmt::print(
      stderr,
      "dpeval privacy: loss attack, {} members vs {} non-members: AUC {:.4f} [{:.4f}, {:.4f}], balanced "
      "accuracy {:.4f}, TPR {:.4f} at 0.1 % FPR (chance 0.001), {:.4f} at 1 % FPR (chance 0.01)\n",
      r.members, r.non_members, r.roc_auc.value, r.roc_auc.lo, r.roc_auc.hi, r.balanced_accuracy.value,
      r.tpr_at_0_1_fpr.value, r.tpr_at_1_fpr.value);
  OutputBatch outputs;
  outputs.add(a.html, [&] { return report::render_membership_html(doc); });
  outputs.add(a.json.file(), [&] { return json_text(doc); });
  outputs.commit();
  a.json.print(doc);
  return kExitOk;
}

struct EpsilonArgs {
  std::optional<double> noise_multiplier, target_epsilon;
  double sampling_rate = 0, delta = 1e-5;
  int64_t steps = 0;
  JsonOutput json;
};

int run_epsilon(EpsilonArgs& a) {
  CommandFiles files;
  a.json.declare(files);
  files.check();
  if (a.noise_multiplier.has_value() == a.target_epsilon.has_value()) {
    throw UsageError(
        "give --noise-multiplier (to get epsilon) or --target-epsilon (to get the noise), not both");
  }
  const double sigma = a.noise_multiplier
                           ? *a.noise_multiplier
                           : privacy::noise_for_epsilon(*a.target_epsilon, a.sampling_rate, a.steps, a.delta);
  const privacy::Epsilon e = privacy::epsilon_after(a.sampling_rate, sigma, a.steps, a.delta);
  nlohmann::json doc = {{"epsilon", e.epsilon},
                        {"best_order", e.best_order},
                        {"delta", a.delta},
                        {"noise_multiplier", sigma},
                        {"sampling_rate", a.sampling_rate},
                        {"steps", a.steps},
                        {"accountant", "rdp"},
                        {"orders", "opacus-1.4 default: 1.1 to 10.9 by 0.1, 12 to 63"}};
  if (a.target_epsilon) doc["target_epsilon"] = *a.target_epsilon;
  if (a.target_epsilon) {
    fmt::print(
        stderr,
        "dpeval privacy epsilon: noise multiplier {:.6g} reaches epsilon {:.6g} <= {:.6g} at delta {:.3g} "
        "(sampling rate {:.6g}, {} steps; best RDP order {})\n",
        sigma, e.epsilon, *a.target_epsilon, a.delta, a.sampling_rate, a.steps, e.best_order);
  } else {
    fmt::print(
        stderr,
        "dpeval privacy epsilon: epsilon {:.6g} at delta {:.3g} (noise multiplier {:.6g}, sampling rate "
        "{:.6g}, {} steps; best RDP order {})\n",
        e.epsilon, a.delta, sigma, a.sampling_rate, a.steps, e.best_order);
  }
  a.json.emit(doc);
  return kExitOk;
}

}  // namespace

Command add_privacy_command(CLI::App& root) {
  auto args = std::make_shared<EpsilonArgs>();
  auto attack = std::make_shared<AttackArgs>();
  EpsilonArgs& a = *args;
  CLI::App* app = root.add_subcommand(
      "privacy", "Privacy of training: membership inference against a checkpoint, or the epsilon of DP-SGD");
  app->require_subcommand(0, 1);
  app->footer(R"(Examples:
  dpeval privacy --checkpoint runs/mlp/checkpoint.dpck --attack loss --json-out mia.json
  dpeval privacy epsilon --noise-multiplier 1.1 --sampling-rate 0.004267 --steps 14063

Membership inference with the run's training rows as members and its test rows as non-members
(equal numbers, up to --rows each, drawn with --seed): the loss-threshold attack (Yeom et al.
2018). ROC AUC, balanced accuracy and TPR at 0.1 % and 1 % FPR with bootstrap intervals, and
the ROC curve at log-spaced FPR. LiRA and model inversion are not built yet. See docs/SECURITY.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input.)");
  app->add_option("--checkpoint", attack->checkpoint, "Checkpoint written by dpeval train (its own data)");
  app->add_option("--attack", attack->attack, "loss (the loss-threshold attack)")
      ->check(CLI::IsMember({"loss"}))
      ->capture_default_str();
  app->add_option("--rows", attack->rows, "Members and non-members drawn, at most, each (100 to 1000000)")
      ->check(integer_in(100, 1000000))
      ->capture_default_str();
  app->add_option("--bootstrap", attack->bootstrap, "Bootstrap resamples for the intervals (0 to 10000)")
      ->check(integer_in(0, 10000))
      ->capture_default_str();
  add_seed_option(*app, attack->seed, "Seed of the draw and the bootstrap");
  app->add_option("--html", attack->html,
                  "Write the HTML report (figures and the log-log ROC) here (atomically)");
  attack->json.add_options(*app);
  CLI::App* eps = app->add_subcommand(
      "epsilon", "The (epsilon, delta) of DP-SGD from its noise, sampling rate and steps, without training");
  eps->footer(R"(Examples:
  dpeval privacy epsilon --noise-multiplier 1.1 --sampling-rate 0.004267 --steps 14063 --delta 1e-5
  dpeval privacy epsilon --target-epsilon 3 --sampling-rate 0.004267 --steps 14063 --json

The RDP accountant of the sampled Gaussian mechanism (Mironov, Talwar and Zhang 2019) with
Opacus 1.4's orders and RDP-to-(epsilon, delta) conversion: Poisson sampling at rate q = expected
batch / training rows, Gaussian noise of noise multiplier x clipping norm. --target-epsilon
prints the smallest noise multiplier whose epsilon is at most the target (bisection).
See docs/SECURITY.md.
Exit codes: 0 ok, 2 usage error, 3 an argument out of range (named).)");
  eps->add_option("--noise-multiplier", a.noise_multiplier, "Noise std / clipping norm, in (0, 10000]")
      ->check(number_in(0, 1e4, /*lo_open=*/true));
  eps->add_option("--target-epsilon", a.target_epsilon,
                  "The epsilon to reach, in (0, 1000]: prints the noise")
      ->check(number_in(0, 1e3, /*lo_open=*/true));
  eps->add_option("--sampling-rate", a.sampling_rate, "Poisson sampling rate q = batch / rows, in (0, 1]")
      ->required()
      ->check(number_in(0, 1, /*lo_open=*/true));
  eps->add_option("--steps", a.steps, "Optimizer steps, 0 to 1e9")
      ->required()
      ->check(integer_in(0, 1000000000));
  eps->add_option("--delta", a.delta, "delta, in (0, 0.1]")
      ->check(number_in(0, 0.1, /*lo_open=*/true))
      ->capture_default_str();
  a.json.add_options(*eps);
  return {app, [args, attack, eps] {
            if (eps->parsed()) return run_epsilon(*args);
            if (attack->checkpoint.empty()) {
              throw UsageError(
                  "dpeval privacy: give --checkpoint (membership inference) or the epsilon subcommand");
            }
            return run_attack(*attack);
          }};
}

}  // namespace dpeval::cli
