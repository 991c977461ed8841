// quality.missing: missing cells (empty, NA, N/A, NaN, nan, null, NULL, None)
// per column; quality.inf: infinite numbers per column. Train and test alike.
#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

template <typename Count, typename First>
CheckResult per_column(std::string_view id, const AuditContext& ctx, Count count, First first, std::string_view what) {
  CheckResult r = make_result(id);
  nlohmann::json columns = nlohmann::json::object();
  uint64_t cells = 0;
  for (const TableScan* scan : {&ctx.train, ctx.test}) {
    if (!scan) continue;
    const std::string set = scan == &ctx.train ? "train" : "test";
    for (const ColumnStats& c : scan->columns) {
      cells += scan->rows;
      const uint64_t n = count(c);
      if (n == 0) continue;
      r.count += n;
      columns[set][c.name] = n;
      const uint64_t row = first(c);
      if (r.examples.size() < kMaxExamples) {
        r.examples.push_back(example_json(set, row == UINT64_MAX ? 0 : row, c.name,
                                          fmt::format("{} {} cells in this column", n, what)));
      }
    }
  }
  r.value = share(r.count, cells);
  r.details = {{"columns", columns}};
  r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
  r.message = r.count == 0 ? fmt::format("no {} cells", what)
                           : fmt::format("{} {} cells ({} of all cells)", r.count, what, percent(*r.value));
  return r;
}

class MissingCheck final : public Check {
 public:
  std::string_view id() const override { return "quality.missing"; }
  CheckResult run(const AuditContext& ctx) const override {
    return per_column(id(), ctx, [](const ColumnStats& c) { return c.missing; },
                      [](const ColumnStats& c) { return c.first_missing_row; }, "missing");
  }
};

class InfCheck final : public Check {
 public:
  std::string_view id() const override { return "quality.inf"; }
  CheckResult run(const AuditContext& ctx) const override {
    return per_column(id(), ctx, [](const ColumnStats& c) { return c.inf; },
                      [](const ColumnStats&) { return UINT64_MAX; }, "infinite");
  }
};

}  // namespace

std::unique_ptr<Check> make_quality_missing_check() { return std::make_unique<MissingCheck>(); }
std::unique_ptr<Check> make_quality_inf_check() { return std::make_unique<InfCheck>(); }

}  // namespace dpeval::govern::internal
