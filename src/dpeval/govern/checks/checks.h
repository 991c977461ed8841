// The audit checks, one factory per file (see audit.h). registry.cc lists them
// in report order.
#pragma once

#include <memory>

#include "dpeval/govern/audit.h"

namespace dpeval::govern::internal {

std::unique_ptr<Check> make_quality_missing_check();       // quality_missing.cc
std::unique_ptr<Check> make_quality_inf_check();           // quality_missing.cc
std::unique_ptr<Check> make_quality_constant_check();      // quality_constant.cc
std::unique_ptr<Check> make_quality_near_constant_check(); // quality_constant.cc
std::unique_ptr<Check> make_quality_mixed_types_check();   // quality_mixed_types.cc
std::unique_ptr<Check> make_quality_duplicates_check();    // quality_duplicates.cc
std::unique_ptr<Check> make_quality_conflicting_labels_check();  // quality_conflicting_labels.cc
std::unique_ptr<Check> make_quality_schema_check();        // quality_schema.cc
std::unique_ptr<Check> make_leakage_exact_check();         // leakage_exact.cc
std::unique_ptr<Check> make_leakage_near_duplicates_check();  // leakage_near_duplicates.cc
std::unique_ptr<Check> make_leakage_single_feature_check();   // leakage_single_feature.cc
std::unique_ptr<Check> make_leakage_id_columns_check();    // leakage_id_columns.cc
std::unique_ptr<Check> make_imbalance_classes_check();     // imbalance_classes.cc
std::unique_ptr<Check> make_imbalance_groups_check();      // imbalance_groups.cc
std::unique_ptr<Check> make_shift_columns_check();         // shift_columns.cc
std::unique_ptr<Check> make_label_noise_check();           // label_noise.cc
std::unique_ptr<Check> make_pii_check(std::string_view entity);  // pii_findings.cc: "email", "phone", ...

}  // namespace dpeval::govern::internal
