// pii.<entity>: PII the scan found (audit_scan.h's PiiCellScanner over
// govern/pii.h) in the text columns of train and test: count = matches; each
// example names the set, row, column and a masked sample, never the value.
// pii.ssn also counts dates of birth (entity "dob") in its figures.dob.
#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class PiiCheck final : public Check {
 public:
  explicit PiiCheck(std::string_view entity) : entity_(entity), id_("pii." + std::string(entity)) {}
  std::string_view id() const override { return id_; }
  CheckResult run(const AuditContext& ctx) const override {
    if (!ctx.skip_pii_reason.empty()) {
      CheckResult r = skipped_result(id_, ctx.skip_pii_reason);
      if (entity_ == "ssn") r.figures["dob"] = 0;
      return r;
    }
    CheckResult r = make_result(id_);
    nlohmann::json columns = nlohmann::json::array();
    double dob = 0;
    for (const TableScan* scan : {&ctx.train, ctx.test}) {
      if (!scan) continue;
      const std::string set = scan == &ctx.train ? "train" : "test";
      for (const std::string& c : scan->pii.columns_scanned) columns.push_back({{"set", set}, {"column", c}});
      if (auto it = scan->pii.by_entity.find(entity_); it != scan->pii.by_entity.end()) {
        r.count += it->second.count;
        for (const Example& e : it->second.examples) {
          if (r.examples.size() < kMaxExamples) r.examples.push_back(example_json(set, e.row, e.column, e.detail));
        }
      }
      if (entity_ == "ssn") {
        if (auto it = scan->pii.by_entity.find("dob"); it != scan->pii.by_entity.end()) {
          dob += static_cast<double>(it->second.count);
          for (const Example& e : it->second.examples) {
            if (r.examples.size() < 2 * kMaxExamples) r.examples.push_back(example_json(set, e.row, e.column, "dob: " + e.detail));
          }
        }
      }
    }
    if (entity_ == "ssn") r.figures["dob"] = dob;
    r.value = static_cast<double>(r.count);
    r.details = {{"columns_scanned", columns}};
    r.severity = r.count > 0 ? Severity::kError : Severity::kInfo;
    r.message = fmt::format("{} {} match{} in {} scanned column{}", r.count, entity_, r.count == 1 ? "" : "es",
                            columns.size(), columns.size() == 1 ? "" : "s");
    if (entity_ == "ssn") r.message += fmt::format(" (and {} dates of birth)", dob);
    return r;
  }

 private:
  std::string entity_, id_;
};

}  // namespace

std::unique_ptr<Check> make_pii_check(std::string_view entity) { return std::make_unique<PiiCheck>(entity); }

}  // namespace dpeval::govern::internal
