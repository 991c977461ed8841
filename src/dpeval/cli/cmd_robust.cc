// dpeval robust: a checkpoint's accuracy under FGSM or PGD attacks, per eps
// and per class (robust/attack.h, Note [FGSM and PGD]).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <thread>

#include "dpeval/cli/checkpoint_predictions.h"
#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/report/robust_report.h"
#include "dpeval/robust/attack.h"

namespace dpeval::cli {
namespace {

struct RobustArgs {
  std::string checkpoint, data, split = "test", label_col, attack = "fgsm", html;
  robust::AttackOptions options;
  size_t threads = 0;
  JsonOutput json;
};

nlohmann::json number_or_null(double v) {
  return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}

int run_robust(RobustArgs& a) {
  CommandFiles files;
  files.input("--checkpoint", a.checkpoint);
  files.data_input("--data", a.data);
  files.output("--html", a.html);
  a.json.declare(files);
  files.check();
  run::LoadedCheckpoint loaded = run::load_checkpoint(a.checkpoint, a.data, a.split, a.label_col);
  check_checkpoint_data(files, loaded, a.data);
  a.options.attack = a.attack == "pgd" ? robust::Attack::kPgd : robust::Attack::kFgsm;
  a.options.threads = a.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : a.threads;
  const parallel::TrainState& state = loaded.state;
  const robust::RobustReport r =
      robust::evaluate_robustness([&] { return run::build_checkpoint_model(state, a.checkpoint); },
                                  loaded.dataset, state.num_classes, a.options);
  const auto& names = loaded.dataset.class_names();
  nlohmann::json results = nlohmann::json::array();
  for (const robust::EpsResult& e : r.results) {
    nlohmann::json per_class = nlohmann::json::array();
    for (size_t c = 0; c < e.per_class.size(); ++c) {
      per_class.push_back({{"class", c < names.size() ? names[c] : std::to_string(c)},
                           {"rows", r.class_rows[c]},
                           {"clean_accuracy", number_or_null(r.clean_per_class[c])},
                           {"robust_accuracy", number_or_null(e.per_class[c])}});
    }
    results.push_back({{"eps", e.eps},
                       {"robust_accuracy", e.robust_accuracy},
                       {"robust_correct", e.robust_correct},
                       {"max_perturbation", e.max_perturbation},
                       {"per_class", per_class}});
  }
  nlohmann::json doc = {{"attack", r.attack},
                        {"checkpoint", a.checkpoint},
                        {"data", loaded.dataset.name()},
                        {"rows", r.rows},
                        {"norm", "linf"},
                        {"clean_accuracy", r.clean_accuracy},
                        {"results", results}};
  if (a.options.attack == robust::Attack::kPgd) {
    doc["steps"] = a.options.steps;
    doc["step_size"] =
        a.options.step_size > 0 ? nlohmann::json(a.options.step_size) : nlohmann::json("2.5 eps / steps");
    doc["restarts"] = a.options.restarts;
    doc["seed"] = a.options.seed;
  }
  fmt::print(stderr, "dpeval robust: {} on {} rows of {}: clean accuracy {:.4f}\n", r.attack, r.rows,
             loaded.dataset.name(), r.clean_accuracy);
  for (const robust::EpsResult& e : r.results) {
    fmt::print(stderr, "  eps {:<6g} robust accuracy {:.4f} ({} rows; largest move {:.6g})\n", e.eps,
               e.robust_accuracy, e.robust_correct, e.max_perturbation);
  }
  OutputBatch outputs;
  outputs.add(a.html, [&] { return report::render_robust_html(doc); });
  outputs.add(a.json.file(), [&] { return json_text(doc); });
  outputs.commit();
  a.json.print(doc);
  return kExitOk;
}

}  // namespace

Command add_robust_command(CLI::App& root) {
  auto args = std::make_shared<RobustArgs>();
  RobustArgs& a = *args;
  CLI::App* app = root.add_subcommand(
      "robust", "Accuracy under adversarial attack (FGSM or PGD, L-infinity) per epsilon and per class");
  app->footer(R"(Examples:
  dpeval robust --checkpoint runs/mlp/checkpoint.dpck --attack fgsm --eps 0.05,0.1,0.2 --json-out robust.json
  dpeval robust --checkpoint runs/cnn/checkpoint.dpck --attack pgd --eps 0.1 --steps 10 --restarts 2

Each input may move by at most eps per feature (L-infinity) and stays in [0, 1]: features must
lie in [0, 1] (images scaled by 1/255). FGSM: one step of eps along the sign of the loss
gradient. PGD (Madry et al. 2018): a random start in the eps ball, then --steps signed steps of
--step-size (default 2.5 eps / steps), projected back into the ball; a row is robust when no
restart fools the model. Every adversarial input is checked to lie within eps and [0, 1].
Without --data, the checkpoint's own test split. See docs/SECURITY.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input (a feature outside [0, 1]).)");
  app->add_option("--checkpoint", a.checkpoint, "Checkpoint file written by dpeval train")->required();
  app->add_option("--data", a.data, "Dataset: 'fashion-mnist' or a .csv table (default: the training data)");
  app->add_option("--split", a.split, "Which split of the training data: test, validation or train")
      ->check(CLI::IsMember({"test", "validation", "train"}))
      ->capture_default_str();
  app->add_option("--label-col", a.label_col, "Label column of a CSV table (default: as in training)");
  app->add_option("--attack", a.attack, "fgsm or pgd")
      ->check(CLI::IsMember({"fgsm", "pgd"}))
      ->capture_default_str();
  app->add_option("--eps", a.options.eps, "Budgets, comma-separated, each in (0, 1]")
      ->delimiter(',')
      ->check(number_in(0, 1, /*lo_open=*/true))
      ->capture_default_str();
  app->add_option("--steps", a.options.steps, "PGD steps, 1 to 10000")
      ->check(integer_in(1, 10000))
      ->capture_default_str();
  app->add_option("--step-size", a.options.step_size, "PGD step, in (0, 1] (default 2.5 eps / steps)")
      ->check(number_in(0, 1, /*lo_open=*/true));
  app->add_option("--restarts", a.options.restarts, "PGD random starts, 1 to 1000")
      ->check(integer_in(1, 1000))
      ->capture_default_str();
  app->add_option("--batch", a.options.batch, "Rows per forward and backward pass, 1 to 65536")
      ->check(integer_in(1, 65536))
      ->capture_default_str();
  add_seed_option(*app, a.options.seed, "Seed of PGD's random starts");
  add_threads_option(*app, a.threads);
  app->add_option("--html", a.html,
                  "Write the HTML report (the curve and the per-class table) here (atomically)");
  a.json.add_options(*app);
  return {app, [args] { return run_robust(*args); }};
}

}  // namespace dpeval::cli
