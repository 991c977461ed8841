// Wall-clock timing on the monotonic clock (std::chrono::steady_clock).
#pragma once

#include <chrono>

namespace dpeval {

// Seconds since an arbitrary fixed point; only differences are meaningful.
inline double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Measures elapsed seconds from construction or the last restart().
class Stopwatch {
 public:
  Stopwatch() : start_(now_seconds()) {}
  void restart() { start_ = now_seconds(); }
  double seconds() const { return now_seconds() - start_; }

 private:
  double start_;
};

}  // namespace dpeval
