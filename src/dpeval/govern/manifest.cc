// Dataset manifests: create (hash + profile each file), parse/validate the
// JSON, write it atomically, and verify a manifest against the disk.
#include "dpeval/govern/manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/version.h"
#include "dpeval/data/table.h"
#include "dpeval/govern/csv_profile.h"

namespace dpeval::govern {
namespace fs = std::filesystem;
using nlohmann::json;

// ---- hashing ------------------------------------------------------------------

namespace {

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

bool is_gzip_table(const std::string& lower_name) {
  return lower_name.ends_with(".csv.gz") || lower_name.ends_with(".tsv.gz");
}

// A table file the manifest profiles: .csv, .tsv, .csv.gz or .tsv.gz (any case).
bool is_table(const fs::path& path) {
  std::string name = path.filename().string();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name.ends_with(".csv") || name.ends_with(".tsv") || is_gzip_table(name);
}

}  // namespace

// Note [Streaming hash]: the file goes through a ring of kRingBuffers fixed
// buffers of kBufferBytes: a reader thread read()s into free buffers while this
// thread hashes (and profiles) full ones, so the copy out of the page cache
// overlaps the hashing. Memory is constant whatever the file size.
std::string sha256_file(const fs::path& path, uint64_t& size, CsvProfiler* profiler) {
  constexpr size_t kBufferBytes = size_t{1} << 20;
  constexpr size_t kRingBuffers = 4;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  FdCloser closer{fd};
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  DPEVAL_CHECK(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1);

  struct Slot {
    std::unique_ptr<char[]> data{new char[kBufferBytes]};
    size_t bytes = 0;
  };
  std::array<Slot, kRingBuffers> ring;
  std::mutex mutex;
  std::condition_variable changed;
  size_t filled = 0, consumed = 0;  // slots filled by the reader / hashed so far (monotonic)
  bool done = false, stop = false;
  int read_errno = 0;
  uint64_t read_offset = 0;

  std::thread reader([&] {
    for (;;) {
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop || filled - consumed < kRingBuffers; });
        if (stop) return;
      }
      Slot& slot = ring[filled % kRingBuffers];
      ssize_t n;
      do {
        n = ::read(fd, slot.data.get(), kBufferBytes);
      } while (n < 0 && errno == EINTR);
      std::lock_guard lock(mutex);
      if (n <= 0) {
        read_errno = n < 0 ? errno : 0;
        done = true;
        changed.notify_all();
        return;
      }
      slot.bytes = static_cast<size_t>(n);
      read_offset += static_cast<uint64_t>(n);
      ++filled;
      changed.notify_all();
    }
  });
  const auto stop_reader = [&] {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    changed.notify_all();
    reader.join();
  };
  size = 0;
  try {
    for (;;) {
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return filled > consumed || done; });
        if (filled == consumed) break;  // done and drained
      }
      const Slot& slot = ring[consumed % kRingBuffers];
      DPEVAL_CHECK(EVP_DigestUpdate(ctx.get(), slot.data.get(), slot.bytes) == 1);
      if (profiler) profiler->add(std::string_view(slot.data.get(), slot.bytes));
      size += slot.bytes;
      {
        std::lock_guard lock(mutex);
        ++consumed;
      }
      changed.notify_all();
    }
  } catch (...) {
    stop_reader();
    throw;
  }
  stop_reader();
  if (read_errno != 0) {
    throw InputError(fmt::format("{}: cannot read at byte {}: {}", path.string(), size, std::strerror(read_errno)));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  DPEVAL_CHECK(EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

// ---- JSON ---------------------------------------------------------------------

json Manifest::to_json() const {
  json files_json = json::array();
  for (const ManifestFile& f : files) {
    json j = {{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"format", f.format}};
    if (f.rows) {
      j["rows"] = *f.rows;
      j["ragged_rows"] = f.ragged_rows;
      j["columns"] = f.columns;
    }
    files_json.push_back(std::move(j));
  }
  json prov = json::object();
  for (const auto& [key, value] : provenance) prov[key] = value;
  return {{"dpeval_manifest", kManifestVersion},
          {"files", files_json},
          {"provenance", prov},
          {"datasheet", datasheet.empty() ? json(nullptr) : json(datasheet)}};
}

std::string Manifest::content_hash() const {
  const std::string text = to_json().dump();
  return sha256_hex(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

namespace {

// Note [Manifest paths stay inside]
// A manifest is data a user may have been sent. verify reads and hashes every
// path it lists, so a path that leaves the manifest's directory would make it
// read any file on the machine (it hashed /etc/passwd through "../../etc/passwd").
// So a listed path is relative, has no ".." component (parse_manifest), and
// must resolve, symlinks followed, to a file inside the manifest's directory
// (verify_manifest). create refuses files outside the directory the same way,
// so everything create writes, verify accepts.
bool escapes_lexically(const std::string& path) {
  for (const fs::path& part : fs::path(path)) {
    if (part == "..") return true;
  }
  return false;
}

class ManifestParser {
 public:
  explicit ManifestParser(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& field, const std::string& message) const {
    throw InputError(fmt::format("{}: {}: {}", source_, field, message));
  }

  const json& member(const json& object, const std::string& where, const char* key) const {
    const auto it = object.find(key);
    if (it == object.end()) fail(where.empty() ? key : where + "." + key, "missing");
    return *it;
  }

  std::string string_field(const json& object, const std::string& where, const char* key) const {
    const json& v = member(object, where, key);
    if (!v.is_string()) fail(where + "." + key, fmt::format("is {}, expected a string", v.type_name()));
    return v.get<std::string>();
  }

  uint64_t count_field(const json& object, const std::string& where, const char* key) const {
    const json& v = member(object, where, key);
    if (!v.is_number_unsigned()) {
      fail(where + "." + key, fmt::format("is {}, expected a non-negative integer", v.dump().substr(0, 40)));
    }
    return v.get<uint64_t>();
  }

  Manifest parse(std::string_view text) const {
    json root;
    try {
      root = json::parse(text);
    } catch (const json::parse_error& e) {
      throw InputError(fmt::format("{}: malformed JSON at byte {}: {}", source_, e.byte, e.what()));
    } catch (const json::exception& e) {  // e.g. out_of_range: a number too large for a double
      throw InputError(fmt::format("{}: malformed JSON: {}", source_, e.what()));
    }
    if (!root.is_object()) fail("(top level)", fmt::format("is {}, expected an object", root.type_name()));
    const json& version = member(root, "", "dpeval_manifest");
    if (!version.is_number_integer() || version.get<int64_t>() != kManifestVersion) {
      fail("dpeval_manifest", fmt::format("is {}, expected {}", version.dump().substr(0, 40), kManifestVersion));
    }
    Manifest m;
    const json& files = member(root, "", "files");
    if (!files.is_array()) fail("files", fmt::format("is {}, expected an array", files.type_name()));
    std::set<std::string> seen;
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string where = fmt::format("files[{}]", i);
      const json& f = files[i];
      if (!f.is_object()) fail(where, fmt::format("is {}, expected an object", f.type_name()));
      ManifestFile file;
      file.path = string_field(f, where, "path");
      if (file.path.empty() || fs::path(file.path).is_absolute() || file.path.find('\0') != std::string::npos) {
        fail(where + ".path", "'" + file.path + "' is not a relative path, expected one relative to the manifest");
      }
      if (escapes_lexically(file.path)) {
        fail(where + ".path",
             "'" + file.path +
                 "' has a '..' component, which leaves the manifest's directory; expected a path "
                 "inside it");
      }
      if (!seen.insert(file.path).second) fail(where + ".path", "'" + file.path + "' is listed twice");
      file.size = count_field(f, where, "size");
      file.sha256 = string_field(f, where, "sha256");
      if (file.sha256.size() != 64 || file.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
        fail(where + ".sha256", "expected 64 lowercase hex digits");
      }
      file.format = string_field(f, where, "format");
      if (file.format != "csv" && file.format != "binary") {
        fail(where + ".format", "'" + file.format + "', expected \"csv\" or \"binary\"");
      }
      if (f.contains("rows")) {
        file.rows = count_field(f, where, "rows");
        if (f.contains("ragged_rows")) file.ragged_rows = count_field(f, where, "ragged_rows");
        if (f.contains("columns")) {
          file.columns = f["columns"];
          if (!file.columns.is_array()) fail(where + ".columns", "expected an array");
        }
      }
      m.files.push_back(std::move(file));
    }
    if (root.contains("provenance")) {
      const json& prov = root["provenance"];
      if (!prov.is_object()) fail("provenance", fmt::format("is {}, expected an object", prov.type_name()));
      for (const auto& [key, value] : prov.items()) {
        if (!value.is_string()) fail("provenance." + key, fmt::format("is {}, expected a string", value.type_name()));
        m.provenance[key] = value.get<std::string>();
      }
    }
    if (root.contains("datasheet") && !root["datasheet"].is_null()) {
      if (!root["datasheet"].is_string()) fail("datasheet", "expected a string or null");
      m.datasheet = root["datasheet"].get<std::string>();
    }
    return m;
  }

 private:
  std::string source_;
};

// `target` relative to `base`, with '/' separators. Both are made absolute first.
std::string relative_path(const fs::path& target, const fs::path& base) {
  const fs::path rel = fs::absolute(target).lexically_normal().lexically_relative(fs::absolute(base).lexically_normal());
  return rel.generic_string();
}

fs::path manifest_dir(const fs::path& manifest_path) {
  const fs::path parent = fs::absolute(manifest_path).parent_path();
  return parent;
}

}  // namespace

Manifest parse_manifest(std::string_view text, std::string_view source) { return ManifestParser(source).parse(text); }

Manifest read_manifest(const fs::path& path) { return parse_manifest(read_file(path), path.string()); }

void write_manifest(const Manifest& manifest, const fs::path& path) {
  write_file_atomic(path, manifest.to_json().dump(2) + "\n");
}

Manifest create_manifest(const std::vector<fs::path>& files, const fs::path& manifest_path,
                         const CreateManifestOptions& options) {
  if (files.empty()) throw UsageError("manifest create: no data files given");
  const fs::path base = manifest_dir(manifest_path);
  Manifest m;
  std::set<std::string> seen;
  for (const fs::path& file : files) {
    std::error_code type_ec;  // a symlink loop (ELOOP) is reported by sha256_file as bad input
    if (fs::is_directory(file, type_ec)) {
      throw InputError(file.string() + ": is a directory, expected a data file");
    }
    ManifestFile entry;
    entry.path = relative_path(file, base);
    if (escapes_lexically(entry.path)) {  // See Note [Manifest paths stay inside].
      throw InputError(
          fmt::format("{}: is outside the manifest's directory {}; a manifest lists files in or under "
                      "its own directory (write it to a directory above every data file)",
                      file.string(), base.string()));
    }
    try {
      (void)json(entry.path).dump();
    } catch (const json::type_error&) {
      throw InputError(file.string() + ": the path is not valid UTF-8, which a JSON manifest cannot hold");
    }
    if (!seen.insert(entry.path).second) throw InputError(file.string() + ": given twice");
    std::error_code same_ec;
    if (fs::equivalent(fs::absolute(file), fs::absolute(manifest_path), same_ec)) {
      throw InputError(file.string() + ": is the manifest itself");
    }
    if (is_table(file)) {
      // Profiled through the table reader (strict): a file every command would
      // refuse is refused here too, naming its line.
      CsvProfiler profiler(data::table_dialect_for(file.string()), file.string());
      std::string lower = file.filename().string();
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (is_gzip_table(lower)) {
        entry.sha256 = sha256_file(file, entry.size);  // the compressed bytes
        profiler.add(data::read_table_file(file));      // the table inside
      } else {
        entry.sha256 = sha256_file(file, entry.size, &profiler);
      }
      CsvProfile profile = profiler.finish();
      entry.format = "csv";
      entry.rows = profile.rows;
      entry.ragged_rows = profile.ragged_rows;
      entry.columns = profile.columns_json();
    } else {
      entry.sha256 = sha256_file(file, entry.size);
      entry.format = "binary";
    }
    m.files.push_back(std::move(entry));
  }
  std::optional<fs::path> datasheet = options.datasheet;
  if (!datasheet && options.find_datasheet) {
    for (const fs::path& dir : {base, fs::absolute(files.front()).parent_path()}) {
      if (fs::is_regular_file(dir / "datasheet.toml")) {
        datasheet = dir / "datasheet.toml";
        break;
      }
    }
  }
  if (datasheet) {
    m.provenance = read_datasheet_toml(*datasheet);
    m.datasheet = relative_path(*datasheet, base);
  }
  return m;
}

// ---- verify -------------------------------------------------------------------

std::string_view manifest_problem_name(ManifestProblemKind kind) {
  switch (kind) {
    case ManifestProblemKind::kMissing: return "missing";
    case ManifestProblemKind::kSize: return "size";
    case ManifestProblemKind::kHash: return "hash";
    case ManifestProblemKind::kAdded: return "added";
  }
  return "unknown";
}

json ManifestVerification::to_json() const {
  json list = json::array();
  for (const ManifestProblem& p : problems) {
    list.push_back({{"path", p.path}, {"problem", manifest_problem_name(p.kind)}, {"detail", p.detail}});
  }
  return {{"ok", ok()}, {"manifest_hash", manifest_hash}, {"files_checked", files_checked}, {"problems", list}};
}

std::string ManifestVerification::summary() const {
  std::string out;
  for (const ManifestProblem& p : problems) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({})", p.path, manifest_problem_name(p.kind));
  }
  return out;
}

namespace {

// Throws InputError when `path` (listed as `entry`) resolves, symlinks
// followed, outside `real_base`. See Note [Manifest paths stay inside].
void check_inside(const std::string& entry, const fs::path& path, const fs::path& real_base,
                  const fs::path& manifest_path) {
  if (escapes_lexically(entry) || fs::path(entry).is_absolute()) {
    throw InputError(fmt::format("{}: entry '{}' leaves the manifest's directory; refusing to read it",
                                 manifest_path.string(), entry));
  }
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(path, ec);
  if (ec) return;  // reported as missing by the caller
  const fs::path rel = real.lexically_relative(real_base);
  if (rel.empty() || escapes_lexically(rel.string())) {
    throw InputError(
        fmt::format("{}: entry '{}' resolves to {}, outside the manifest's directory {} (through a "
                    "symbolic link); refusing to read it",
                    manifest_path.string(), entry, real.string(), real_base.string()));
  }
}

}  // namespace

ManifestVerification verify_manifest(const Manifest& manifest, const fs::path& manifest_path) {
  const fs::path base = manifest_dir(manifest_path);
  ManifestVerification v;
  v.manifest_hash = manifest.content_hash();
  std::set<fs::path> listed;
  std::map<fs::path, std::set<std::string>> extensions_by_dir;
  std::error_code base_ec;
  const fs::path real_base = fs::weakly_canonical(base, base_ec);
  for (const ManifestFile& f : manifest.files) {
    const fs::path path = (base / fs::path(f.path)).lexically_normal();
    check_inside(f.path, path, base_ec ? base : real_base, manifest_path);
    listed.insert(path);
    extensions_by_dir[path.parent_path()].insert(path.extension().string());
    ++v.files_checked;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      v.problems.push_back({f.path, ManifestProblemKind::kMissing, "not found at " + path.string()});
      continue;
    }
    uint64_t size = 0;
    std::string hash;
    try {
      hash = sha256_file(path, size);
    } catch (const InputError& e) {
      v.problems.push_back({f.path, ManifestProblemKind::kMissing, e.what()});
      continue;
    }
    if (size != f.size) {
      v.problems.push_back({f.path, ManifestProblemKind::kSize, fmt::format("size {} != recorded {}", size, f.size)});
    } else if (hash != f.sha256) {
      v.problems.push_back(
          {f.path, ManifestProblemKind::kHash, fmt::format("sha256 {} != recorded {}", hash, f.sha256)});
    }
  }
  // Added files: see the rule in manifest.h.
  const fs::path self = fs::absolute(manifest_path).lexically_normal();
  std::vector<ManifestProblem> added;
  for (const auto& [dir, extensions] : extensions_by_dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path path = it->path().lexically_normal();
      std::error_code type_ec;
      if (!it->is_regular_file(type_ec) || listed.count(path) || path == self) continue;
      if (!extensions.count(path.extension().string())) continue;
      added.push_back({relative_path(path, base), ManifestProblemKind::kAdded, "not listed in the manifest"});
    }
  }
  std::sort(added.begin(), added.end(), [](const ManifestProblem& a, const ManifestProblem& b) { return a.path < b.path; });
  v.problems.insert(v.problems.end(), added.begin(), added.end());
  return v;
}

ManifestVerification verify_manifest(const fs::path& manifest_path) {
  return verify_manifest(read_manifest(manifest_path), manifest_path);
}

ManifestVerification require_verified_manifest(const fs::path& manifest_path) {
  ManifestVerification v = verify_manifest(manifest_path);
  if (v.ok()) return v;
  std::string details;
  for (const ManifestProblem& p : v.problems) {
    details += fmt::format("{}{} ({}: {})", details.empty() ? "" : "; ", p.path, manifest_problem_name(p.kind), p.detail);
  }
  throw InputError(fmt::format("{}: {} file(s) differ from the manifest: {}", manifest_path.string(),
                               v.problems.size(), details));
}

bool manifest_lists(const Manifest& manifest, const fs::path& manifest_path, const fs::path& file) {
  const fs::path base = manifest_dir(manifest_path);
  const fs::path wanted = fs::absolute(file).lexically_normal();
  return std::any_of(manifest.files.begin(), manifest.files.end(),
                     [&](const ManifestFile& f) { return (base / fs::path(f.path)).lexically_normal() == wanted; });
}

}  // namespace dpeval::govern
