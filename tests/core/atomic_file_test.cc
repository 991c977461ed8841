#include "dpeval/core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "dpeval/core/error.h"

namespace dpeval {
namespace {

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("dpeval_atomic_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(AtomicFile, WritesAndReplaces) {
  auto dir = temp_dir();
  write_file_atomic(dir / "a.txt", std::string_view("first"));
  write_file_atomic(dir / "a.txt", std::string_view("second"));
  EXPECT_EQ(read_file(dir / "a.txt"), "second");
  // No temporary files left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, AbandonedWriterLeavesOldContentAndNoTemp) {
  auto dir = temp_dir();
  write_file_atomic(dir / "a.txt", std::string_view("old"));
  try {
    AtomicFileWriter w(dir / "a.txt");
    w.write(std::string_view("half of the new"));
    throw std::runtime_error("failure mid-write");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(read_file(dir / "a.txt"), "old");
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, UnwritableDirectoryIsIoError) {
  EXPECT_THROW(write_file_atomic("/nonexistent-dir/x.txt", std::string_view("x")), IoError);
}

TEST(AtomicFile, ReadMissingIsInputError) { EXPECT_THROW(read_file("/nonexistent-file"), InputError); }

}  // namespace
}  // namespace dpeval
