// The `--json [FILE]` convention every subcommand keeps: `--json` alone prints
// the result object on stdout; `--json FILE` writes it to FILE atomically.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace dpeval::cli {

class JsonOutput {
 public:
  // Registers --json on `app`.
  void add_option(CLI::App& app);
  // Emits `result` as requested; does nothing when --json was not given.
  void emit(const nlohmann::json& result) const;
  // True when --json was given without FILE: stdout is the JSON's alone.
  bool prints_to_stdout() const;

 private:
  CLI::Option* option_ = nullptr;
  std::string path_;
};

// Pretty JSON text with a trailing newline (what summary files hold).
std::string json_text(const nlohmann::json& j);

}  // namespace dpeval::cli
