// See signature.h.
#include "dpeval/govern/signature.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/govern/manifest.h"

namespace dpeval::govern {
namespace {

using json = nlohmann::json;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// The key in a PEM file; InputError naming the file unless it is Ed25519.
Pkey read_key(const std::filesystem::path& path, bool private_key) {
  const std::string text = read_file(path);
  Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  Pkey key(private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                       : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    throw InputError(fmt::format("{}: not an Ed25519 {} key in PEM (make one with dpeval keygen)",
                                 path.string(), private_key ? "private" : "public"));
  }
  return key;
}

std::string public_key_sha256(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) throw Error("OpenSSL could not encode a public key");
  const std::string hex = sha256_hex(std::as_bytes(std::span(der, static_cast<size_t>(n))));
  OPENSSL_free(der);
  return hex;
}

std::string base64(const std::vector<unsigned char>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Decodes base64 of exactly `want` bytes, or returns an empty vector.
std::vector<unsigned char> unbase64(const std::string& text, size_t want) {
  if (text.size() != 4 * ((want + 2) / 3)) return {};
  std::vector<unsigned char> out(3 * (text.size() / 4));
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {};
  out.resize(want);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

std::string statement_of(const std::filesystem::path& file) {
  uint64_t size = 0;
  const std::string sha = sha256_file(file, size);
  return json{
      {"file", file.filename().string()}, {"format", "dpeval.signed-file/1"}, {"sha256", sha}, {"size", size}}
      .dump();
}

}  // namespace

Ed25519Keys generate_ed25519_keys() {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &raw) <= 0) {
    throw Error("OpenSSL could not generate an Ed25519 key");
  }
  Pkey key(raw);
  Bio priv(BIO_new(BIO_s_mem())), pub(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    throw Error("OpenSSL could not write an Ed25519 key as PEM");
  }
  return {bio_text(priv.get()), bio_text(pub.get())};
}

std::filesystem::path signature_path(const std::filesystem::path& file) {
  std::filesystem::path p = file;
  p += ".sig";
  return p;
}

std::string sign_file(const std::filesystem::path& file, const std::filesystem::path& key_file) {
  const Pkey key = read_key(key_file, /*private_key=*/true);
  const std::string statement = statement_of(file);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  size_t n = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(statement.data()),
                     statement.size()) != 1) {
    throw Error(fmt::format("{}: OpenSSL could not sign", file.string()));
  }
  std::vector<unsigned char> sig(n);
  if (EVP_DigestSign(md.get(), sig.data(), &n, reinterpret_cast<const unsigned char*>(statement.data()),
                     statement.size()) != 1) {
    throw Error(fmt::format("{}: OpenSSL could not sign", file.string()));
  }
  sig.resize(n);
  return json{{"format", "dpeval.signature/1"},
              {"algorithm", "ed25519"},
              {"statement", statement},
              {"signature", base64(sig)},
              {"public_key_sha256", public_key_sha256(key.get())}}
             .dump(1) +
         "\n";
}

void verify_file(const std::filesystem::path& file, const std::filesystem::path& public_key_file) {
  const Pkey key = read_key(public_key_file, /*private_key=*/false);
  const std::filesystem::path sig_path = signature_path(file);
  const std::string name = file.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(sig_path, ec)) {
    throw InputError(
        fmt::format("{}: unsigned: no signature {} beside it (dpeval sign)", name, sig_path.string()));
  }
  json doc;
  try {
    doc = json::parse(read_file(sig_path));
  } catch (const json::exception&) {
    throw InputError(fmt::format("{}: signature {} is not JSON", name, sig_path.string()));
  }
  if (!doc.is_object() || doc.value("format", "") != "dpeval.signature/1" ||
      doc.value("algorithm", "") != "ed25519" || !doc.contains("statement") ||
      !doc["statement"].is_string() || !doc.contains("signature") || !doc["signature"].is_string()) {
    throw InputError(fmt::format("{}: signature {} is not a dpeval.signature/1 Ed25519 document", name,
                                 sig_path.string()));
  }
  const std::string statement = doc["statement"];
  const std::vector<unsigned char> sig = unbase64(doc["signature"], 64);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  if (sig.size() != 64 || !md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestVerify(md.get(), sig.data(), sig.size(),
                       reinterpret_cast<const unsigned char*>(statement.data()), statement.size()) != 1) {
    throw InputError(
        fmt::format("{}: the signature in {} does not verify with {} (signed by another key, or "
                    "the signature file was altered)",
                    name, sig_path.string(), public_key_file.string()));
  }
  json s;
  try {
    s = json::parse(statement);
  } catch (const json::exception&) {
    throw InputError(fmt::format("{}: the signed statement in {} is not JSON", name, sig_path.string()));
  }
  if (s.value("file", "") != file.filename().string()) {
    throw InputError(fmt::format("{}: the signature in {} is for '{}', not this file", name,
                                 sig_path.string(), s.value("file", "")));
  }
  uint64_t size = 0;
  const std::string sha = sha256_file(file, size);
  if (s.value("sha256", "") != sha || s.value("size", uint64_t{0}) != size) {
    throw InputError(
        fmt::format("{}: tampered: its SHA-256 or size differs from what was signed ({} bytes now, "
                    "{} signed)",
                    name, size, s.value("size", uint64_t{0})));
  }
}

}  // namespace dpeval::govern
