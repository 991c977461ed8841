// dpeval privacy: what training reveals about its data. `privacy epsilon`:
// the (ε, δ) of DP-SGD from its noise, sampling rate and steps, or the noise a
// target ε needs, without training (privacy/rdp.h).
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <optional>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/core/error.h"
#include "dpeval/privacy/rdp.h"

namespace dpeval::cli {
namespace {

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
  EpsilonArgs& a = *args;
  CLI::App* app = root.add_subcommand("privacy", "Privacy of training: the epsilon of DP-SGD");
  app->require_subcommand(1);
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
  return {app, [args, eps] {
            if (!eps->parsed()) throw UsageError("dpeval privacy: name a subcommand (epsilon)");
            return run_epsilon(*args);
          }};
}

}  // namespace dpeval::cli
