// core/base64.h: RFC 4648's vectors, round trips of every length near a group
// boundary, and every way a text can fail to be base64.
#include "dpeval/core/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dpeval/core/error.h"

namespace dpeval {
namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> out(s.size());
  for (size_t i = 0; i < s.size(); ++i) out[i] = static_cast<std::byte>(s[i]);
  return out;
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {{"", ""},
                                                                   {"f", "Zg=="},
                                                                   {"fo", "Zm8="},
                                                                   {"foo", "Zm9v"},
                                                                   {"foob", "Zm9vYg=="},
                                                                   {"fooba", "Zm9vYmE="},
                                                                   {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(base64_encode(bytes_of(plain)), coded);
    EXPECT_EQ(base64_decode(coded, "v"), bytes_of(plain)) << coded;
  }
}

TEST(Base64, EveryByteAndLengthRoundTrips) {
  std::mt19937_64 rng(3);
  for (size_t n : {1, 2, 3, 4, 5, 6, 7, 255, 256, 257, 1000, 1000000}) {
    std::vector<std::byte> b(n);
    for (auto& x : b) x = static_cast<std::byte>(rng());
    EXPECT_EQ(base64_decode(base64_encode(b), "v"), b) << n;
  }
  std::vector<std::byte> all(256);
  for (size_t i = 0; i < 256; ++i) all[i] = static_cast<std::byte>(i);
  EXPECT_EQ(base64_decode(base64_encode(all), "v"), all);
}

TEST(Base64, TextThatIsNotBase64IsRefusedNamingWhat) {
  for (std::string_view bad : {"Zg=", "Zm9v\n", "Zm9vYmF", "Zm=v", "Zm9*", "Zg==Zg==", "=Zm9",
                               "====", "Z===", " Zm9", "Zm9v\xC3\xA9==", "Zm9-", "Zm9_"}) {
    try {
      base64_decode(bad, "profile.json: x.data");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("profile.json: x.data: "), std::string::npos) << e.what();
    }
  }
  try {
    base64_decode("Zg==Zg==", "w");
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("padding"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dpeval
