// The `dpeval monitor` document ("dpeval.monitor/1", monitor/online.h's
// document() with the model, profile and store) as one self-contained HTML
// page: a timeline of the labelled windows (realised accuracy, estimated
// accuracy, ECE, the reference accuracy as a flat line) and one of the
// prediction windows (estimated accuracy, drift share), each alarm a red
// marker on its window with its reason as the tooltip, then the alarm list,
// the retraining verdict and the gates. Self-contained as the other pages
// (Note [Self-contained] in report/html.h): inline SVG, no script, every
// string escaped.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace dpeval::report {

// Throws InputError naming the field when `doc` is not a monitor document.
std::string render_monitor_html(const nlohmann::json& doc);

}  // namespace dpeval::report
