// libFuzzer target for the PII scanner (govern/pii.h): scan arbitrary bytes,
// as a DOB column and not. Matches must lie inside the text, be sorted and not
// overlap, and every mask must hold a '*' and never the matched value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/govern/pii.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dpeval::govern::PiiScanner scanner;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool dob : {false, true}) {
    std::vector<dpeval::govern::PiiMatch> matches;
    scanner.scan(text, dob, matches);
    size_t last_end = 0;
    for (const dpeval::govern::PiiMatch& m : matches) {
      if (m.begin >= m.end || m.end > text.size() || m.begin < last_end) std::abort();
      last_end = m.end;
      const std::string_view value = text.substr(m.begin, m.end - m.begin);
      const std::string mask = dpeval::govern::mask_pii(value, m.entity);
      if (mask.find('*') == std::string::npos || mask.find(value) != std::string::npos) std::abort();
    }
  }
  return 0;
}
