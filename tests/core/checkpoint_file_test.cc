// CheckpointFile: round trips, then every way a file can be wrong — each prefix,
// each single-bit flip, wrong magic, newer version, and crafted files whose
// checksum is valid but whose structure is not — must be an InputError that
// names the byte offset; saving is atomic.
#include "dpeval/core/checkpoint_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"

namespace dpeval {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  auto dir = fs::temp_directory_path() / ("dpeval_ckpt_" + std::to_string(::getpid()) + "_" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto b = std::as_bytes(std::span<const char>(text.data(), text.size()));
  return {b.begin(), b.end()};
}

// A small checkpoint with the kinds of sections the trainer writes.
CheckpointFile small_checkpoint() {
  CheckpointFile f;
  f.put_string("config", R"({"lr":0.05})");
  const float params[] = {1.5f, -0.0f, 3.25f};
  f.put_floats("params", params);
  f.put("empty", {});
  return f;
}

// The message of the InputError parse() throws for `bytes`, or "" if it parses.
std::string parse_error(std::span<const std::byte> bytes) {
  try {
    CheckpointFile::parse(bytes, "test.dpck");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void put_u32(std::vector<std::byte>& bytes, size_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<std::byte>(value >> (8 * i));
}

void put_u64(std::vector<std::byte>& bytes, size_t offset, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes[offset + i] = static_cast<std::byte>(value >> (8 * i));
}

// Rewrites the trailer so the checksum is valid again: a crafted file that only
// the structural checks can reject.
void reseal(std::vector<std::byte>& bytes) {
  const size_t body = bytes.size() - 8;
  put_u64(bytes, body, hash64(std::span<const std::byte>(bytes).first(body)));
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(CheckpointFile, RoundTripsInMemory) {
  const CheckpointFile f = small_checkpoint();
  const std::vector<std::byte> bytes = f.serialize();
  const CheckpointFile g = CheckpointFile::parse(bytes, "mem");
  EXPECT_EQ(g.source_name(), "mem");
  EXPECT_EQ(g.section_names(), (std::vector<std::string_view>{"config", "params", "empty"}));
  EXPECT_EQ(g.get_string("config"), R"({"lr":0.05})");
  const std::vector<float> params = g.get_floats("params", 3);
  EXPECT_TRUE(same_bits(params[0], 1.5f));
  EXPECT_TRUE(same_bits(params[1], -0.0f));
  EXPECT_TRUE(same_bits(params[2], 3.25f));
  EXPECT_TRUE(g.get("empty").empty());
  EXPECT_TRUE(g.has("empty"));
  EXPECT_FALSE(g.has("missing"));
  EXPECT_EQ(g.serialize(), bytes);  // canonical: parse then serialize is the identity
}

TEST(CheckpointFile, LayoutIsTheDocumentedOne) {
  CheckpointFile f;
  f.put_string("ab", "xyz");
  const std::vector<std::byte> bytes = f.serialize();
  ASSERT_EQ(bytes.size(), 16u + 4 + 2 + 8 + 3 + 8);
  EXPECT_EQ(std::memcmp(bytes.data(), "DPEVALCK\x01\0\0\0\x01\0\0\0\x02\0\0\0ab\x03\0\0\0\0\0\0\0xyz", 33),
            0);
  const uint64_t checksum = hash64(std::span<const std::byte>(bytes).first(33));
  std::vector<std::byte> expected_trailer(8);
  put_u64(expected_trailer, 0, checksum);
  EXPECT_TRUE(std::equal(expected_trailer.begin(), expected_trailer.end(), bytes.begin() + 33));
}

TEST(CheckpointFile, EmptyCheckpointRoundTrips) {
  const std::vector<std::byte> bytes = CheckpointFile().serialize();
  EXPECT_EQ(bytes.size(), CheckpointFile::kHeaderBytes + CheckpointFile::kTrailerBytes);
  EXPECT_TRUE(CheckpointFile::parse(bytes, "mem").section_names().empty());
}

TEST(CheckpointFile, FloatsKeepEveryBit) {
  const std::vector<float> values = {std::numeric_limits<float>::quiet_NaN(),
                                     std::numeric_limits<float>::infinity(),
                                     std::numeric_limits<float>::denorm_min(), -0.0f, 1e30f};
  CheckpointFile f;
  f.put_floats("v", values);
  const std::vector<float> back = CheckpointFile::parse(f.serialize(), "mem").get_floats("v", values.size());
  ASSERT_EQ(back.size(), values.size());
  EXPECT_EQ(std::memcmp(back.data(), values.data(), values.size() * sizeof(float)), 0);
}

TEST(CheckpointFile, PutReplacesInPlace) {
  CheckpointFile f = small_checkpoint();
  f.put_string("config", "new");
  EXPECT_EQ(f.section_names(), (std::vector<std::string_view>{"config", "params", "empty"}));
  EXPECT_EQ(f.get_string("config"), "new");
}

TEST(CheckpointFile, MissingSectionNamesTheOnesPresent) {
  const CheckpointFile f = CheckpointFile::parse(small_checkpoint().serialize(), "run/ck.dpck");
  try {
    f.get("optimizer.state");
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_STREQ(
        e.what(),
        "run/ck.dpck: checkpoint has no section 'optimizer.state' (sections: config, params, empty)");
  }
  EXPECT_THROW(CheckpointFile().get_string("x"), InputError);
}

TEST(CheckpointFile, FloatCountMismatchNamesBoth) {
  const CheckpointFile f = small_checkpoint();
  try {
    f.get_floats("params", 4);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'params'"), std::string::npos) << what;
    EXPECT_NE(what.find("3 floats"), std::string::npos) << what;
    EXPECT_NE(what.find("expected 4 floats"), std::string::npos) << what;
  }
  EXPECT_THROW(f.get_floats("config", 2), InputError);  // 11 bytes: not a whole number of floats
  EXPECT_NO_THROW(f.get_floats("empty", 0));
}

TEST(CheckpointFile, EveryTruncationIsInputError) {
  const std::vector<std::byte> bytes = small_checkpoint().serialize();
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_NE(parse_error(std::span<const std::byte>(bytes).first(length)), "") << "prefix of " << length;
  }
  EXPECT_EQ(parse_error(bytes), "");
}

TEST(CheckpointFile, TrailingGarbageIsInputError) {
  std::vector<std::byte> bytes = small_checkpoint().serialize();
  bytes.push_back(std::byte{0});
  EXPECT_NE(parse_error(bytes), "");
  reseal(bytes);  // even with a checksum over the garbage
  const size_t garbage_at = bytes.size() - 8 - 1;
  EXPECT_NE(parse_error(bytes).find("byte " + std::to_string(garbage_at) +
                                    ": 1 bytes after the last of 3 sections"),
            std::string::npos)
      << parse_error(bytes);
}

TEST(CheckpointFile, EverySingleBitFlipIsInputError) {
  const std::vector<std::byte> good = small_checkpoint().serialize();
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<std::byte> bytes = good;
      bytes[i] ^= static_cast<std::byte>(1 << bit);
      EXPECT_NE(parse_error(bytes), "") << "byte " << i << " bit " << bit;
    }
  }
}

TEST(CheckpointFile, WrongMagic) {
  std::vector<std::byte> bytes = small_checkpoint().serialize();
  bytes[0] = std::byte{'X'};
  EXPECT_EQ(parse_error(bytes),
            "test.dpck: byte 0: not a dpeval checkpoint: bad magic \"XPEVALCK\", expected \"DPEVALCK\"");
  const std::string text = "# a TOML file, not a checkpoint at all\n";
  EXPECT_NE(parse_error(bytes_of(text)).find("not a dpeval checkpoint: bad magic"), std::string::npos);
}

TEST(CheckpointFile, NewerVersionSaysSo) {
  std::vector<std::byte> bytes = small_checkpoint().serialize();
  put_u32(bytes, 8, 2);
  reseal(bytes);
  EXPECT_NE(
      parse_error(bytes).find("test.dpck: byte 8: format version 2 was written by a newer dpeval, expected "
                              "version 1"),
      std::string::npos)
      << parse_error(bytes);
  put_u32(bytes, 8, 0);
  reseal(bytes);
  EXPECT_NE(parse_error(bytes).find("byte 8: unsupported format version 0"), std::string::npos);
}

TEST(CheckpointFile, ChecksumMismatchSaysCorruptedOrTruncated) {
  std::vector<std::byte> bytes = small_checkpoint().serialize();
  bytes[20] ^= std::byte{0x40};
  const std::string what = parse_error(bytes);
  EXPECT_NE(what.find("byte " + std::to_string(bytes.size() - 8) +
                      ": checksum mismatch: file is corrupted or truncated"),
            std::string::npos)
      << what;
}

TEST(CheckpointFile, TooShort) {
  EXPECT_EQ(parse_error({}),
            "test.dpck: byte 0: file ends after 0 bytes, too short for a checkpoint, expected at "
            "least 24 bytes (header and checksum)");
}

// Crafted files with valid checksums: the structural checks alone must reject
// them, with the offset of the bad field, without allocating what they claim.
TEST(CheckpointFile, CraftedLengthsAreCheckedAgainstTheRemainingBytes) {
  const std::vector<std::byte> good = small_checkpoint().serialize();
  // Layout of small_checkpoint(): count at 12; sections at 16 ("config", 29
  // bytes: name length at 16, name at 20, payload length at 26, payload at 34),
  // 45 ("params", 30 bytes) and 75 ("empty", 17 bytes); trailer at 92.
  struct Case {
    size_t offset;
    uint32_t value;
    std::string expect;
  };
  const Case cases[] = {
      {12, 0xffffffffu, "byte 12: section count 4294967295 cannot fit in the 76 bytes of sections"},
      {12, 4, "byte 92: section 3 name length of 4 bytes runs past the end (0 bytes remain"},
      {12, 2, "byte 75: 17 bytes after the last of 2 sections, expected the checksum trailer"},
      {16, 0, "byte 16: section 0 name length 0, expected 1 to 1024 bytes"},
      {16, 0xffffffffu, "byte 16: section 0 name length 4294967295, expected 1 to 1024 bytes"},
      {16, 1000, "byte 20: section 0 name of 1000 bytes runs past the end (72 bytes remain"},
  };
  for (const Case& c : cases) {
    std::vector<std::byte> bytes = good;
    put_u32(bytes, c.offset, c.value);
    reseal(bytes);
    const std::string what = parse_error(bytes);
    EXPECT_NE(what.find(c.expect), std::string::npos) << what;
  }
  for (uint64_t huge : {uint64_t{1} << 62, ~uint64_t{0}, uint64_t{1000}}) {
    std::vector<std::byte> bytes = good;
    put_u64(bytes, 26, huge);
    reseal(bytes);
    const std::string what = parse_error(bytes);
    EXPECT_NE(what.find("byte 34: section 'config' payload of " + std::to_string(huge) +
                        " bytes runs past the end"),
              std::string::npos)
        << what;
  }
}

TEST(CheckpointFile, DuplicateSectionNamesAreRejected) {
  CheckpointFile f;
  f.put_string("aa", "1");
  f.put_string("ab", "2");
  std::vector<std::byte> bytes = f.serialize();
  // Second section's name starts at 16 + 4 + 2 + 8 + 1 + 4 = 35.
  bytes[36] = std::byte{'a'};
  reseal(bytes);
  EXPECT_NE(parse_error(bytes).find("byte 31: duplicate section 'aa', expected unique section names"),
            std::string::npos)
      << parse_error(bytes);
}

TEST(CheckpointFile, SaveAndLoad) {
  const fs::path dir = temp_dir();
  const CheckpointFile f = small_checkpoint();
  f.save(dir / "ck.dpck");
  const std::string on_disk = read_file(dir / "ck.dpck");
  const std::vector<std::byte> expected = f.serialize();
  ASSERT_EQ(on_disk.size(), expected.size());
  EXPECT_EQ(std::memcmp(on_disk.data(), expected.data(), expected.size()), 0);  // streamed == serialize()
  const CheckpointFile g = CheckpointFile::load(dir / "ck.dpck");
  EXPECT_EQ(g.source_name(), (dir / "ck.dpck").string());
  EXPECT_EQ(g.get_string("config"), R"({"lr":0.05})");

  CheckpointFile h;
  h.put_string("other", "x");
  h.save(dir / "ck.dpck");  // replaces
  EXPECT_EQ(CheckpointFile::load(dir / "ck.dpck").section_names(), (std::vector<std::string_view>{"other"}));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1) << "temporary file left";
}

