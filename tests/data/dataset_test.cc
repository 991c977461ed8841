// Dataset: gather against a naive loop, subsets, categorical columns, hashing.
#include "dpeval/data/dataset.h"

#include <gtest/gtest.h>

#include <numeric>

#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"

namespace dpeval::data {
namespace {

Dataset tiny_u8() {
  // 4 rows of [1, 2, 2].
  std::vector<uint8_t> pixels(16);
  std::iota(pixels.begin(), pixels.end(), uint8_t{0});
  pixels[15] = 255;
  return Dataset::from_u8("tiny", Shape{1, 2, 2}, pixels, 1.0f / 255.0f, {3, 0, 1, 2}, 4);
}

Dataset tiny_f32() {
  return Dataset::from_f32("table", Shape{3}, {0, 1, 2, 10, 11, 12, 20, 21, 22}, {1, 0, 1}, 2);
}

TEST(Dataset, Accessors) {
  const Dataset d = tiny_u8();
  EXPECT_EQ(d.name(), "tiny");
  EXPECT_EQ(d.size(), 4u);
  EXPECT_EQ(d.sample_shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(d.sample_numel(), 4);
  EXPECT_EQ(d.num_classes(), 4);
  EXPECT_EQ(d.feature_type(), FeatureType::kU8);
  EXPECT_EQ(d.class_names(), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(std::vector<int32_t>(d.labels().begin(), d.labels().end()), (std::vector<int32_t>{3, 0, 1, 2}));
  EXPECT_TRUE(d.f32_features().empty());
  EXPECT_EQ(d.u8_features().size(), 16u);

  const Dataset empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.num_classes(), 0);
}

TEST(Dataset, GatherU8MatchesNaiveLoop) {
  const Dataset d = tiny_u8();
  const std::vector<uint32_t> idx = {3, 1, 3};
  std::vector<float> x(12, -1.0f);
  std::vector<int32_t> y(3, -1);
  d.gather(idx, x.data(), y.data());
  for (size_t i = 0; i < idx.size(); ++i) {
    for (size_t j = 0; j < 4; ++j) {
      EXPECT_EQ(x[i * 4 + j], static_cast<float>(d.u8_features()[idx[i] * 4 + j]) * (1.0f / 255.0f));
    }
    EXPECT_EQ(y[i], d.labels()[idx[i]]);
  }
  EXPECT_FLOAT_EQ(x[3], 1.0f);       // pixel 255
  d.gather(idx, x.data(), nullptr);  // labels optional
}

TEST(Dataset, GatherF32CopiesRows) {
  const Dataset d = tiny_f32();
  std::vector<float> x(6);
  std::vector<int32_t> y(2);
  const std::vector<uint32_t> idx = {2, 0};
  d.gather(idx, x.data(), y.data());
  EXPECT_EQ(x, (std::vector<float>{20, 21, 22, 0, 1, 2}));
  EXPECT_EQ(y, (std::vector<int32_t>{1, 1}));
}

TEST(Dataset, GatherOutOfRangeIsInternalError) {
  const Dataset d = tiny_f32();
  std::vector<float> x(3);
  const std::vector<uint32_t> idx = {3};
  EXPECT_THROW(d.gather(idx, x.data(), nullptr), InternalError);
}

TEST(Dataset, FactoryPreconditions) {
  EXPECT_THROW(Dataset::from_f32("x", Shape{2}, {1, 2, 3}, {0, 0}, 1), InternalError);     // size mismatch
  EXPECT_THROW(Dataset::from_f32("x", Shape{1}, {1, 2}, {0, 2}, 2), InternalError);        // label >= K
  EXPECT_THROW(Dataset::from_f32("x", Shape{1}, {1, 2}, {0, -1}, 2), InternalError);       // negative label
  EXPECT_THROW(Dataset::from_f32("x", Shape{0}, {}, {0}, 1), InternalError);               // no features
  EXPECT_THROW(Dataset::from_u8("x", Shape{1}, {1}, 1.0f / 0.0f, {0}, 1), InternalError);  // scale
}

TEST(Dataset, SubsetKeepsEverythingButRows) {
  Dataset d = tiny_f32();
  d.set_class_names({"no", "yes"});
  d.set_feature_names({"a", "b", "c"});
  d.add_categorical_column({"color", {"blue", "red"}, {1, 0, 1}});
  const std::vector<uint32_t> idx = {2, 2, 1};
  const Dataset s = d.subset(idx);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.name(), "table");
  EXPECT_EQ(s.num_classes(), 2);
  EXPECT_EQ(s.class_names(), d.class_names());
  EXPECT_EQ(s.feature_names(), d.feature_names());
  EXPECT_EQ(std::vector<float>(s.f32_features().begin(), s.f32_features().end()),
            (std::vector<float>{20, 21, 22, 20, 21, 22, 10, 11, 12}));
  EXPECT_EQ(std::vector<int32_t>(s.labels().begin(), s.labels().end()), (std::vector<int32_t>{1, 1, 0}));
  ASSERT_EQ(s.categorical_columns().size(), 1u);
  const CategoricalColumn* color = s.find_categorical_column("color");
  ASSERT_NE(color, nullptr);
  EXPECT_EQ(color->values, (std::vector<std::string>{"blue", "red"}));
  EXPECT_EQ(color->codes, (std::vector<uint32_t>{1, 1, 0}));
  EXPECT_EQ(s.find_categorical_column("size"), nullptr);

  const Dataset none = d.subset({});
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.num_classes(), 2);
}

TEST(Dataset, MutatorPreconditions) {
  Dataset d = tiny_f32();
  EXPECT_THROW(d.add_categorical_column({"c", {"x"}, {0, 0}}), InternalError);     // 2 codes for 3 rows
  EXPECT_THROW(d.add_categorical_column({"c", {"x"}, {0, 1, 0}}), InternalError);  // code out of range
  EXPECT_THROW(d.set_class_names({"only one"}), InternalError);
  EXPECT_THROW(d.set_feature_names({"a"}), InternalError);
}

TEST(Dataset, ContentHashIsStableAndSensitive) {
  const Dataset a = tiny_u8();
  const Dataset b = tiny_u8();
  EXPECT_EQ(a.content_hash(), b.content_hash());
  EXPECT_EQ(a.content_hash(), a.content_hash());
  Dataset renamed = a;
  renamed.set_name("other");
  renamed.set_class_names({"a", "b", "c", "d"});
  EXPECT_EQ(renamed.content_hash(), a.content_hash());  // names are not content

  const Dataset relabelled = Dataset::from_u8(
      "tiny", Shape{1, 2, 2}, std::vector<uint8_t>(a.u8_features().begin(), a.u8_features().end()),
      1.0f / 255.0f, {3, 0, 1, 1}, 4);
  EXPECT_NE(relabelled.content_hash(), a.content_hash());
  const Dataset reshaped =
      Dataset::from_u8("tiny", Shape{4}, std::vector<uint8_t>(a.u8_features().begin(), a.u8_features().end()),
                       1.0f / 255.0f, {3, 0, 1, 2}, 4);
  EXPECT_NE(reshaped.content_hash(), a.content_hash());
  const std::vector<uint32_t> all = {0, 1, 2, 3};
  EXPECT_EQ(a.subset(all).content_hash(), a.content_hash());

  // Pinned: checkpoints store this hash, so its definition must not drift.
  EXPECT_EQ(hex64(tiny_u8().content_hash()), "7b53ba4789850d0d");
  EXPECT_EQ(hex64(tiny_f32().content_hash()), "f793e12774547cbf");
}

}  // namespace
}  // namespace dpeval::data
