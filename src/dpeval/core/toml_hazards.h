// A guard in front of toml++: refuses text that would drive Debian's toml++
// 3.3.0 into undefined behaviour. See Note [toml++ 3.3 unreachable].
#pragma once

#include <string_view>

namespace dpeval {

// Note [toml++ 3.3 unreachable]
// Debian's toml++ 3.3.0 reaches __builtin_unreachable() (undefined behaviour)
// in is_non_ascii_horizontal_whitespace() for many non-ASCII code points
// (U+00A1..U+0499 among them), and its parser asks that question wherever it
// looks for whitespace or a value's end: between tokens, after a key, while
// scanning a bare value, after a backslash in a multi-line string (upstream
// marzer/tomlplusplus#190, fixed by #305 after 3.3.0; our fuzzer found it in
// seconds). So before toml++ sees the text, non-ASCII bytes are allowed only
// where, reading its parser, it never asks: inside a single-line string that is
// the whole value of a `key = "..."` line, and in a # comment that starts a
// line or follows a value. Everything else must be ASCII: the rest of a line
// after a quoted key or an unexpected quote, and the rest of the text after an
// array, inline table or multi-line string opens (model specs need none of them
// to hold non-ASCII text). Conservative by design: it may refuse odd but valid
// TOML, never let a hazard through. tests/fuzz/fuzz_config.cc keeps it honest
// (its build compiles toml++ header-only, under UBSan).
//
// Throws ConfigError "<source>:<line>:<col>: non-ASCII character here, expected
// ASCII (...)" for the first byte outside the safe places; returns otherwise.
void reject_toml_hazards(std::string_view text, std::string_view source);

}  // namespace dpeval
