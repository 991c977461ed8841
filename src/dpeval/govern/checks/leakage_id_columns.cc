// leakage.id_columns: columns with identifier-like names (is_id_like_name) in
// both sets whose values recur across them. count = test rows whose ID value
// (non-missing) also appears in the train set's column of that name.
#include <algorithm>

#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class IdColumnsCheck final : public Check {
 public:
  std::string_view id() const override { return "leakage.id_columns"; }
  CheckResult run(const AuditContext& ctx) const override {
    if (!ctx.test) return skipped_result(id(), "no --test set");
    CheckResult r = make_result(id());
    nlohmann::json columns = nlohmann::json::array();
    for (size_t a = 0; a < ctx.train.id_columns.size(); ++a) {
      const std::string& name = ctx.train.columns[ctx.train.id_columns[a]].name;
      for (size_t b = 0; b < ctx.test->id_columns.size(); ++b) {
        if (ctx.test->columns[ctx.test->id_columns[b]].name != name) continue;
        std::vector<uint64_t> train(ctx.train.id_hashes[a]);
        std::sort(train.begin(), train.end());
        uint64_t shared = 0;
        const auto& test = ctx.test->id_hashes[b];
        for (size_t i = 0; i < test.size(); ++i) {
          if (test[i] == 0 || !std::binary_search(train.begin(), train.end(), test[i])) continue;
          ++shared;
          if (r.examples.size() < kMaxExamples) {
            r.examples.push_back(example_json("test", i, name, "this ID also appears in train"));
          }
        }
        r.count += shared;
        columns.push_back({{"column", name}, {"shared_test_rows", shared}});
      }
    }
    r.value = share(r.count, ctx.test->rows);
    r.details = {{"columns", columns}};
    r.severity = r.count > 0 ? Severity::kError : Severity::kInfo;
    r.message = columns.empty() ? std::string("no ID-like column in both sets")
                                : fmt::format("{} test rows share an ID value with train ({} ID-like columns compared)",
                                              r.count, columns.size());
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_leakage_id_columns_check() { return std::make_unique<IdColumnsCheck>(); }

}  // namespace dpeval::govern::internal
