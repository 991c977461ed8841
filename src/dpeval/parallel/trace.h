// Trace: a Chrome trace-event timeline of a training run (dpeval train
// --trace FILE.json), which chrome://tracing and ui.perfetto.dev open.
//
// One process track per rank (pid = rank) with named rows (tid): "compute"
// (data loading, forward and backward of each layer, optimizer, evaluation)
// and "comm" (each bucket's collective, from launch to the moment it was seen
// complete). Times are microseconds since the run's start barrier, so ranks of
// one host line up; across hosts clocks are not synchronised.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dpeval::parallel {

struct TraceEvent {
  std::string name;      // "forward 3 linear", "bucket 0 allreduce", ...
  std::string category;  // "data" | "forward" | "backward" | "comm" | "optimizer" | "eval"
  int rank = 0;
  int row = 0;           // 0 compute, 1 comm
  double start_us = 0;
  double duration_us = 0;
};

class TraceRecorder {
 public:
  // origin: now_seconds() of the run's common start.
  TraceRecorder(int rank, double origin) : rank_(rank), origin_(origin) {}

  // A span [t0, t1] in now_seconds() time.
  void add(std::string name, const char* category, int row, double t0, double t1);

  std::vector<TraceEvent>& events() { return events_; }
  const std::vector<TraceEvent>& events() const { return events_; }

  // Serialises events (one rank's) as JSON text, and parses them back; used to
  // move an MPI rank's events to rank 0.
  static std::string encode(const std::vector<TraceEvent>& events);
  static std::vector<TraceEvent> decode(const std::string& text);

 private:
  int rank_;
  double origin_;
  std::vector<TraceEvent> events_;
};

// Writes {"traceEvents": [...], "displayTimeUnit": "ms"} atomically, with
// process and thread name metadata for `world` ranks. Throws IoError.
void write_chrome_trace(const std::filesystem::path& path, const std::vector<TraceEvent>& events, int world);

}  // namespace dpeval::parallel