TEST(CheckpointFile, LoadMissingFileIsInputError) {
  EXPECT_THROW(CheckpointFile::load("/nonexistent-dir/ck.dpck"), InputError);
}

TEST(CheckpointFile, FailedSaveLeavesTheExistingFileAndNoTemporary) {
  const fs::path dir = temp_dir();
  const fs::path path = dir / "ck.dpck";
  small_checkpoint().save(path);
  const std::string before = read_file(path);
  CheckpointFile replacement;
  replacement.put_string("config", "replacement");

  EXPECT_THROW(replacement.save(dir / "no-such-dir" / "ck.dpck"), IoError);

  // A write that fails half way (a full disk, simulated by a file size limit
  // that root is held to as well).
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 16;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  EXPECT_THROW(replacement.save(path), IoError);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1) << "temporary file left";
  EXPECT_EQ(CheckpointFile::load(path).get_string("config"), R"({"lr":0.05})");
}

// A FIFO, a device or a directory named as a checkpoint is refused at once:
// reading a FIFO with no writer would wait for ever.
TEST(CheckpointFile, AFifoDeviceOrDirectoryIsRefusedNotWaitedOn) {
  const std::filesystem::path fifo = std::filesystem::path(testing::TempDir()) / "checkpoint_fifo.dpck";
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::filesystem::path& p :
       {fifo, std::filesystem::path("/dev/null"), std::filesystem::path(testing::TempDir())}) {
    try {
      CheckpointFile::load(p);
      ADD_FAILURE() << "loaded " << p;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dpeval
