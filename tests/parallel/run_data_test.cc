// load_run_data: the validation split is carved out of the train split
// (disjoint, together exactly the train split's rows), leaves the test split
// alone, is deterministic, and is what the trainer leaves out of training.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/data/data.h"
#include "dpeval/parallel/run_data.h"
#include "dpeval/parallel/trainer.h"
#include "train_test_util.h"

namespace dpeval::parallel {
namespace {

// Every row of `d` as its features (the blobs have continuous, distinct values).
std::multiset<std::vector<float>> rows_of(const data::Dataset& d) {
  std::vector<uint32_t> all(d.size());
  std::iota(all.begin(), all.end(), 0u);
  std::vector<float> x(d.size() * static_cast<size_t>(d.sample_numel()));
  std::vector<int32_t> y(d.size());
  if (!all.empty()) d.gather(all, x.data(), y.data());
  std::multiset<std::vector<float>> out;
  const auto f = static_cast<size_t>(d.sample_numel());
  for (size_t r = 0; r < d.size(); ++r) out.insert(std::vector<float>(x.begin() + r * f, x.begin() + (r + 1) * f));
  return out;
}

TEST(RunData, ValidationIsCarvedOutOfTheTrainSplitAndTheTestSplitIsUntouched) {
  const fs::path dir = fresh_dir("run_data_carve");
  TrainConfig config = small_config(write_blobs_csv(dir, 500));
  config.val_fraction = 0.1;
  data::DataSourceOptions source;
  source.label_col = config.label_col;
  source.test_fraction = config.test_fraction;
  source.seed = config.seed;
  const data::TrainTest plain = data::load_data_source(config.data, source);  // 400 train, 100 test

  const RunData run = load_run_data(config);
  EXPECT_EQ(run.validation.size(), 40u);
  EXPECT_EQ(run.train.size(), 360u);
  EXPECT_EQ(run.test.content_hash(), plain.test.content_hash());

  const auto train = rows_of(run.train), validation = rows_of(run.validation), whole = rows_of(plain.train);
  std::multiset<std::vector<float>> both = train;
  both.insert(validation.begin(), validation.end());
  EXPECT_EQ(both, whole);
  std::vector<std::vector<float>> shared;
  std::set_intersection(train.begin(), train.end(), validation.begin(), validation.end(),
                        std::back_inserter(shared));
  EXPECT_TRUE(shared.empty());

  // Deterministic; another seed carves other rows.
  EXPECT_EQ(load_run_data(config).validation.content_hash(), run.validation.content_hash());
  config.seed += 1;
  EXPECT_NE(load_run_data(config).validation.content_hash(), run.validation.content_hash());
}

TEST(RunData, ZeroMeansNoValidationSplitAndOutOfRangeIsAConfigError) {
  const fs::path dir = fresh_dir("run_data_zero");
  TrainConfig config = small_config(write_blobs_csv(dir, 100));
  config.val_fraction = 0;
  const RunData run = load_run_data(config);
  EXPECT_EQ(run.validation.size(), 0u);
  EXPECT_EQ(run.train.size(), 80u);
  for (double bad : {-0.01, 0.51, std::nan("")}) {
    config.val_fraction = bad;
    EXPECT_THROW(load_run_data(config), ConfigError) << bad;
    EXPECT_THROW(config.validate(), ConfigError) << bad;
  }
}

TEST(RunData, TheTrainerTrainsOnTheCarvedRowsOnly) {
  const fs::path dir = fresh_dir("run_data_trainer");
  TrainConfig config = small_config(write_blobs_csv(dir, 300));
  config.epochs = 1;
  config.val_fraction = 0.2;
  TrainRunOptions options;
  options.out_dir = dir / "run";
  const TrainResult result = train(config, options);
  EXPECT_EQ(result.dataset_hash, load_run_data(config).train.content_hash());
  config.val_fraction = 0;
  EXPECT_NE(result.dataset_hash, load_run_data(config).train.content_hash());
}

TEST(RunData, ConfigsWrittenBeforeTheSplitExistedReadAsNoValidationSplit) {
  TrainConfig config;
  config.model_spec = nn::model_spec_preset("mlp");
  nlohmann::json j = config.to_json();
  EXPECT_EQ(j["val_fraction"], 0.05);
  j.erase("val_fraction");
  EXPECT_EQ(TrainConfig::from_json(j).val_fraction, 0.0);
}

}  // namespace
}  // namespace dpeval::parallel
