// Base64 through OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock (core already
// links libcrypto for SHA-256).
#include "dpeval/core/base64.h"

#include <openssl/evp.h>

#include <climits>

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

std::vector<std::byte> base64_decode(std::string_view text, std::string_view what) {
  if (text.size() % 4 != 0) {
    throw InputError(std::string(what) + ": base64 text of " + std::to_string(text.size()) +
                     " characters; expected a multiple of 4");
  }
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<std::byte> out(text.size() / 4 * 3);
  constexpr size_t kChunk = size_t{4} << 20;  // a multiple of 4
  size_t written = 0;
  for (size_t at = 0; at < text.size(); at += kChunk) {
    const size_t n = std::min(kChunk, text.size() - at);
    const int got =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                        reinterpret_cast<const unsigned char*>(text.data() + at), static_cast<int>(n));
    if (got < 0) throw InputError(std::string(what) + ": not base64 text");
    written += static_cast<size_t>(got);
  }
  if (text.substr(0, text.size() - padding).find('=') != std::string_view::npos) {
    throw InputError(std::string(what) + ": base64 padding '=' before the end");
  }
  out.resize(written - padding);
  return out;
}

}  // namespace dpeval
