// Base64: encoded through OpenSSL's EVP_EncodeBlock (core already links
// libcrypto for SHA-256), decoded by a table of our own (see base64_decode).
#include "dpeval/core/base64.h"

#include <openssl/evp.h>

#include <array>
#include <climits>
#include <cstdint>

#include "dpeval/core/error.h"

namespace dpeval {

std::string base64_encode(std::span<const std::byte> bytes) {
  std::string out;
  constexpr size_t kChunk = size_t{3} << 20;  // a multiple of 3: chunks encode without inner padding
  out.resize((bytes.size() + 2) / 3 * 4);
  size_t written = 0;
  for (size_t at = 0; at < bytes.size(); at += kChunk) {
    const size_t n = std::min(kChunk, bytes.size() - at);
    written += static_cast<size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                                                   reinterpret_cast<const unsigned char*>(bytes.data() + at),
                                                   static_cast<int>(n)));
  }
  out.resize(written);
  return out;
}

namespace {

constexpr uint8_t kNotBase64 = 0xFF;

// The 6-bit value of each base64 character; kNotBase64 for every other byte
// ('=' included: padding is taken apart before the table is used).
constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  t.fill(kNotBase64);
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t k = 0; k < kAlphabet.size(); ++k)
    t[static_cast<unsigned char>(kAlphabet[k])] = static_cast<uint8_t>(k);
  return t;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

}  // namespace

// Decoded here rather than by EVP_DecodeBlock, which tests every character
// with isalnum() and decoded a profile's payloads at a tenth of this loop's
// speed (one table load a character, the validity of a whole text one OR).
std::vector<std::byte> base64_decode(std::string_view text, std::string_view what) {
  if (text.size() % 4 != 0) {
    throw InputError(std::string(what) + ": base64 text of " + std::to_string(text.size()) +
                     " characters; expected a multiple of 4");
  }
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<std::byte> out(text.size() / 4 * 3 - padding);
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  auto* to = reinterpret_cast<unsigned char*>(out.data());
  const size_t groups = text.size() / 4, whole = padding > 0 ? groups - 1 : groups;
  uint8_t seen = 0;  // the OR of every value: kNotBase64's high bits once any character is not base64
  for (size_t g = 0; g < whole; ++g, in += 4, to += 3) {
    const uint8_t a = kDecode[in[0]], b = kDecode[in[1]], c = kDecode[in[2]], d = kDecode[in[3]];
    seen |= a | b | c | d;
    const uint32_t v = uint32_t{a} << 18 | uint32_t{b} << 12 | uint32_t{c} << 6 | d;
    to[0] = static_cast<unsigned char>(v >> 16);
    to[1] = static_cast<unsigned char>(v >> 8);
    to[2] = static_cast<unsigned char>(v);
  }
  if (padding > 0) {  // the last group: "xx==" is one byte, "xxx=" two
    const uint8_t a = kDecode[in[0]], b = kDecode[in[1]], c = padding == 1 ? kDecode[in[2]] : 0;
    seen |= a | b | c;
    const uint32_t v = uint32_t{a} << 18 | uint32_t{b} << 12 | uint32_t{c} << 6;
    to[0] = static_cast<unsigned char>(v >> 16);
    if (padding == 1) to[1] = static_cast<unsigned char>(v >> 8);
  }
  if ((seen & 0xC0) != 0) {
    if (text.substr(0, text.size() - padding).find('=') != std::string_view::npos) {
      throw InputError(std::string(what) + ": base64 padding '=' before the end");
    }
    throw InputError(std::string(what) + ": not base64 text");
  }
  return out;
}

}  // namespace dpeval
