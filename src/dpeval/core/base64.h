// Base64 (RFC 4648, with padding, no line breaks) for binary payloads inside
// JSON documents: a reference profile's sorted values (monitor/profile.h).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval {

std::string base64_encode(std::span<const std::byte> bytes);

// The bytes of `text`; throws InputError("<what>: ...") when it is not base64
// (a character outside the alphabet, a length not a multiple of 4, padding
// anywhere but the end).
std::vector<std::byte> base64_decode(std::string_view text, std::string_view what);

}  // namespace dpeval
