// IDX reader: round trips (plain and gzip), a hand-written golden file, and every
// kind of bad input, each of which must be an InputError naming the byte offset.
#include "dpeval/data/idx.h"

#include <gtest/gtest.h>

#include "data_test_util.h"

namespace dpeval::data {
namespace {

using testing::as_bytes;
using testing::gzip;
using testing::throws_input_error;

std::string idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::string s = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((d >> shift) & 0xff));
  }
  return s;
}

std::string idx_file(const std::vector<uint32_t>& dims, size_t items) {
  std::string s = idx_header(0x08, dims);
  for (size_t i = 0; i < items; ++i) s.push_back(static_cast<char>(i * 7 % 256));
  return s;
}

TEST(Idx, GoldenBytes) {
  const std::string golden("\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03\x01\x02\x03\x04\x05\xff", 18);
  const IdxArray a = parse_idx(as_bytes(golden), "golden.idx");
  EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 2, 3, 4, 5, 255}));
}

TEST(Idx, PlainAndGzipRoundTripThroughFiles) {
  const auto dir = testing::fresh_dir();
  const std::string raw = idx_file({5, 4, 3}, 60);
  write_file_atomic(dir / "a-ubyte", raw);
  write_file_atomic(dir / "a-ubyte.gz", gzip(raw));
  const IdxArray plain = read_idx(dir / "a-ubyte");
  const IdxArray zipped = read_idx(dir / "a-ubyte.gz");
  EXPECT_EQ(plain.dims, (std::vector<int64_t>{5, 4, 3}));
  ASSERT_EQ(plain.data.size(), 60u);
  EXPECT_EQ(plain.data[59], static_cast<uint8_t>(59 * 7 % 256));
  EXPECT_EQ(zipped.dims, plain.dims);
  EXPECT_EQ(zipped.data, plain.data);
}

TEST(Idx, ZeroRowsAndLargeRatioAreFine) {
  EXPECT_TRUE(parse_idx(as_bytes(idx_file({0, 28, 28}, 0)), "e.idx").data.empty());
  EXPECT_TRUE(
      parse_idx(as_bytes(idx_file({0xffffffffu, 0xffffffffu, 0xffffffffu, 0}, 0)), "e.idx").data.empty());
  // 4 MB of zeros compresses ~1000:1; the header's claim is honest, so it loads.
  std::string raw = idx_header(0x08, {4u << 20});
  raw.append(4u << 20, '\0');
  EXPECT_EQ(parse_idx(as_bytes(gzip(raw, 9)), "zeros.gz").data.size(), 4u << 20);
}

TEST(Idx, ConcatenatedGzipMembersAreOneStream) {
  const std::string raw = idx_file({10}, 10);
  const std::string two = gzip(raw.substr(0, 7)) + gzip(raw.substr(7));
  EXPECT_EQ(parse_idx(as_bytes(two), "two.gz").data.size(), 10u);
}

TEST(Idx, RejectsMissingFile) {
  EXPECT_TRUE(
      throws_input_error([] { read_idx("/nonexistent/x.idx"); }, {"/nonexistent/x.idx", "cannot open"}));
}

TEST(Idx, RejectsTruncatedMagic) {
  EXPECT_TRUE(throws_input_error([] { parse_idx(as_bytes(std::string("\0\0", 2)), "t.idx"); },
                                 {"t.idx: byte 2:", "expected a 4-byte magic"}));
  EXPECT_TRUE(throws_input_error([] { parse_idx({}, "empty.idx"); }, {"empty.idx: byte 0:"}));
}

TEST(Idx, RejectsWrongMagic) {
  EXPECT_TRUE(throws_input_error([] { parse_idx(as_bytes("PK\x03\x04rest"), "zip.idx"); },
                                 {"zip.idx: byte 0: not an IDX file", "50 4b 03 04"}));
}

TEST(Idx, RejectsOtherItemTypes) {
  EXPECT_TRUE(throws_input_error([] { parse_idx(as_bytes(idx_header(0x0D, {1}) + "abcd"), "f.idx"); },
                                 {"f.idx: byte 2:", "0x0d (float32)", "expected unsigned byte (0x08)"}));
}

