// quality.schema: cells against --schema (audit_schema.h), train and test:
// out of range, not allowed, missing where not nullable, wrong type, and schema
// columns the data lacks. count = all violations; figures per kind.
#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class SchemaCheck final : public Check {
 public:
  std::string_view id() const override { return "quality.schema"; }
  CheckResult run(const AuditContext& ctx) const override {
    if (!ctx.schema_given) return skipped_result(id(), "no --schema", {"out_of_range", "not_allowed", "null_not_allowed", "wrong_type", "missing_columns"});
    CheckResult r = make_result(id());
    double out_of_range = 0, not_allowed = 0, null_not_allowed = 0, wrong_type = 0, missing_columns = 0;
    nlohmann::json missing = nlohmann::json::array();
    for (const TableScan* scan : {&ctx.train, ctx.test}) {
      if (!scan) continue;
      const std::string set = scan == &ctx.train ? "train" : "test";
      const SchemaFindings& f = scan->schema;
      r.count += f.total();
      out_of_range += f.out_of_range.count;
      not_allowed += f.not_allowed.count;
      null_not_allowed += f.null_not_allowed.count;
      wrong_type += f.wrong_type.count;
      missing_columns += f.missing_columns.size();
      for (const std::string& c : f.missing_columns) {
        missing.push_back({{"set", set}, {"column", c}});
        if (r.examples.size() < kMaxExamples) r.examples.push_back(example_json(set, 0, c, "column not in the data"));
      }
      for (const auto& [list, what] : {std::pair{&f.out_of_range, "out of range"}, {&f.not_allowed, "not allowed"},
                                       {&f.null_not_allowed, "missing, not nullable"}, {&f.wrong_type, "wrong type"}}) {
        for (const Example& e : list->examples) {
          if (r.examples.size() >= 4 * kMaxExamples) break;
          r.examples.push_back(example_json(set, e.row, e.column, fmt::format("{}: {}", what, e.detail)));
        }
      }
    }
    r.figures = {{"out_of_range", out_of_range}, {"not_allowed", not_allowed},
                 {"null_not_allowed", null_not_allowed}, {"wrong_type", wrong_type},
                 {"missing_columns", missing_columns}};
    r.value = static_cast<double>(r.count);
    r.details = {{"missing_columns", missing}};
    r.severity = r.count > 0 ? Severity::kError : Severity::kInfo;
    r.message = fmt::format("{} schema violations: {} out of range, {} not allowed, {} missing but not nullable, "
                            "{} of the wrong type, {} schema columns absent",
                            r.count, out_of_range, not_allowed, null_not_allowed, wrong_type, missing_columns);
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_quality_schema_check() { return std::make_unique<SchemaCheck>(); }

}  // namespace dpeval::govern::internal
