// Signed artifacts: Ed25519 signatures (OpenSSL's EVP) over a statement of a
// file's name, size and SHA-256, in a `.sig` file beside it.
//
// Note [Signed artifacts]
// A manifest's SHA-256 catches accidents; whoever can rewrite the data can
// rewrite the manifest too. A signature binds the file to a private key the
// attacker does not hold. `dpeval sign --key K FILE` writes FILE.sig:
//   {"format": "dpeval.signature/1", "algorithm": "ed25519",
//    "statement": "<the signed text>", "signature": "<base64>",
//    "public_key_sha256": "<hex of the signer's public key, DER>"}
// where the statement is the canonical JSON
//   {"file":"<base name>","format":"dpeval.signed-file/1","sha256":"<hex>","size":<bytes>}.
// Verification checks, in order, that FILE.sig exists and parses, that the
// signature verifies over the statement with the given public key, and that
// the statement names this file's base name, size and SHA-256 now; each
// failure is an InputError naming the file and what failed. Ed25519 (RFC 8032)
// signs the statement itself, not a digest of the whole file, so a signature
// stays 64 bytes whatever the file's size.
// Keys are PEM: the private key PKCS#8 (written 0600, never over an existing
// file), the public key SubjectPublicKeyInfo.
#pragma once

#include <filesystem>
#include <string>

namespace dpeval::govern {

struct Ed25519Keys {
  std::string private_pem, public_pem;
};
Ed25519Keys generate_ed25519_keys();

// FILE + ".sig".
std::filesystem::path signature_path(const std::filesystem::path& file);

// The .sig document for `file` signed with the private key in `key_file`.
// InputError naming key_file when it is not an Ed25519 private key (PEM);
// IoError when the file cannot be read.
std::string sign_file(const std::filesystem::path& file, const std::filesystem::path& key_file);

// Checks signature_path(file) against `file` and the public key in
// `public_key_file` (Note [Signed artifacts]); throws InputError naming the
// file and what failed, or naming public_key_file when it is not an Ed25519
// public key.
void verify_file(const std::filesystem::path& file, const std::filesystem::path& public_key_file);

}  // namespace dpeval::govern
