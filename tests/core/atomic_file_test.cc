#include "dpeval/core/atomic_file.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

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

namespace dpeval {
namespace {

namespace fs = std::filesystem;

int count_entries(const fs::path& dir) {
  int n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFileTargets, TemporaryIsNotAPredictableNameThatFollowsSymlinks) {
  auto dir = temp_dir();
  write_file_atomic(dir / "victim.txt", std::string_view("precious"));
  // The old scheme's name for the temporary: a planted symlink there must not
  // be written through.
  fs::create_symlink(dir / "victim.txt", dir / ("out.txt.tmp." + std::to_string(::getpid())));
  write_file_atomic(dir / "out.txt", std::string_view("result"));
  EXPECT_EQ(read_file(dir / "victim.txt"), "precious");
  EXPECT_EQ(read_file(dir / "out.txt"), "result");
  EXPECT_EQ(count_entries(dir), 3);  // victim, the planted link, out
}

TEST(AtomicFileTargets, WritingThroughASymlinkReplacesTheFileAndKeepsTheLink) {
  auto dir = temp_dir();
  write_file_atomic(dir / "real.txt", std::string_view("old"));
  fs::create_symlink("real.txt", dir / "link.txt");
  write_file_atomic(dir / "link.txt", std::string_view("new"));
  EXPECT_TRUE(fs::is_symlink(dir / "link.txt"));
  EXPECT_EQ(read_file(dir / "real.txt"), "new");
}

TEST(AtomicFileTargets, ReplacedFileKeepsItsPermissions) {
  auto dir = temp_dir();
  write_file_atomic(dir / "a.txt", std::string_view("old"));
  fs::permissions(dir / "a.txt", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  write_file_atomic(dir / "a.txt", std::string_view("new"));
  EXPECT_EQ(fs::status(dir / "a.txt").permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST(AtomicFileTargets, CharacterDeviceIsWrittenInPlaceNotReplaced) {
  // /dev/null itself: before the fix a rename replaced it with a regular file.
  write_file_atomic("/dev/null", std::string_view("discarded"));
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
}

TEST(AtomicFileTargets, FifoIsWrittenInPlaceAndOneWithoutReaderIsAnError) {
  auto dir = temp_dir();
  const fs::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW(write_file_atomic(fifo, std::string_view("nobody reads")), IoError);
  std::string received;
  std::thread reader([&] {
    std::ifstream in(fifo);
    received.assign(std::istreambuf_iterator<char>(in), {});
  });
  // The reader's open blocks until a writer comes; retry while it has not.
  for (int attempt = 0;; ++attempt) {
    try {
      write_file_atomic(fifo, std::string_view("through the pipe"));
      break;
    } catch (const IoError&) {
      ASSERT_LT(attempt, 10000);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  reader.join();
  EXPECT_EQ(received, "through the pipe");
  EXPECT_TRUE(fs::is_fifo(fifo));
}

TEST(AtomicFileTargets, DirectoryAndDanglingSymlinkAreRefused) {
  auto dir = temp_dir();
  fs::create_directory(dir / "sub");
  EXPECT_THROW(write_file_atomic(dir / "sub", std::string_view("x")), IoError);
  fs::create_symlink(dir / "nowhere", dir / "dangling");
  EXPECT_THROW(write_file_atomic(dir / "dangling", std::string_view("x")), IoError);
  EXPECT_FALSE(fs::exists(dir / "nowhere"));
  EXPECT_EQ(count_entries(dir), 2);
}

TEST(AtomicFileTargets, SeveralOutputsAreReplacedAllOrNone) {
  auto dir = temp_dir();
  write_file_atomic(dir / "a.json", std::string_view("old a"));
  fs::create_directory(dir / "b.html");  // the second output cannot be written
  const FileText files[] = {{dir / "a.json", "new a"}, {dir / "b.html", "new b"}};
  EXPECT_THROW(write_files_atomic(files), IoError);
  EXPECT_EQ(read_file(dir / "a.json"), "old a");
  EXPECT_EQ(count_entries(dir), 2);  // no temporary left
  fs::remove(dir / "b.html");
  write_files_atomic(files);
  EXPECT_EQ(read_file(dir / "a.json"), "new a");
  EXPECT_EQ(read_file(dir / "b.html"), "new b");
}

TEST(AtomicFileTargets, TemporaryIsRemovedWhenTheProcessIsTerminated) {
  auto dir = temp_dir();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    remove_temporary_files_on_signals();
    AtomicFileWriter w(dir / "big.dpck");
    w.write(std::string_view("half a checkpoint"));
    ::raise(SIGTERM);
    ::_exit(0);  // not reached: the handler re-raises with the default action
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  EXPECT_EQ(count_entries(dir), 0);
}

TEST(AtomicFileTargets, FileIdentitySeesThroughLinks) {
  auto dir = temp_dir();
  write_file_atomic(dir / "a.csv", std::string_view("x"));
  fs::create_symlink(dir / "a.csv", dir / "sym.csv");
  fs::create_hard_link(dir / "a.csv", dir / "hard.csv");
  EXPECT_EQ(file_identity(dir / "sym.csv"), file_identity(dir / "a.csv"));
  EXPECT_EQ(file_identity(dir / "hard.csv"), file_identity(dir / "a.csv"));
  EXPECT_FALSE(file_identity(dir / "missing.csv"));
}

}  // namespace
}  // namespace dpeval
