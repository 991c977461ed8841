// What a command reads and what it writes, checked before any work is done:
// no output may be one of the command's inputs or another of its outputs, so
// that no mistyped command line can destroy the data it was given. See Note
// [Outputs are not inputs].
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::cli {

// Note [Outputs are not inputs]
// Two paths name the same file when stat() gives the same device and inode,
// so a symlink or a hard link to an input counts as the input. An output that
// does not exist yet cannot be an input; two outputs that do not exist yet are
// the same when their absolute, symlink-resolved paths are. Each command lists
// every file it will read (data, labels, checkpoints, manifests and the files
// they list, configs) and every file it will write (--out, --html, --md,
// --json-out, --trace, a run directory's files) and calls check() first.
class CommandFiles {
 public:
  // `option` names where the path came from in messages ("--data",
  // "manifest entry"); an empty path is ignored.
  void input(std::string_view option, const std::filesystem::path& path);
  // Every regular file directly inside `dir` (a dataset directory).
  void inputs_in(std::string_view option, const std::filesystem::path& dir);
  void output(std::string_view option, const std::filesystem::path& path);
  // A --data argument: "fashion-mnist" (every file of its directory) or a path.
  void data_input(std::string_view option, const std::string& spec);

  // Throws UsageError naming both options and paths when an output is an
  // input or another output.
  void check() const;

 private:
  struct Entry {
    std::string option;
    std::filesystem::path path;
  };
  std::vector<Entry> inputs_, outputs_;
};

}  // namespace dpeval::cli
