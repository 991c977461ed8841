// `dpeval train`'s setting options come from TrainConfig's field table (Note
// [Config fields]): every setting has its option, the words that reproduce a
// config parse back to the same config, ranges and spellings are checked, and
// the resume check names the option that differs.
#include "dpeval/cli/config_options.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/nn/model_spec.h"

namespace dpeval::cli {
namespace {

using parallel::TrainConfig;

// Parses `words` as `dpeval train` would, applying them onto a default config.
TrainConfig parse(const std::vector<std::string>& words) {
  CLI::App app;
  TrainConfig parsed;
  add_config_options(app, parsed);
  std::vector<std::string> argv(words.rbegin(), words.rend());  // CLI11 takes them reversed
  app.parse(argv);
  TrainConfig config;
  apply_config_options(app, parsed, config, /*only_given=*/false);
  return config;
}

std::vector<std::string> flatten(const std::vector<std::pair<std::string, std::string>>& words) {
  std::vector<std::string> flat;
  for (const auto& [flag, value] : words) {
    flat.push_back(flag);
    if (!value.empty()) flat.push_back(value);
  }
  return flat;
}

TEST(ConfigOptions, EverySettingHasItsOption) {
  CLI::App app;
  TrainConfig parsed;
  add_config_options(app, parsed);
  std::set<std::string> keys;
  parallel::for_each_config_field([&](const parallel::ConfigField& field, auto) {
    EXPECT_NE(app.get_option_no_throw(std::string(field.flag)), nullptr) << field.flag;
    EXPECT_TRUE(keys.insert(std::string(field.key)).second) << "two rows for " << field.key;
  });
  // Every key of the JSON is a row of the table, or one of the two members
  // written beside it (Note [Config fields]).
  TrainConfig c;
  c.model_spec = nn::load_model_spec("mlp");
  c.manifest_hash = "ab";
  const nlohmann::json j = c.to_json();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "model_spec" || it.key() == "manifest_hash") continue;
    if (it->is_object()) {
      for (auto in = it->begin(); in != it->end(); ++in)
        EXPECT_TRUE(keys.count(it.key() + "." + in.key())) << in.key();
    } else {
      EXPECT_TRUE(keys.count(it.key())) << it.key();
    }
  }
}

TEST(ConfigOptions, TheReproducingWordsParseBackToTheSameConfig) {
  TrainConfig c = parse({});
  EXPECT_EQ(c.to_json(), parse(flatten(config_option_words(c))).to_json());
  c = parse({"--model",
             "cnn",
             "--optimizer",
             "adamw",
             "--weight-decay",
             "0.05",
             "--lr",
             "0.003",
             "--schedule",
             "cosine",
             "--min-lr",
             "1e-5",
             "--grad-dtype",
             "bf16",
             "--workers",
             "3",
             "--accumulate",
             "2",
             "--lr-scaling",
             "linear",
             "--warmup-epochs",
             "0.5",
             "--remainder",
             "drop",
             "--seed",
             "9007199254740991",
             "--label-smoothing",
             "0.1",
             "--labels",
             "y.npy",
             "--val-fraction",
             "0"});
  EXPECT_EQ(c.optimizer.kind, optim::OptimizerKind::kAdamw);
  EXPECT_EQ(c.grad_dtype, parallel::GradDType::kBFloat16);
  EXPECT_EQ(c.remainder, data::RemainderPolicy::kDrop);
  EXPECT_EQ(c.seed, kMaxSeed);
  EXPECT_EQ(c.optimizer.weight_decay, 0.05f);
  EXPECT_EQ(c.model_name, "cnn");
  EXPECT_FALSE(c.model_spec.layers.empty());  // --model loads its spec
  const std::vector<std::string> words = flatten(config_option_words(c));
  EXPECT_EQ(c.to_json(), parse(words).to_json());
  c = parse({"--nesterov"});
  EXPECT_TRUE(c.optimizer.nesterov);
  EXPECT_EQ(c.to_json(), parse(flatten(config_option_words(c))).to_json());
}

TEST(ConfigOptions, RangesAndSpellingsAreUsageErrors) {
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"--epochs", "0"},
                                             {"--epochs", "1e3"},
                                             {"--batch", "-1"},
                                             {"--lr", "0"},
                                             {"--lr", "nan"},
                                             {"--momentum", "1"},
                                             {"--seed", "9007199254740992"},
                                             {"--optimizer", "adam"},
                                             {"--grad-dtype", "fp8"},
                                             {"--remainder", "keep"},
                                             {"--zero", "2"},
                                             {"--weight-decay", "-1"},
                                             {"--test-fraction", "1"},
                                             {"--gamma", "0"}}) {
    EXPECT_THROW(parse(bad), CLI::ParseError) << bad[0] << " " << bad[1];
  }
}

TEST(ConfigOptions, OnResumeOnlyGivenOptionsApplyAndOnlyEpochsMayChange) {
  TrainConfig saved = parse({"--lr", "0.1", "--epochs", "3"});
  CLI::App app;
  TrainConfig parsed;
  add_config_options(app, parsed);
  std::vector<std::string> argv = {"10", "--epochs"};
  app.parse(argv);
  TrainConfig resumed = saved;
  apply_config_options(app, parsed, resumed, /*only_given=*/true);
  EXPECT_EQ(resumed.epochs, 10);
  EXPECT_EQ(resumed.lr, 0.1f);  // not given: the checkpoint's
  EXPECT_NO_THROW(resumed.check_resumable_from(saved));
  resumed.lr = 0.2f;
  try {
    resumed.check_resumable_from(saved);
    FAIL() << "a changed --lr resumed";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--lr is 0.2 but the checkpoint was trained with 0.1"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace dpeval::cli
