// dpeval keygen / sign / verify: Ed25519 signatures for checkpoints,
// manifests and any other artifact (govern/signature.h, Note [Signed
// artifacts]).
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/govern/signature.h"

namespace dpeval::cli {
namespace {

struct KeygenArgs {
  std::string out;
};
struct SignArgs {
  std::string key;
  std::vector<std::string> files;
  JsonOutput json;
};
struct VerifyArgs {
  std::string pub;
  std::vector<std::string> files;
  JsonOutput json;
};

// A new file with mode 0600, refusing one that exists (a key is never overwritten).
void create_private(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) throw UsageError(fmt::format("--out {}: exists; a key is never overwritten", path));
    throw IoError(fmt::format("{}: cannot create: {}", path, std::strerror(err)));
  }
  ::close(fd);
}

int run_keygen(const KeygenArgs& a) {
  const std::string pub = a.out + ".pub";
  CommandFiles files;
  files.output("--out", a.out);
  files.output("--out (.pub)", pub);
  files.check();
  std::error_code ec;
  if (std::filesystem::exists(pub, ec)) {
    throw UsageError(fmt::format("{}: exists; a key is never overwritten", pub));
  }
  const govern::Ed25519Keys keys = govern::generate_ed25519_keys();
  create_private(a.out);
  try {
    write_file_atomic(a.out, keys.private_pem);  // keeps the 0600 of the file just made
    write_file_atomic(pub, keys.public_pem);
  } catch (...) {
    std::filesystem::remove(a.out, ec);
    throw;
  }
  fmt::print(stderr, "dpeval keygen: private key {} (mode 0600: keep it secret), public key {}\n", a.out,
             pub);
  return kExitOk;
}

int run_sign(const SignArgs& a) {
  CommandFiles files;
  files.input("--key", a.key);
  for (const std::string& f : a.files) {
    files.input("FILE", f);
    files.output("FILE.sig", govern::signature_path(f).string());
  }
  a.json.declare(files);
  files.check();
  // Every signature is made before any is written: a bad file writes none.
  std::vector<std::string> docs;
  for (const std::string& f : a.files) docs.push_back(govern::sign_file(f, a.key));
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < a.files.size(); ++i) {
    const std::string sig = govern::signature_path(a.files[i]).string();
    write_file_atomic(sig, docs[i]);
    out.push_back({{"file", a.files[i]}, {"signature", sig}});
    fmt::print(stderr, "dpeval sign: {} -> {}\n", a.files[i], sig);
  }
  a.json.emit({{"signed", out}});
  return kExitOk;
}

int run_verify(const VerifyArgs& a) {
  CommandFiles files;
  files.input("--pub", a.pub);
  for (const std::string& f : a.files) files.input("FILE", f);
  a.json.declare(files);
  files.check();
  nlohmann::json out = nlohmann::json::array();
  std::string first_failure;
  for (const std::string& f : a.files) {
    try {
      govern::verify_file(f, a.pub);
      out.push_back({{"file", f}, {"valid", true}});
      fmt::print(stderr, "dpeval verify: {}: signature valid\n", f);
    } catch (const InputError& e) {
      out.push_back({{"file", f}, {"valid", false}, {"error", e.what()}});
      fmt::print(stderr, "dpeval verify: {}\n", e.what());
      if (first_failure.empty()) first_failure = e.what();
    }
  }
  a.json.emit({{"files", out}, {"valid", first_failure.empty()}});
  if (!first_failure.empty()) throw InputError(first_failure);
  return kExitOk;
}

}  // namespace

Command add_keygen_command(CLI::App& root) {
  auto args = std::make_shared<KeygenArgs>();
  CLI::App* app = root.add_subcommand("keygen", "Make an Ed25519 key pair for dpeval sign and verify");
  app->footer(R"(Example:
  dpeval keygen --out release.key     # writes release.key (0600) and release.key.pub

Neither file may exist: a key is never overwritten (exit 2). See docs/SECURITY.md.)");
  app->add_option("--out", args->out, "The private key file to create (the public key goes to OUT.pub)")
      ->required();
  return {app, [args] { return run_keygen(*args); }};
}

Command add_sign_command(CLI::App& root) {
  auto args = std::make_shared<SignArgs>();
  CLI::App* app =
      root.add_subcommand("sign", "Sign files with an Ed25519 private key (FILE.sig beside each)");
  app->footer(R"(Example:
  dpeval sign --key release.key runs/mlp/checkpoint.dpck data.manifest.json

Each FILE.sig holds the signed statement of the file's name, size and SHA-256 and its Ed25519
signature. dpeval verify, serve --require-signature and train --require-signature check them.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input (not an Ed25519 key).)");
  app->add_option("--key", args->key, "Ed25519 private key (PEM, from dpeval keygen)")->required();
  app->add_option("files", args->files, "Files to sign")->required();
  args->json.add_options(*app);
  return {app, [args] { return run_sign(*args); }};
}

Command add_verify_command(CLI::App& root) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* app = root.add_subcommand("verify", "Check files against their FILE.sig and a public key");
  app->footer(R"(Example:
  dpeval verify --pub release.key.pub runs/mlp/checkpoint.dpck

Exit codes: 0 every file valid, 2 usage error, 3 a file unsigned, tampered, signed by
another key, or a bad key (each named on stderr and in --json).)");
  app->add_option("--pub", args->pub, "Ed25519 public key (PEM, the .pub of dpeval keygen)")->required();
  app->add_option("files", args->files, "Files to verify")->required();
  args->json.add_options(*app);
  return {app, [args] { return run_verify(*args); }};
}

}  // namespace dpeval::cli
