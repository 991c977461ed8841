// Shared by the optimizer tests.
#pragma once

#include <string>

#include "dpeval/core/error.h"
#include "dpeval/optim/optimizer.h"

namespace dpeval::optim {

// The message of the ConfigError that make_optimizer throws for `c`, or "" if none.
inline std::string config_error(const OptimizerConfig& c) {
  try {
    make_optimizer(c, 4);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace dpeval::optim
