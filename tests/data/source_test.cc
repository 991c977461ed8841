// load_data_source: the real Fashion-MNIST from the Debian package, and CSV, NPY
// and IDX sources written to a temp dir.
#include "dpeval/data/source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "data_test_util.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/timer.h"
#include "dpeval/data/npy.h"

namespace dpeval::data {
namespace {

using testing::throws_input_error;

class FashionMnist : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("DPEVAL_FMNIST_DIR", DPEVAL_FMNIST_DIR, 1); }
  void TearDown() override { ::unsetenv("DPEVAL_FMNIST_DIR"); }
};

TEST_F(FashionMnist, LoadsTheOfficialSplit) {
  Stopwatch clock;
  const TrainTest sets = load_data_source("fashion-mnist", {});
  const double seconds = clock.seconds();
  std::printf("fashion-mnist loaded in %.3f s\n", seconds);
  const Dataset& train = sets.train;
  const Dataset& test = sets.test;
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(train.name(), "fashion-mnist/train");
  EXPECT_EQ(train.sample_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(test.sample_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(train.feature_type(), FeatureType::kU8);
  EXPECT_FLOAT_EQ(train.u8_scale(), 1.0f / 255.0f);
  EXPECT_EQ(train.num_classes(), 10);
  EXPECT_EQ(train.class_names()[0], "T-shirt/top");
  EXPECT_EQ(train.class_names()[9], "Ankle boot");
  EXPECT_EQ(train.labels()[0], 9);  // the first training image is an ankle boot
  EXPECT_EQ(test.labels()[0], 9);
  std::vector<int> counts(10);
  for (int32_t y : train.labels()) {
    ASSERT_GE(y, 0);
    ASSERT_LT(y, 10);
    ++counts[static_cast<size_t>(y)];
  }
  for (int c : counts) EXPECT_EQ(c, 6000);  // Fashion-MNIST is balanced

  std::vector<float> x(2 * 784);
  std::vector<int32_t> y(2);
  const std::vector<uint32_t> idx = {0, 59999};
  train.gather(idx, x.data(), y.data());
  EXPECT_EQ(y[0], 9);
  EXPECT_GE(*std::min_element(x.begin(), x.end()), 0.0f);
  EXPECT_LE(*std::max_element(x.begin(), x.end()), 1.0f);
  EXPECT_GT(*std::max_element(x.begin(), x.end()), 0.5f);

  // Pinned: the data and the hash definition together (checkpoints store it).
  EXPECT_EQ(hex64(train.content_hash()), "13a73a25a3dc5d8a");
  EXPECT_EQ(hex64(test.content_hash()), "ca1cbffbfc2f08be");
}

TEST_F(FashionMnist, MissingDirectorySaysWhatToInstall) {
  ::setenv("DPEVAL_FMNIST_DIR", "/nonexistent/fmnist", 1);
  EXPECT_TRUE(
      throws_input_error([] { load_data_source("fashion-mnist", {}); },
                         {"/nonexistent/fmnist", "train-images-idx3-ubyte.gz", "dataset-fashion-mnist"}));
}

TEST(DataSource, CsvIsSplit) {
  const auto dir = testing::fresh_dir();
  std::string text = "a,b,kind,y\n";
  for (int i = 0; i < 50; ++i) {
    text += std::to_string(i) + "," + std::to_string(i * 2) + ",k" + std::to_string(i % 2) + "," +
            std::to_string(i % 3) + "\n";
  }
  write_file_atomic(dir / "t.csv", text);
  DataSourceOptions o;
  o.label_col = "y";
  o.test_fraction = 0.2;
  o.seed = 3;
  const TrainTest sets = load_data_source((dir / "t.csv").string(), o);
  EXPECT_EQ(sets.train.size(), 40u);
  EXPECT_EQ(sets.test.size(), 10u);
  EXPECT_EQ(sets.train.num_classes(), 3);
  EXPECT_EQ(sets.test.categorical_columns().size(), 1u);
  EXPECT_EQ(sets.train.feature_names(), (std::vector<std::string>{"a", "b"}));
  o.test_fraction = 1.5;
  EXPECT_THROW(load_data_source((dir / "t.csv").string(), o), ConfigError);
}

TEST(DataSource, NpyNeedsIntegerLabels) {
  const auto dir = testing::fresh_dir();
  NpyArray x;
  x.dtype = NpyArray::DType::kF32;
  x.shape = {4, 2};
  const float values[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  x.data.resize(sizeof values);
  std::memcpy(x.data.data(), values, sizeof values);
  write_file_atomic(dir / "x.npy", encode_npy(x));
  NpyArray y;
  y.dtype = NpyArray::DType::kI64;
  y.shape = {4};
  const int64_t labels[4] = {0, 1, 1, 2};
  y.data.resize(sizeof labels);
  std::memcpy(y.data.data(), labels, sizeof labels);
  write_file_atomic(dir / "y.npy", encode_npy(y));

  DataSourceOptions o;
  o.test_fraction = 0.25;
  EXPECT_THROW(load_data_source((dir / "x.npy").string(), o), ConfigError);  // no labels path
  o.labels_path = (dir / "y.npy").string();
  const TrainTest sets = load_data_source((dir / "x.npy").string(), o);
  EXPECT_EQ(sets.train.size(), 3u);
  EXPECT_EQ(sets.test.size(), 1u);
  EXPECT_EQ(sets.train.sample_shape(), (Shape{2}));
  EXPECT_EQ(sets.train.num_classes(), 3);

  y.shape = {2, 2};
  write_file_atomic(dir / "y2.npy", encode_npy(y));
  o.labels_path = (dir / "y2.npy").string();
  EXPECT_TRUE(
      throws_input_error([&] { load_data_source((dir / "x.npy").string(), o); }, {"y2.npy", "expected [N]"}));
  y.shape = {4};
  const int64_t negative[4] = {0, -1, 1, 2};
  std::memcpy(y.data.data(), negative, sizeof negative);
  write_file_atomic(dir / "y3.npy", encode_npy(y));
  o.labels_path = (dir / "y3.npy").string();
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "x.npy").string(), o); },
                                 {"y3.npy: element 1: label -1 is out of range"}));
  y.shape = {3};
  y.data.resize(24);
  write_file_atomic(dir / "y4.npy", encode_npy(y));
  o.labels_path = (dir / "y4.npy").string();
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "x.npy").string(), o); },
                                 {"y4.npy: 3 labels for the 4 rows of"}));
}

