// The manifest hash in TrainConfig: part of config_hash (so of the rank
// fingerprint) when set, absent from the JSON (old hashes unchanged) when not.
#include <gtest/gtest.h>

#include "dpeval/parallel/train_config.h"

namespace dpeval::parallel {
namespace {

TEST(TrainManifestTest, ManifestHashJoinsTheConfigHash) {
  TrainConfig plain;
  plain.model_spec = nn::model_spec_preset("mlp");
  EXPECT_FALSE(plain.to_json().contains("manifest_hash"));
  TrainConfig with = plain;
  with.manifest_hash = std::string(64, 'a');
  EXPECT_NE(with.config_hash(), plain.config_hash());
  TrainConfig other = plain;
  other.manifest_hash = std::string(64, 'b');
  EXPECT_NE(other.config_hash(), with.config_hash());
  const TrainConfig back = TrainConfig::from_json(with.to_json());
  EXPECT_EQ(back.manifest_hash, with.manifest_hash);
  EXPECT_EQ(back.config_hash(), with.config_hash());
  EXPECT_EQ(TrainConfig::from_json(plain.to_json()).manifest_hash, "");
}

}  // namespace
}  // namespace dpeval::parallel
