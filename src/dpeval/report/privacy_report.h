// The `dpeval privacy --attack loss` document as one self-contained HTML page:
// the attack's figures with their intervals and chance beside them, and the
// ROC curve on log-log axes (Carlini et al. 2022: the low-FPR corner is what
// matters, and a linear plot hides it), with the chance line. Self-contained
// as the other pages (Note [Self-contained] in report/html.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace dpeval::report {

// Throws InputError naming the field when `doc` is not a membership document.
std::string render_membership_html(const nlohmann::json& doc);

}  // namespace dpeval::report
