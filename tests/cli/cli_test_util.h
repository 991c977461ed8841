// Running the dpeval binary as a user does, from a test: its exit code,
// stdout and stderr, in a per-process scratch directory.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "dpeval/core/atomic_file.h"

namespace dpeval::testing {

namespace fs = std::filesystem;

struct CliRun {
  int code = -1;
  std::string out, err;
};

inline fs::path test_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("dpeval_cli_test_" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

inline CliRun run_dpeval(const std::string& args, const std::string& env = "") {
  const fs::path out = test_dir() / "stdout.txt", err = test_dir() / "stderr.txt";
  const std::string cmd = env + " " + DPEVAL_BIN + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = dpeval::read_file(out);
  r.err = dpeval::read_file(err);
  return r;
}

inline fs::path write(const std::string& name, std::string_view content) {
  const fs::path p = test_dir() / name;
  dpeval::write_file_atomic(p, content);
  return p;
}

}  // namespace dpeval::testing
