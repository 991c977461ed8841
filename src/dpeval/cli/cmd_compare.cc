// dpeval compare: champion / challenger on the same rows, the promotion gate
// (eval/compare.h, Note [Paired comparison]).
#include <fmt/format.h>

#include <memory>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/eval/compare.h"

namespace dpeval::cli {
namespace {

struct CompareArgs {
  std::string a, b;
  std::string task = "multiclass";
  eval::CompareOptions options;
  JsonOutput json;
};

nlohmann::json optional_json(const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

int run_compare(CompareArgs& a) {
  CommandFiles files;
  files.input("--a", a.a);
  files.input("--b", a.b);
  a.json.declare(files);
  files.check();
  eval::ReadOptions read;
  read.task = eval::parse_task(a.task);
  read.threads = a.options.threads;
  const eval::Predictions champion = eval::read_predictions(a.a, read);
  const eval::Predictions challenger = eval::read_predictions(a.b, read);
  const eval::CompareResult r = eval::compare_predictions(champion, challenger, a.options);
  const nlohmann::json doc = {{"champion", a.a},
                              {"challenger", a.b},
                              {"metric", r.metric},
                              {"rows", r.n},
                              {"champion_value", r.champion},
                              {"challenger_value", r.challenger},
                              {"gain", r.gain},
                              {"interval", {r.gain_lo, r.gain_hi}},
                              {"level", r.level},
                              {"lower_bound", r.lower_bound},
                              {"min_gain", r.min_gain},
                              {"resamples", r.resamples},
                              {"seed", r.seed},
                              {"only_champion_right", optional_json(r.only_champion_right)},
                              {"only_challenger_right", optional_json(r.only_challenger_right)},
                              {"mcnemar_p_two_sided", optional_json(r.mcnemar_p_two_sided)},
                              {"mcnemar_p_challenger_better", optional_json(r.mcnemar_p_challenger_better)},
                              {"promote", r.promote}};
  fmt::print(stderr,
             "dpeval compare: {} {:.6g} (champion) vs {:.6g} (challenger) on {} rows: gain {:+.6g}, {:.0f} % "
             "interval "
             "[{:+.6g}, {:+.6g}], lower bound {:+.6g} vs min gain {:+.6g}",
             r.metric, r.champion, r.challenger, r.n, r.gain, 100 * r.level, r.gain_lo, r.gain_hi,
             r.lower_bound, r.min_gain);
  if (r.mcnemar_p_two_sided) {
    fmt::print(stderr, "; McNemar {} vs {} discordant rows, exact p {:.4g} (two-sided)",
               *r.only_challenger_right, *r.only_champion_right, *r.mcnemar_p_two_sided);
  }
  fmt::print(stderr, "\n  {}\n",
             r.promote ? "PROMOTE: the challenger is at least min gain better at this confidence"
                       : "KEEP THE CHAMPION: the challenger is not shown to be at least min gain better");
  a.json.emit(doc);
  return r.promote ? kExitOk : kExitGateFailed;
}

}  // namespace

Command add_compare_command(CLI::App& root) {
  auto args = std::make_shared<CompareArgs>();
  CompareArgs& a = *args;
  CLI::App* app = root.add_subcommand(
      "compare",
      "Champion vs challenger on the same rows: promote only a challenger shown to be at least as good");
  app->footer(R"(Examples:
  dpeval compare --a champion_preds.csv --b challenger_preds.csv
  dpeval compare --a old.csv --b new.csv --metric log_loss --min-gain 0.01 --json-out compare.json

--a is the champion, --b the challenger: prediction files of the same rows in the same order
(dpeval predict's output: label,prob_0..prob_{K-1}; --task binary for label,score). Per row
gain (accuracy: right or not; log_loss: the row's loss), a paired Poisson bootstrap interval
of the mean gain, and for accuracy McNemar's exact test on the rows only one model gets right.
Promote when the one-sided lower bound of the gain at --level reaches --min-gain.
See docs/EVAL.md, "Champion and challenger".
Exit codes: 0 promote, 1 runtime failure, 2 usage error, 3 bad input (files of different
rows), 4 keep the champion.)");
  app->add_option("--a", a.a, "The champion's predictions (CSV/TSV[.gz] or NPY)")->required();
  app->add_option("--b", a.b, "The challenger's predictions, the same rows in the same order")->required();
  app->add_option("--task", a.task, "binary (label,score) or multiclass (label,prob_*)")
      ->check(CLI::IsMember({"binary", "multiclass"}))
      ->capture_default_str();
  app->add_option("--metric", a.options.metric, "accuracy or log_loss")
      ->check(CLI::IsMember({"accuracy", "log_loss"}))
      ->capture_default_str();
  app->add_option(
         "--min-gain", a.options.min_gain,
         "The gain the challenger must be shown to reach (accuracy points as a fraction, or log loss); "
         "negative: a loss tolerated")
      ->check(number_in(-10, 10))
      ->capture_default_str();
  app->add_option("--bootstrap", a.options.resamples, "Bootstrap resamples (1 to 100000)")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  app->add_option("--level", a.options.level,
                  "Confidence level of the interval and the bound, in [0.5, 0.9999]")
      ->check(number_in(0.5, 0.9999))
      ->capture_default_str();
  add_seed_option(*app, a.options.seed, "Seed of the bootstrap resamples");
  add_threads_option(*app, a.options.threads);
  a.json.add_options(*app);
  return {app, [args] { return run_compare(*args); }};
}

}  // namespace dpeval::cli
