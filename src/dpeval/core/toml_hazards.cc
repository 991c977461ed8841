// The toml++ 3.3 hazard guard: a small line-oriented lexer. See toml_hazards.h.
#include "dpeval/core/toml_hazards.h"

#include <fmt/format.h>

#include <cctype>
#include <string>

#include "dpeval/core/error.h"

namespace dpeval {

void reject_toml_hazards(std::string_view text, std::string_view source) {
  enum class State {
    kKey,          // line start, keys and table headers
    kValueStart,   // after '='
    kBareValue,    // a number, boolean, ... (ASCII by nature)
    kBasic,        // inside "..."  (non-ASCII allowed)
    kLiteral,      // inside '...'  (non-ASCII allowed)
    kAfterString,  // after a string value: whitespace, then a comment or the line end
    kComment,      // after '#'     (non-ASCII allowed)
    kAsciiLine,    // the rest of this line is ASCII-only
    kAsciiText,    // the rest of the text is ASCII-only
  };
  State state = State::kKey;
  int line = 1, column = 0;
  const size_t start = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // a UTF-8 byte order mark is fine
  for (size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if ((u & 0xC0) != 0x80) ++column;  // columns count code points
    if (u >= 0x80) {
      if (state == State::kBasic || state == State::kLiteral || state == State::kComment) continue;
      throw ConfigError(
          fmt::format("{}:{}:{}: non-ASCII character here, expected ASCII (a model spec takes other "
                      "characters only in a `key = \"string\"` value or a # comment)",
                      source, line, column));
    }
    if (c == '\n') {
      ++line;
      column = 0;
      if (state != State::kAsciiText) state = State::kKey;
      continue;
    }
    const bool space = c == ' ' || c == '\t' || c == '\r';
    const bool quote = c == '"' || c == '\'';
    if (quote && state != State::kBasic && state != State::kLiteral && state != State::kComment &&
        text.substr(i, 3) == std::string(3, c)) {
      state = State::kAsciiText;  // a multi-line string
      continue;
    }
    switch (state) {
      case State::kKey:
        if (c == '=') {
          state = State::kValueStart;
        } else if (c == '#') {
          state = State::kComment;
        } else if (!space && !std::isalnum(u) && c != '_' && c != '-' && c != '.' && c != '[' && c != ']') {
          state = State::kAsciiLine;  // a quoted key or a stray character
        }
        break;
      case State::kValueStart:
        if (c == '"') {
          state = State::kBasic;
        } else if (c == '\'') {
          state = State::kLiteral;
        } else if (c == '#') {
          state = State::kComment;
        } else if (c == '[' || c == '{') {
          state = State::kAsciiText;  // an array or inline table
        } else if (!space) {
          state = State::kBareValue;
        }
        break;
      case State::kBareValue:
        if (c == '#') {
          state = State::kComment;
        } else if (c == '[' || c == '{') {
          state = State::kAsciiText;
        } else if (quote) {
          state = State::kAsciiLine;
        }
        break;
      case State::kBasic:
        if (c == '\\' && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0x80 &&
            text[i + 1] != '\n') {
          ++i;  // an escaped ASCII character such as \" or \\ (never ends the string)
          ++column;
        } else if (c == '"') {
          state = State::kAfterString;
        }
        break;
      case State::kLiteral:
        if (c == '\'') state = State::kAfterString;
        break;
      case State::kAfterString:
        if (c == '#') {
          state = State::kComment;
        } else if (c == '[' || c == '{') {
          state = State::kAsciiText;
        } else if (!space) {
          state = State::kAsciiLine;
        }
        break;
      case State::kAsciiLine:
        if (c == '[' || c == '{') state = State::kAsciiText;
        break;
      case State::kComment:
      case State::kAsciiText:
        break;
    }
  }
}

}  // namespace dpeval