TEST(DataSource, IdxImagesWithLabels) {
  const auto dir = testing::fresh_dir();
  std::string images = {'\0', '\0', '\x08', '\x03', 0, 0, 0, 6, 0, 0, 0, 2, 0, 0, 0, 3};
  images.append(36, '\x80');
  std::string labels = {'\0', '\0', '\x08', '\x01', 0, 0, 0, 6, 0, 1, 2, 3, 4, 1};
  write_file_atomic(dir / "img-ubyte.gz", testing::gzip(images));
  write_file_atomic(dir / "lab-ubyte", labels);
  DataSourceOptions o;
  o.test_fraction = 0.5;
  EXPECT_THROW(load_data_source((dir / "img-ubyte.gz").string(), o), ConfigError);
  o.labels_path = (dir / "lab-ubyte").string();
  const TrainTest sets = load_data_source((dir / "img-ubyte.gz").string(), o);
  EXPECT_EQ(sets.train.size(), 3u);
  EXPECT_EQ(sets.train.sample_shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(sets.train.num_classes(), 5);
  std::vector<float> x(6);
  const std::vector<uint32_t> first = {0};
  sets.train.gather(first, x.data(), nullptr);
  EXPECT_FLOAT_EQ(x[0], 128.0f / 255.0f);
}

TEST(DataSource, EmptyArraysWithAbsurdRowShapesAreRejectedSafely) {
  const auto dir = testing::fresh_dir();
  NpyArray labels;
  labels.dtype = NpyArray::DType::kI64;
  labels.shape = {0};
  write_file_atomic(dir / "y.npy", encode_npy(labels));
  DataSourceOptions o;
  o.labels_path = (dir / "y.npy").string();
  NpyArray x;
  x.dtype = NpyArray::DType::kU8;
  x.shape = {0, 4000000000, 4000000000, 4000000000};  // no data, but the row shape overflows int64
  EXPECT_EQ(x.numel(), 0);
  write_file_atomic(dir / "x.npy", encode_npy(x));
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "x.npy").string(), o); },
                                 {"x.npy: shape [0, 4000000000, 4000000000, 4000000000] has more than"}));
  x.shape = {5000000000, 2, 0};
  write_file_atomic(dir / "x.npy", encode_npy(x));
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "x.npy").string(), o); },
                                 {"x.npy: 5000000000 rows; at most"}));

  std::string images = {'\0', '\0', '\x08', '\x04', 0, 0, 0, 0};
  images.append(12, '\xff');
  write_file_atomic(dir / "x.idx", images);
  const std::string no_labels = {'\0', '\0', '\x08', '\x01', 0, 0, 0, 0};
  write_file_atomic(dir / "y.idx", no_labels);
  o.labels_path = (dir / "y.idx").string();
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "x.idx").string(), o); },
                                 {"x.idx: shape [0, 4294967295, 4294967295, 4294967295] has more than"}));
}

TEST(DataSource, UnknownSpecIsConfigError) {
  EXPECT_THROW(load_data_source("mnist", {}), ConfigError);
  EXPECT_THROW(load_data_source("data.parquet", {}), ConfigError);
  EXPECT_TRUE(throws_input_error([] { load_data_source("/nonexistent/d.csv", {}); }, {"/nonexistent/d.csv"}));
}

}  // namespace
}  // namespace dpeval::data
