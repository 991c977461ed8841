// Hostile inputs to --data resolution (issue 15): a stray huge label, a
// single-class table, an IDX labels byte far above the others, a gzip whose
// header disagrees with its labels (checked before the body is inflated), a
// FIFO and a symlink loop as the data path.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "data/data_test_util.h"
#include "dpeval/data/data.h"

namespace dpeval::data {
namespace {

using testing::throws_input_error;

std::string table(int rows, int stray_row, const std::string& stray_label) {
  std::string text = "a,b,label\n";
  for (int i = 0; i < rows; ++i) {
    text += std::to_string(i) + "," + std::to_string(i % 7) + "," +
            (i == stray_row ? stray_label : std::to_string(i % 3)) + "\n";
  }
  return text;
}

TEST(ClassRule, AStrayHugeIntegerLabelIsNamedNotTrainedOn) {
  const auto dir = testing::fresh_dir();
  write_file_atomic(dir / "t.csv", table(30, 17, "99999"));
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "t.csv").string(), {}); },
                                 {"t.csv", "column 'label'", "data row 18", "99999", "classes"}));
}

TEST(ClassRule, AFewMissingClassesAreFine) {
  const auto dir = testing::fresh_dir();
  // Labels 0, 1, 2 and one 4: class 3 never occurs, 4 of 5 classes do.
  write_file_atomic(dir / "t.csv", table(30, 5, "4"));
  const TrainTest sets = load_data_source((dir / "t.csv").string(), {});
  EXPECT_EQ(sets.train.num_classes(), 5);
}

TEST(ClassRule, SingleClassTableIsRejectedBeforeTraining) {
  const auto dir = testing::fresh_dir();
  std::string text = "a,y\n";
  for (int i = 0; i < 20; ++i) text += std::to_string(i) + ",cat\n";
  write_file_atomic(dir / "one.csv", text);
  DataSourceOptions o;
  o.label_col = "y";
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "one.csv").string(), o); },
                                 {"one.csv", "column 'y'", "'cat'", "at least two classes"}));
}

TEST(ClassRule, TooManyStringClassesAreRefused) {
  const auto dir = testing::fresh_dir();
  std::string text = "a,id\n";
  for (int i = 0; i < kMaxClasses + 5; ++i) text += std::to_string(i) + ",row" + std::to_string(i) + "\n";
  write_file_atomic(dir / "ids.csv", text);
  DataSourceOptions o;
  o.label_col = "id";
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "ids.csv").string(), o); },
                                 {"ids.csv", "column 'id'", std::to_string(kMaxClasses + 5) + " classes",
                                  "at most " + std::to_string(kMaxClasses)}));
}

std::string idx_header(std::initializer_list<uint32_t> dims) {
  std::string out = {'\0', '\0', '\x08', static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((d >> shift) & 0xff));
  }
  return out;
}

TEST(ClassRule, IdxLabelByteFarAboveTheOthersIsNamed) {
  const auto dir = testing::fresh_dir();
  std::string images = idx_header({40, 2, 2});
  images.append(160, '\x10');
  std::string labels = idx_header({40});
  for (int i = 0; i < 40; ++i) labels.push_back(static_cast<char>(i == 33 ? 200 : i % 10));
  write_file_atomic(dir / "img-ubyte", images);
  write_file_atomic(dir / "lab-ubyte", labels);
  DataSourceOptions o;
  o.labels_path = (dir / "lab-ubyte").string();
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "img-ubyte").string(), o); },
                                 {"lab-ubyte", "data row 34", "label 200", "201 classes"}));
}

TEST(IdxGzip, LabelCountIsCheckedAgainstTheHeaderBeforeTheBodyIsInflated) {
  const auto dir = testing::fresh_dir();
  // The header claims 1000 images of 28x28 but the gzip is cut short:
  // inflating the body would fail with "gzip stream is truncated"; the label
  // count (10) must be compared first, from the two headers alone.
  std::string gz = testing::gzip(idx_header({1000, 28, 28}) + std::string(1000 * 784, '\0'));
  gz.resize(gz.size() / 2);
  write_file_atomic(dir / "img-ubyte.gz", gz);
  std::string labels = idx_header({10});
  for (int i = 0; i < 10; ++i) labels.push_back(static_cast<char>(i % 2));
  write_file_atomic(dir / "lab-ubyte", labels);
  DataSourceOptions o;
  o.labels_path = (dir / "lab-ubyte").string();
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "img-ubyte.gz").string(), o); },
                                 {"lab-ubyte", "10 labels for the 1000 rows", "img-ubyte.gz"}));
}

TEST(IdxGzip, HeaderDimsComeFromTheHeaderAlone) {
  std::string gz = testing::gzip(idx_header({3, 4, 5}) + std::string(60, '\x01'));
  gz.resize(gz.size() - 6);  // cut short (parse_idx fails): the header is still readable
  EXPECT_THROW(parse_idx(testing::as_bytes(gz), "x.gz"), InputError);
  EXPECT_EQ(parse_idx_dims(testing::as_bytes(gz), "x.gz"), (std::vector<int64_t>{3, 4, 5}));
}

TEST(DataFiles, AFifoIsRejectedNotReadTwice) {
  const auto dir = testing::fresh_dir();
  const auto fifo = dir / "pipe.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Nothing writes to the pipe: opening it to read would block for ever.
  EXPECT_TRUE(throws_input_error([&] { load_data_source(fifo.string(), {}); },
                                 {"pipe.csv", "FIFO", "expected a regular file"}));
}

TEST(DataFiles, ASymlinkLoopIsBadInput) {
  const auto dir = testing::fresh_dir();
  std::filesystem::create_symlink(dir / "b.csv", dir / "a.csv");
  std::filesystem::create_symlink(dir / "a.csv", dir / "b.csv");
  EXPECT_TRUE(throws_input_error([&] { load_data_source((dir / "a.csv").string(), {}); },
                                 {"a.csv", "symbolic links"}));
}

}  // namespace
}  // namespace dpeval::data
