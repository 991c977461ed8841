#pragma once

namespace dpeval::cli {
inline constexpr const char* kVersion = DPEVAL_VERSION;
}  // namespace dpeval::cli
