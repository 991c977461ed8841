// libFuzzer target for the CSV dataset reader (default options: ',' and label
// column "label"; the tokenizer does not depend on which delimiter). A parsed
// dataset is then exercised (gather every row, subset, hash) for its invariants. Typed dpeval errors are
// the expected outcome for bad input; InternalError or a crash is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <string_view>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/data/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dpeval::data;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Dataset d = parse_csv_dataset(text, "fuzz.csv", CsvOptions{});
    std::vector<uint32_t> rows(d.size());
    std::iota(rows.begin(), rows.end(), 0u);
    std::vector<float> x(d.size() * static_cast<size_t>(d.sample_numel()));
    std::vector<int32_t> y(d.size());
    d.gather(rows, x.data(), y.data());
    for (int32_t label : y) {
      if (label < 0 || label >= d.num_classes()) std::abort();
    }
    if (d.class_names().size() != static_cast<size_t>(d.num_classes())) std::abort();
    if (d.subset(rows).content_hash() != d.content_hash()) std::abort();
  } catch (const dpeval::InternalError&) {
    throw;
  } catch (const dpeval::Error&) {
  }
  return 0;
}
