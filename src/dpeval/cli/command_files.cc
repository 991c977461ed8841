#include "dpeval/cli/command_files.h"

#include <fmt/format.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/source.h"

namespace dpeval::cli {
namespace {

// The absolute path with every existing symlink resolved (for outputs that
// do not exist yet).
std::filesystem::path resolved(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  if (ec) p = std::filesystem::absolute(path, ec).lexically_normal();
  return p;
}

// /dev/null, a terminal or a pipe: several outputs may share one.
bool is_stream(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  return !ec && (std::filesystem::is_character_file(status) || std::filesystem::is_fifo(status));
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  const auto ia = file_identity(a), ib = file_identity(b);
  if (ia || ib) return ia && ib && *ia == *ib;
  return resolved(a) == resolved(b);
}

}  // namespace

void CommandFiles::input(std::string_view option, const std::filesystem::path& path) {
  if (!path.empty()) inputs_.push_back({std::string(option), path});
}

void CommandFiles::inputs_in(std::string_view option, const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code ignored;
    if (entry.is_regular_file(ignored)) input(option, entry.path());
  }
}

void CommandFiles::data_input(std::string_view option, const std::string& spec) {
  if (spec == "fashion-mnist") {
    inputs_in(option, data::fashion_mnist_dir());
  } else {
    input(option, spec);
  }
}

void CommandFiles::output(std::string_view option, const std::filesystem::path& path) {
  if (!path.empty()) outputs_.push_back({std::string(option), path});
}

void CommandFiles::check() const {
  for (size_t o = 0; o < outputs_.size(); ++o) {
    const Entry& out = outputs_[o];
    for (const Entry& in : inputs_) {
      if (same_file(out.path, in.path)) {
        throw UsageError(fmt::format("{} {} is the same file as the input {} {}: refusing to overwrite an input",
                                     out.option, out.path.string(), in.option, in.path.string()));
      }
    }
    for (size_t p = 0; p < o && !is_stream(out.path); ++p) {
      if (same_file(out.path, outputs_[p].path)) {
        throw UsageError(fmt::format("{} {} and {} {} are the same file: give each output its own path", out.option,
                                     out.path.string(), outputs_[p].option, outputs_[p].path.string()));
      }
    }
  }
}

}  // namespace dpeval::cli
