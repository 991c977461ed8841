// The JSON-result convention every subcommand keeps: `--json` (a plain flag)
// prints the result object on stdout; `--json-out FILE` writes it to FILE
// atomically. Neither option takes an optional value, so no option can
// swallow the positional argument that follows it.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "dpeval/cli/command_files.h"

namespace dpeval::cli {

class JsonOutput {
 public:
  // Registers --json and --json-out on `app`.
  void add_options(CLI::App& app);
  // Declares --json-out FILE as one of the command's outputs.
  void declare(CommandFiles& files) const { files.output("--json-out", file_); }
  // Emits `result` as requested: on stdout with --json, to FILE with
  // --json-out; does nothing when neither was given.
  void emit(const nlohmann::json& result) const;
  // Only the stdout half of emit(), for commands that write --json-out
  // together with their other outputs (write_files_atomic).
  void print(const nlohmann::json& result) const;
  // True when --json was given: stdout is the JSON's alone.
  bool prints_to_stdout() const { return stdout_; }
  // The --json-out path, or empty.
  const std::string& file() const { return file_; }

 private:
  bool stdout_ = false;
  std::string file_;
};

// A command's output files, replaced together or not at all
// (write_files_atomic): add() the ones that were asked for, then commit().
class OutputBatch {
 public:
  // Adds render()'s text as the content of `path`; an empty path (an output
  // not asked for) is skipped without rendering.
  template <typename Render>
  void add(const std::string& path, Render render) {
    if (!path.empty()) items_.push_back({path, render()});
  }
  // Throws IoError naming the file that could not be written; then no target
  // has been replaced.
  void commit() const;

 private:
  struct Item {
    std::string path, text;
  };
  std::vector<Item> items_;
};

// Pretty JSON text with a trailing newline (what summary files hold): run::json_file_text.
std::string json_text(const nlohmann::json& j);

}  // namespace dpeval::cli
