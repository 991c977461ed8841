// Umbrella header of the eval module: metrics of classifiers and regressors
// (equal to scikit-learn 1.2), ranking curves, calibration.
#pragma once

#include "dpeval/eval/calibration.h"  // IWYU pragma: export
#include "dpeval/eval/confusion.h"    // IWYU pragma: export
#include "dpeval/eval/curves.h"       // IWYU pragma: export
#include "dpeval/eval/metric_info.h"  // IWYU pragma: export
#include "dpeval/eval/metrics.h"      // IWYU pragma: export
