// render_drift_report DRIFT.json OUT.html [OUT.md]: the drift report writers as
// a command, for tests/report/drift_browser_test.py (the CLI's `dpeval drift`
// is elsewhere).
#include <cstdio>

#include "dpeval/core/atomic_file.h"
#include "dpeval/report/drift_report.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: render_drift_report DRIFT.json OUT.html [OUT.md]\n");
    return 2;
  }
  try {
    nlohmann::json doc = nlohmann::json::parse(dpeval::read_file(argv[1]));
    dpeval::report::write_drift_html(argv[2], doc);
    if (argc == 4) dpeval::report::write_drift_markdown(argv[3], doc);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "render_drift_report: %s\n", e.what());
    return 1;
  }
  return 0;
}
