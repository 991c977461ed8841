// render_report DOC.json OUT.html [OUT.md]: the report writers as a command,
// for tests/report/browser_test.py (the CLI's own eval command is elsewhere).
#include <cstdio>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/report/report.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: render_report DOC.json OUT.html [OUT.md]\n");
    return 2;
  }
  try {
    nlohmann::json doc = nlohmann::json::parse(dpeval::read_file(argv[1]));
    dpeval::report::write_html(argv[2], doc);
    if (argc == 4) dpeval::report::write_markdown(argv[3], doc);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "render_report: %s\n", e.what());
    return 1;
  }
  return 0;
}
