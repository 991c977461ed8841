#include "dpeval/cli/json_output.h"

#include <cstdio>

#include "dpeval/core/atomic_file.h"

namespace dpeval::cli {

void JsonOutput::add_option(CLI::App& app) {
  option_ = app.add_option("--json", path_,
                           "Print the result as JSON on stdout, or with FILE write it there (atomically)")
                ->expected(0, 1)
                ->type_name("[FILE]");
}

void JsonOutput::emit(const nlohmann::json& result) const {
  if (!option_ || option_->count() == 0) return;
  const std::string text = json_text(result);
  if (path_.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomic(path_, text);
  }
}

bool JsonOutput::prints_to_stdout() const { return option_ && option_->count() > 0 && path_.empty(); }

std::string json_text(const nlohmann::json& j) { return j.dump(2) + "\n"; }

}  // namespace dpeval::cli
