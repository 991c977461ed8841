// Umbrella header of the optim module: optimizers over the flat parameter
// buffer (SGD, AdamW, LARS) and learning-rate schedules.
#pragma once

#include "dpeval/optim/adamw.h"      // IWYU pragma: export
#include "dpeval/optim/lars.h"       // IWYU pragma: export
#include "dpeval/optim/optimizer.h"  // IWYU pragma: export
#include "dpeval/optim/schedule.h"   // IWYU pragma: export
#include "dpeval/optim/sgd.h"        // IWYU pragma: export
