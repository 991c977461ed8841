#include "dpeval/cli/json_output.h"

#include <cstdio>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/run/pipeline.h"

namespace dpeval::cli {

void JsonOutput::add_options(CLI::App& app) {
  app.add_flag("--json", stdout_, "Print the result as JSON on stdout (logs stay on stderr)");
  app.add_option("--json-out", file_, "Write the result as JSON to FILE (atomically)")->type_name("FILE");
}

void JsonOutput::print(const nlohmann::json& result) const {
  if (!stdout_) return;
  const std::string text = json_text(result);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void JsonOutput::emit(const nlohmann::json& result) const {
  if (!file_.empty()) write_file_atomic(file_, json_text(result));
  print(result);
}

void OutputBatch::commit() const {
  std::vector<FileText> files;
  files.reserve(items_.size());
  for (const Item& item : items_) files.push_back({item.path, item.text});
  write_files_atomic(files);
}

std::string json_text(const nlohmann::json& j) { return run::json_file_text(j); }

}  // namespace dpeval::cli
