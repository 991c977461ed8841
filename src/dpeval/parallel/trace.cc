// Chrome trace-event JSON ("X" complete events plus "M" name metadata).
#include "dpeval/parallel/trace.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"

namespace dpeval::parallel {

void TraceRecorder::add(std::string name, const char* category, int row, double t0, double t1) {
  TraceEvent e;
  e.name = std::move(name);
  e.category = category;
  e.rank = rank_;
  e.row = row;
  e.start_us = (t0 - origin_) * 1e6;
  e.duration_us = std::max(0.0, (t1 - t0) * 1e6);
  events_.push_back(std::move(e));
}

std::string TraceRecorder::encode(const std::vector<TraceEvent>& events) {
  nlohmann::json j = nlohmann::json::array();
  for (const TraceEvent& e : events) j.push_back({e.name, e.category, e.rank, e.row, e.start_us, e.duration_us});
  return j.dump();
}

std::vector<TraceEvent> TraceRecorder::decode(const std::string& text) {
  std::vector<TraceEvent> events;
  try {
    for (const auto& row : nlohmann::json::parse(text)) {
      TraceEvent e;
      e.name = row.at(0).get<std::string>();
      e.category = row.at(1).get<std::string>();
      e.rank = row.at(2).get<int>();
      e.row = row.at(3).get<int>();
      e.start_us = row.at(4).get<double>();
      e.duration_us = row.at(5).get<double>();
      events.push_back(std::move(e));
    }
  } catch (const nlohmann::json::exception& e) {
    throw CommError(std::string("trace events from a peer rank are corrupt: ") + e.what());
  }
  return events;
}

void write_chrome_trace(const std::filesystem::path& path, const std::vector<TraceEvent>& events, int world) {
  nlohmann::json list = nlohmann::json::array();
  for (int r = 0; r < world; ++r) {
    list.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", r}, {"tid", 0},
                    {"args", {{"name", "rank " + std::to_string(r)}}}});
    list.push_back({{"name", "process_sort_index"}, {"ph", "M"}, {"pid", r}, {"tid", 0}, {"args", {{"sort_index", r}}}});
    list.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", r}, {"tid", 0}, {"args", {{"name", "compute"}}}});
    list.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", r}, {"tid", 1}, {"args", {{"name", "comm"}}}});
  }
  for (const TraceEvent& e : events) {
    list.push_back({{"name", e.name},
                    {"cat", e.category},
                    {"ph", "X"},
                    {"pid", e.rank},
                    {"tid", e.row},
                    {"ts", e.start_us},
                    {"dur", e.duration_us}});
  }
  const nlohmann::json doc = {{"traceEvents", list}, {"displayTimeUnit", "ms"}};
  write_file_atomic(path, doc.dump() + "\n");
}

}  // namespace dpeval::parallel
