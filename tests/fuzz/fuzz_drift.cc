// libFuzzer target for `dpeval drift`'s readers and statistics (monitor/):
// an input starting with '{' is a profile document (profile_from_json must
// accept it or throw a typed error); anything else is two CSV tables, the
// reference and the current, split at the first "\n--\n" (or the middle). Both
// are read, profiled and compared; the profile's JSON must read back to the
// same drift document. Typed dpeval errors are the expected outcome for bad
// input; InternalError or a crash is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "dpeval/core/error.h"
#include "dpeval/monitor/drift.h"

static bool all_finite(const nlohmann::json& j) {
  if (j.is_number_float()) return std::isfinite(j.get<double>());
  if (j.is_structured()) {
    for (const auto& item : j) {
      if (!all_finite(item)) return false;
    }
  }
  return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dpeval::monitor;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    if (!text.empty() && text[0] == '{') {
      const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
      if (!doc.is_discarded()) profile_from_json(doc, "fuzz.profile.json");
      return 0;
    }
    size_t cut = text.find("\n--\n");
    const std::string_view ref = text.substr(0, cut == std::string_view::npos ? size / 2 : cut);
    const std::string_view cur = text.substr(cut == std::string_view::npos ? size / 2 : cut + 4);
    ReadOptions read;
    read.threads = 1;
    ProfileOptions po;
    po.max_values = 64;  // exercise the sample
    const Profile reference = build_profile(read_csv_text(ref, "ref.csv", read), po);
    po.max_values = UINT64_MAX;
    const Profile current = build_profile(read_csv_text(cur, "cur.csv", read), po);
    DriftOptions options;
    options.threads = 1;
    nlohmann::json a = drift_document(reference, current, options, nullptr, nullptr);
    const Profile back =
        profile_from_json(nlohmann::json::parse(profile_to_json(reference).dump()), "p.json");
    nlohmann::json b = drift_document(back, current, options, nullptr, nullptr);
    a.erase("reference");
    b.erase("reference");
    if (a != b) std::abort();
    if (!all_finite(a)) std::abort();  // a figure is a number or null, never NaN or infinity
  } catch (const dpeval::InternalError&) {
    throw;
  } catch (const dpeval::Error&) {
  }
  return 0;
}
