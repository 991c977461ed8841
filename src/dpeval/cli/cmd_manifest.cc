// dpeval manifest create|verify: record what a set of data files is (size,
// SHA-256, rows, columns and statistics, provenance from datasheet.toml) and
// later prove that nothing changed. docs/GOVERN.md has the format and rules.
#include <memory>

#include <fmt/format.h>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/core/error.h"
#include "dpeval/core/timer.h"
#include "dpeval/govern/manifest.h"

namespace dpeval::cli {
namespace {

struct ManifestArgs {
  CLI::App* create = nullptr;
  CLI::App* verify = nullptr;
  std::string out;
  std::vector<std::string> files;
  std::string datasheet;
  bool no_datasheet = false;
  std::string manifest;
  JsonOutput create_json, verify_json;
};

int run_create(const ManifestArgs& a) {
  govern::CreateManifestOptions options;
  if (!a.datasheet.empty()) options.datasheet = a.datasheet;
  options.find_datasheet = !a.no_datasheet;
  CommandFiles guard;
  for (const std::string& f : a.files) guard.input("FILES", f);
  guard.input("--datasheet", a.datasheet);
  guard.output("--out", a.out);
  a.create_json.declare(guard);
  guard.check();
  std::vector<std::filesystem::path> files(a.files.begin(), a.files.end());
  const Stopwatch watch;
  const govern::Manifest m = govern::create_manifest(files, a.out, options);
  const double seconds = watch.seconds();
  govern::write_manifest(m, a.out);
  uint64_t bytes = 0;
  for (const govern::ManifestFile& f : m.files) bytes += f.size;
  fmt::print(stderr, "dpeval manifest: {} files, {} bytes hashed in {:.3f} s ({:.1f} MB/s){} -> {}\n", m.files.size(),
             bytes, seconds, seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0.0,
             m.datasheet.empty() ? "" : ", provenance from " + m.datasheet, a.out);
  a.create_json.emit({{"manifest", a.out},
                      {"manifest_hash", m.content_hash()},
                      {"files", m.files.size()},
                      {"bytes", bytes},
                      {"seconds", seconds},
                      {"datasheet", m.datasheet.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.datasheet)}});
  return kExitOk;
}

int run_verify(const ManifestArgs& a) {
  CommandFiles guard;
  guard.input("MANIFEST", a.manifest);
  if (!a.verify_json.file().empty()) {  // the files it lists are inputs too
    const std::filesystem::path dir = std::filesystem::path(a.manifest).parent_path();
    for (const govern::ManifestFile& f : govern::read_manifest(a.manifest).files) guard.input("a listed file", dir / f.path);
  }
  a.verify_json.declare(guard);
  guard.check();
  const govern::ManifestVerification v = govern::verify_manifest(a.manifest);
  nlohmann::json result = v.to_json();
  result["manifest"] = a.manifest;
  a.verify_json.emit(result);
  for (const govern::ManifestProblem& p : v.problems) {
    fmt::print(stderr, "dpeval manifest: {}: {}: {}\n", p.path, govern::manifest_problem_name(p.kind), p.detail);
  }
  if (!v.ok()) {
    throw InputError(fmt::format("{}: {} of the data differ from the manifest: {}", a.manifest, v.problems.size(),
                                 v.summary()));
  }
  fmt::print(stderr, "dpeval manifest: {}: ok, {} files match (manifest sha256 {})\n", a.manifest, v.files_checked,
             v.manifest_hash);
  return kExitOk;
}

}  // namespace

Command add_manifest_command(CLI::App& root) {
  auto args = std::make_shared<ManifestArgs>();
  ManifestArgs& a = *args;
  CLI::App* app = root.add_subcommand("manifest", "Record data files' hashes, schema and provenance; verify them");
  app->require_subcommand(1);
  app->footer(R"(Examples:
  dpeval manifest create --out data/data.manifest.json data/train.csv data/test.csv
  dpeval manifest create --out data.manifest.json --datasheet datasheet.toml *.csv
  dpeval manifest verify data/data.manifest.json

verify names every file that is missing, changed (size or hash) or added (a file next to the
listed ones with the same extension that the manifest does not list) and exits 3 if any.
Paths in the manifest are relative to its directory. See docs/GOVERN.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input or a mismatch.)");
  a.create = app->add_subcommand("create", "Write a manifest of FILES");
  a.create->add_option("--out", a.out, "Manifest to write (e.g. data.manifest.json)")->required();
  a.create->add_option("--datasheet", a.datasheet,
                       "datasheet.toml with provenance (default: datasheet.toml next to the manifest or the files)");
  a.create->add_flag("--no-datasheet", a.no_datasheet, "Do not look for a datasheet.toml");
  a.create->add_option("files", a.files, "Data files")->required();
  a.create_json.add_options(*a.create);
  a.verify = app->add_subcommand("verify", "Re-hash the files of a manifest and report every difference");
  a.verify->add_option("manifest", a.manifest, "The manifest")->required();
  a.verify_json.add_options(*a.verify);
  return {app, [args] { return args->create->parsed() ? run_create(*args) : run_verify(*args); }};
}

}  // namespace dpeval::cli
