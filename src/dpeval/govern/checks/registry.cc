// Every audit check, in report order. Adding a check: one file in checks/ and one line here.
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern {

std::vector<std::unique_ptr<Check>> make_audit_checks() {
  using namespace internal;
  std::vector<std::unique_ptr<Check>> checks;
  checks.push_back(make_quality_missing_check());
  checks.push_back(make_quality_inf_check());
  checks.push_back(make_quality_constant_check());
  checks.push_back(make_quality_near_constant_check());
  checks.push_back(make_quality_mixed_types_check());
  checks.push_back(make_quality_duplicates_check());
  checks.push_back(make_quality_conflicting_labels_check());
  checks.push_back(make_quality_schema_check());
  checks.push_back(make_leakage_exact_check());
  checks.push_back(make_leakage_near_duplicates_check());
  checks.push_back(make_leakage_single_feature_check());
  checks.push_back(make_leakage_id_columns_check());
  checks.push_back(make_imbalance_classes_check());
  checks.push_back(make_imbalance_groups_check());
  checks.push_back(make_shift_columns_check());
  checks.push_back(make_label_noise_check());
  for (const char* entity : {"email", "phone", "credit_card", "iban", "ip", "ssn"}) checks.push_back(make_pii_check(entity));
  return checks;
}

}  // namespace dpeval::govern
