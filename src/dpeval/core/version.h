// dpeval's version (the CMake project version), shown by --version, written
// into summaries and compared across ranks before training.
#pragma once

namespace dpeval {
inline constexpr const char* kVersion = DPEVAL_VERSION;
}  // namespace dpeval