TEST(Idx, RejectsZeroDimensions) {
  EXPECT_TRUE(throws_input_error([] { parse_idx(as_bytes(idx_header(0x08, {})), "z.idx"); },
                                 {"z.idx: byte 3:", "0 dimensions"}));
}

TEST(Idx, RejectsTruncatedHeader) {
  const std::string cut = idx_header(0x08, {60000, 28, 28}).substr(0, 10);
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(cut), "h.idx"); },
                                 {"h.idx: byte 10:", "3 dimensions need 16 header bytes"}));
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(gzip(cut)), "h.gz"); },
                                 {"h.gz: decompressed byte 10:", "truncated IDX header"}));
}

TEST(Idx, RejectsAbsurdClaimBeforeAllocating) {
  const std::string huge = idx_header(0x08, {4000000000u, 28, 28}) + std::string(1000, 'x');
  EXPECT_TRUE(
      throws_input_error([&] { parse_idx(as_bytes(huge), "images.idx"); },
                         {"images.idx: byte 4: header claims 4000000000 x 28 x 28 items (needs 3.1 TB)",
                          "but the file has 1.0 kB"}));
  const std::string overflow = idx_header(0x08, {0xffffffffu, 0xffffffffu, 0xffffffffu});
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(overflow), "o.idx"); },
                                 {"o.idx: byte 4:", "more than 18 EB"}));
  // gzip: a claim beyond deflate's 1032:1 is refused without inflating anything.
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(gzip(huge)), "images.gz"); },
                                 {"images.gz: decompressed byte 4: header claims 4000000000 x 28 x 28",
                                  "gzip file has only", "at most"}));
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(gzip(overflow)), "o.gz"); }, {"more than 18 EB"}));
}

TEST(Idx, RejectsTruncatedData) {
  const std::string short_file = idx_file({10, 10}, 60);
  EXPECT_TRUE(throws_input_error(
      [&] { parse_idx(as_bytes(short_file), "s.idx"); },
      {"s.idx: byte 4: header claims 10 x 10 items (needs 100 bytes) but the file has 60 bytes"}));
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(gzip(short_file)), "s.gz"); },
                                 {"s.gz: decompressed byte 72: IDX data is truncated", "after 60 of them"}));
}

TEST(Idx, RejectsTrailingBytes) {
  const std::string long_file = idx_file({10}, 13);
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(long_file), "l.idx"); },
                                 {"l.idx: byte 18: 3 unexpected bytes after the 10 items"}));
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(gzip(long_file)), "l.gz"); },
                                 {"l.gz: decompressed byte 18: unexpected bytes"}));
}

TEST(Idx, RejectsTruncatedGzipStream) {
  const std::string raw = idx_file({100, 100}, 10000);
  const std::string z = gzip(raw);
  for (size_t keep : {size_t{1}, size_t{2}, size_t{10}, z.size() / 2, z.size() - 4, z.size() - 1}) {
    EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(z.substr(0, keep)), "cut.gz"); }, {"cut.gz:"}))
        << "kept " << keep << " of " << z.size();
  }
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(z.substr(0, z.size() - 4)), "cut.gz"); },
                                 {"cut.gz: gzip stream is truncated"}));
}

TEST(Idx, RejectsCorruptGzip) {
  const std::string raw = idx_file({100, 100}, 10000);
  std::string z = gzip(raw);
  for (size_t i = 20; i < 40; ++i) z[i] = static_cast<char>(z[i] ^ 0x5a);
  EXPECT_TRUE(throws_input_error([&] { parse_idx(as_bytes(z), "bad.gz"); }, {"bad.gz:"}));
  std::string garbage = gzip(raw) + "GARBAGE";
  EXPECT_TRUE(
      throws_input_error([&] { parse_idx(as_bytes(garbage), "g.gz"); }, {"g.gz: byte", "trailing garbage"}));
}

}  // namespace
}  // namespace dpeval::data
