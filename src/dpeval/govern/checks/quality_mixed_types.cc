// quality.mixed_types: columns holding both numbers and text (train and test);
// details list every column's inferred type.
#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class MixedTypesCheck final : public Check {
 public:
  std::string_view id() const override { return "quality.mixed_types"; }
  CheckResult run(const AuditContext& ctx) const override {
    CheckResult r = make_result(id());
    nlohmann::json types = nlohmann::json::object();
    for (const TableScan* scan : {&ctx.train, ctx.test}) {
      if (!scan) continue;
      const std::string set = scan == &ctx.train ? "train" : "test";
      for (const ColumnStats& c : scan->columns) {
        if (!scan->is_image) types[set][c.name] = c.inferred_type();
        if (!c.mixed()) continue;
        ++r.count;
        const bool minority_text = c.text < c.numeric;
        const uint64_t row = minority_text ? c.first_text_row : c.first_number_row;
        if (r.examples.size() < kMaxExamples) {
          r.examples.push_back(example_json(set, row, c.name,
                                            fmt::format("{} numbers and {} text cells; first {} cell here",
                                                        c.numeric, c.text, minority_text ? "text" : "number")));
        }
      }
    }
    r.details = {{"types", types}};
    r.value = static_cast<double>(r.count);
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} column{} mixing numbers and text", r.count, r.count == 1 ? "" : "s");
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_quality_mixed_types_check() { return std::make_unique<MixedTypesCheck>(); }

}  // namespace dpeval::govern::internal
