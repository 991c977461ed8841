// libFuzzer target for the audit's streaming CSV scan (govern/audit_scan.h and
// the table reader data/table_reader.h): label column "label", one thread, the
// smallest block so that inputs span blocks only when large. A scan's
// invariants are checked (one hash and label per row, counts add up). Typed
// dpeval errors are the expected outcome for bad input; InternalError or a
// crash is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dpeval/core/error.h"
#include "dpeval/govern/audit_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dpeval::govern;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ScanOptions options;
  options.threads = 1;
  options.block_bytes = 1 << 16;
  try {
    const TableScan s = scan_csv_text(text, "fuzz.csv", options);
    if (s.feature_hashes.size() != s.rows || s.labels.size() != s.rows) std::abort();
    for (uint32_t label : s.labels) {
      if (label >= s.label_values.size()) std::abort();
    }
    for (const ColumnStats& c : s.columns) {
      if (c.missing + c.numeric + c.text != s.rows) std::abort();
      if (c.values.size() > kTrackedValues) std::abort();
    }
    if (s.sample.labels.size() != s.sample.rows.size()) std::abort();
  } catch (const dpeval::InternalError&) {
    throw;
  } catch (const dpeval::Error&) {
  }
  return 0;
}
