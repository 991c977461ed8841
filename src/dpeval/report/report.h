// Umbrella header of the report module: the eval result document as a
// self-contained HTML page and as a Markdown summary.
#pragma once

#include "dpeval/report/html.h"      // IWYU pragma: export
#include "dpeval/report/markdown.h"  // IWYU pragma: export
