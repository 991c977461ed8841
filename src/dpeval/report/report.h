// Umbrella header of the report module: the eval result document as a
// self-contained HTML page and as a Markdown summary; the run report.
#pragma once

#include "dpeval/report/html.h"        // IWYU pragma: export
#include "dpeval/report/markdown.h"    // IWYU pragma: export
#include "dpeval/report/run_report.h"  // IWYU pragma: export
