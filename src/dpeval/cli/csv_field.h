// Writing CSV cells the way dpeval's readers (RFC 4180) read them back.
#pragma once

#include <string>
#include <string_view>

namespace dpeval::cli {

// Appends `value` to `line` as one CSV field, quoted (with "" for a quote)
// when it holds a comma, a quote or a line break.
inline void append_csv_field(std::string& line, std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    line.append(value);
    return;
  }
  line.push_back('"');
  for (char c : value) {
    if (c == '"') line.push_back('"');
    line.push_back(c);
  }
  line.push_back('"');
}

}  // namespace dpeval::cli
