// Dataset manifests: what a set of data files was when it was recorded (size,
// SHA-256, and for table files (.csv, .tsv, .csv.gz, .tsv.gz: read by the one
// table reader, data/table_reader.h, strict) row count, columns, types and statistics), plus
// free-text provenance from a datasheet.toml, in one JSON file that travels
// with the data. Paths inside are relative to the manifest's directory, written
// with '/'. The format and the verify rules are in docs/GOVERN.md.
//
// Manifest JSON (version 1):
//   {"dpeval_manifest": 1,
//    "files": [{"path": "train.csv", "size": 123, "sha256": "<64 hex>", "format": "csv",
//               "rows": 100, "ragged_rows": 0, "columns": [{"name", "type", ...}]}, ...],
//    "provenance": {"origin": "...", ...},   // strings; absent fields = unanswered
//    "datasheet": "datasheet.toml" | null}
// Files are hashed through four fixed 1 MiB buffers (streaming; never the whole file).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dpeval::govern {

inline constexpr int kManifestVersion = 1;

struct ManifestFile {
  std::string path;  // relative to the manifest's directory, '/' separators
  uint64_t size = 0;
  std::string sha256;  // 64 lowercase hex digits
  std::string format;  // "csv" or "binary"
  // CSV only: data rows, records of the wrong width, and the column profiles (as JSON).
  std::optional<uint64_t> rows;
  uint64_t ragged_rows = 0;
  nlohmann::json columns = nlohmann::json::array();
};

// The datasheet fields a manifest can carry. Keys of kProvenanceFields only.
using Provenance = std::map<std::string, std::string>;

struct Manifest {
  std::vector<ManifestFile> files;
  Provenance provenance;
  std::string datasheet;  // the datasheet.toml it came from (relative), empty if none

  nlohmann::json to_json() const;
  // SHA-256 of to_json().dump() (sorted keys, no whitespace): the manifest's
  // canonical content hash, 64 hex digits. Equal for equal content, whatever
  // the file's formatting.
  std::string content_hash() const;
};

// The provenance fields read from datasheet.toml, in datasheet order: the six
// the issue names first (origin, collection_process, labeling_process, license,
// known_biases, intended_use), then optional ones (name, motivation, funded_by,
// preprocessing, distribution, maintainer, contact, update_policy, consent,
// out_of_scope_uses).
const std::vector<std::string>& provenance_fields();

// Reads datasheet.toml: a table of the provenance_fields() as strings. Throws
// ConfigError naming the file (and line:column for TOML syntax errors) for an
// unreadable file, bad TOML, an unknown key or a value that is not a string.
Provenance read_datasheet_toml(const std::filesystem::path& path);

struct CreateManifestOptions {
  std::optional<std::filesystem::path> datasheet;  // explicit --datasheet
  // Without `datasheet`, a datasheet.toml next to the manifest or next to the
  // first data file is read when it exists.
  bool find_datasheet = true;
};

// Hashes and profiles `files` (CSV: extension .csv, case-insensitive) and
// returns their manifest for a manifest to be written at `manifest_path`.
// Throws InputError naming a file that cannot be opened or read, or that is
// given twice, and UsageError for no files.
Manifest create_manifest(const std::vector<std::filesystem::path>& files, const std::filesystem::path& manifest_path,
                         const CreateManifestOptions& options = {});

// Parses manifest JSON text. Throws InputError "<source>: <field>: <what>,
// expected <what>" for malformed JSON, a missing or mistyped field, an
// absolute path, a duplicate path or an unknown version.
Manifest parse_manifest(std::string_view text, std::string_view source);
// read_file + parse_manifest.
Manifest read_manifest(const std::filesystem::path& path);
// Writes to_json() atomically (pretty, trailing newline).
void write_manifest(const Manifest& manifest, const std::filesystem::path& path);

// What verify found wrong with one file.
enum class ManifestProblemKind { kMissing, kSize, kHash, kAdded };
std::string_view manifest_problem_name(ManifestProblemKind kind);  // "missing", "size", "hash", "added"

struct ManifestProblem {
  std::string path;  // as in the manifest (for kAdded: relative to the manifest's directory)
  ManifestProblemKind kind;
  std::string detail;  // "size 120 != recorded 123", ...
};

struct ManifestVerification {
  std::string manifest_hash;  // content_hash() of the manifest verified
  size_t files_checked = 0;
  std::vector<ManifestProblem> problems;  // listed files in manifest order, then added files by path
  bool ok() const { return problems.empty(); }
  nlohmann::json to_json() const;
  // "a.csv (hash), b.csv (missing)" for error messages.
  std::string summary() const;
};

// Re-hashes every listed file (resolved against the manifest's directory) and
// looks for added ones. Rule for "added": in every directory that holds a
// listed file, a regular file (not recursing) whose extension equals the
// extension of a file listed from that directory, that the manifest does not
// list and that is not the manifest itself. Never throws for a file problem
// (they are reported); throws only as read_manifest does.
ManifestVerification verify_manifest(const Manifest& manifest, const std::filesystem::path& manifest_path);
ManifestVerification verify_manifest(const std::filesystem::path& manifest_path);

// For a consumer about to read the data (dpeval train --manifest): verifies
// and throws InputError "<manifest>: N file(s) differ from the manifest: a.csv
// (hash: ...), ..." naming every file when anything differs. Returns the
// verification (ok) otherwise.
ManifestVerification require_verified_manifest(const std::filesystem::path& manifest_path);

// True when `file` (a path as the user gave it) is one of the manifest's files.
bool manifest_lists(const Manifest& manifest, const std::filesystem::path& manifest_path,
                    const std::filesystem::path& file);

// SHA-256 of a file, streamed through fixed buffers (a reader thread fills them
// while this one hashes; See Note [Streaming hash]); `size` receives the byte
// count. When `profiler` is given, the same bytes are fed to it. Throws
// InputError naming the file when it cannot be opened or read.
class CsvProfiler;
std::string sha256_file(const std::filesystem::path& path, uint64_t& size, CsvProfiler* profiler = nullptr);

}  // namespace dpeval::govern
