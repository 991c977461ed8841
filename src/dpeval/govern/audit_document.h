// The audit document's version, apart from the audit so that its readers
// (the datasheet, the run report) need not link the checks.
#pragma once

namespace dpeval::govern {

// The version of the audit document ("schema"; Note [Document versions] in
// core/document_schema.h); readers refuse another.
inline constexpr const char* kAuditSchema = "dpeval.audit/1";

}  // namespace dpeval::govern
