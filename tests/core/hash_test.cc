#include "dpeval/core/hash.h"

#include <gtest/gtest.h>

namespace dpeval {
namespace {

TEST(Hash, IncrementalEqualsOneShot) {
  std::string text = "the quick brown fox jumps over the lazy dog";
  Hasher h;
  h.update(std::string_view(text).substr(0, 10)).update(std::string_view(text).substr(10));
  EXPECT_EQ(h.digest(), hash64(text));
  EXPECT_NE(hash64(text), hash64(text + "."));
  EXPECT_NE(hash64(text, 1), hash64(text, 2));
}

TEST(Hash, Hex64IsSixteenDigits) {
  EXPECT_EQ(hex64(0), "0000000000000000");
  EXPECT_EQ(hex64(0xdeadbeefull), "00000000deadbeef");
}

TEST(Hash, Sha256KnownVector) {
  std::string abc = "abc";
  EXPECT_EQ(sha256_hex(std::as_bytes(std::span(abc.data(), abc.size()))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace dpeval
