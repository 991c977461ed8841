#include "dpeval/core/mapped_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "dpeval/core/atomic_file.h"

namespace dpeval {
namespace {

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("dpeval_mapped_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(MappedFile, MapsARegularFileAndKeepsItsBytesThroughHints) {
  const auto dir = temp_dir();
  std::string bytes(3 * 4096 + 17, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>('a' + i % 26);
  write_file_atomic(dir / "f.csv", bytes);
  const MappedFile f(dir / "f.csv");
  ASSERT_TRUE(f.mapped());
  EXPECT_EQ(f.text(), bytes);
  f.prefetch(0, bytes.size() + 100);  // past the end: clamped
  f.populate(4096 + 3, bytes.size() + 100);
  f.release(0, 2 * 4096 + 5);         // dropped pages come back from the page cache
  f.release(10, 5);                   // an empty range
  f.populate(10, 5);
  f.populate(bytes.size() + 1, bytes.size() + 4096);  // wholly past the end
  EXPECT_EQ(f.text(), bytes);
}

TEST(MappedFile, LeavesOtherPathsToTheCaller) {
  const auto dir = temp_dir();
  write_file_atomic(dir / "empty.csv", std::string_view());
  for (const auto& path : {dir / "empty.csv", dir / "missing.csv", dir}) {
    const MappedFile f(path);
    EXPECT_FALSE(f.mapped()) << path;
    EXPECT_TRUE(f.text().empty());
    f.prefetch(0, 10);
    f.populate(0, 10);
    f.release(0, 10);
  }
}

}  // namespace
}  // namespace dpeval
