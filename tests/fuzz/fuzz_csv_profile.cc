// libFuzzer target for the manifest's streaming table profile
// (govern/csv_profile.h) in both modes: the first byte picks the mode (bit 0)
// and the piece size (the rest, plus one); the text is fed in pieces of that
// size and, separately, whole. Checked: both give the same profile or the same
// error, and the counts add up. Typed dpeval errors are the expected outcome
// for bad input; InternalError or a crash is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dpeval/core/error.h"
#include "dpeval/govern/csv_profile.h"

namespace {

std::string profile_of(std::string_view text, size_t piece, const dpeval::data::TableDialect& dialect) {
  using namespace dpeval::govern;
  try {
    CsvProfiler p(dialect, "fuzz.csv");
    for (size_t i = 0; i < text.size(); i += piece) p.add(text.substr(i, piece));
    const CsvProfile profile = p.finish();
    for (const ColumnProfile& c : profile.columns) {
      if (c.non_empty + c.missing != profile.rows) std::abort();
      if (c.numeric > c.non_empty || c.integer > c.numeric) std::abort();
    }
    return std::to_string(profile.rows) + " " + std::to_string(profile.ragged_rows) + " " +
           profile.columns_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const dpeval::InternalError&) {
    throw;
  } catch (const dpeval::Error& e) {
    return std::string("error: ") + e.what();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  dpeval::data::TableDialect dialect;
  dialect.mode = (data[0] & 1) ? dpeval::data::TableMode::kLenient : dpeval::data::TableMode::kStrict;
  const size_t piece = 1 + (data[0] >> 1);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  // A BOM is only recognized whole in the first piece (callers read in large pieces).
  while (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (profile_of(text, piece, dialect) != profile_of(text, text.size() + 1, dialect)) std::abort();
  return 0;
}
