// Umbrella header of the perf module: the scaling study (throughput,
// efficiency, time to accuracy, cost per epoch and a recommendation).
#pragma once

#include "dpeval/perf/scale_study.h"  // IWYU pragma: export
