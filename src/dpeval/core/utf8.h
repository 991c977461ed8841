// UTF-8 for text that goes into JSON: a document can hold only valid UTF-8,
// and a data file's cells need not be (Latin-1, binary junk).
#pragma once

#include <string>
#include <string_view>

namespace dpeval {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with every byte that does not start a well-formed sequence replaced
// by U+FFFD (the replacement character); valid text comes back unchanged.
std::string to_valid_utf8(std::string_view text);

}  // namespace dpeval
