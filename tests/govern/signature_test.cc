// govern/signature.h: Ed25519 signatures of files (Note [Signed artifacts]):
// what verifies, and every way a signature must fail, each named.
#include "dpeval/govern/signature.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"

namespace dpeval::govern {
namespace {

namespace fs = std::filesystem;

fs::path dir() {
  static const fs::path d = [] {
    fs::path p = fs::temp_directory_path() / ("dpeval_signature_test_" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }();
  return d;
}

fs::path put(const std::string& name, const std::string& text) {
  write_file_atomic(dir() / name, text);
  return dir() / name;
}

std::string failure(const fs::path& file, const fs::path& pub) {
  try {
    verify_file(file, pub);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

struct Keys {
  fs::path priv, pub;
};
Keys keys(const std::string& name) {
  const Ed25519Keys k = generate_ed25519_keys();
  return {put(name, k.private_pem), put(name + ".pub", k.public_pem)};
}

TEST(Signature, ASignedFileVerifiesAndEveryAlterationIsNamed) {
  const Keys k = keys("k"), other = keys("other");
  const fs::path file = put("model.dpck", std::string(100000, 'x') + "weights");
  write_file_atomic(signature_path(file), sign_file(file, k.priv));
  EXPECT_EQ(failure(file, k.pub), "");
  // Another key's public half.
  EXPECT_NE(failure(file, other.pub).find("does not verify"), std::string::npos);
  // The file changed by one byte, and by its length.
  put("model.dpck", std::string(100000, 'x') + "weighty");
  EXPECT_NE(failure(file, k.pub).find("tampered"), std::string::npos);
  put("model.dpck", std::string(100000, 'x') + "weights!");
  EXPECT_NE(failure(file, k.pub).find("tampered"), std::string::npos);
  put("model.dpck", std::string(100000, 'x') + "weights");
  EXPECT_EQ(failure(file, k.pub), "");
  // The signature document altered: one character of the signature, or the statement.
  const std::string sig = read_file(signature_path(file));
  std::string bad = sig;
  const size_t at = bad.find("\"signature\": \"") + 15;
  bad[at] = bad[at] == 'A' ? 'B' : 'A';
  write_file_atomic(signature_path(file), bad);
  EXPECT_NE(failure(file, k.pub).find("does not verify"), std::string::npos);
  bad = sig;
  bad.replace(bad.find("\\\"size\\\":"), 9, "\\\"size\\\":1");
  write_file_atomic(signature_path(file), bad);
  EXPECT_NE(failure(file, k.pub).find("does not verify"), std::string::npos);
  write_file_atomic(signature_path(file), "not json");
  EXPECT_NE(failure(file, k.pub).find("not JSON"), std::string::npos);
  write_file_atomic(signature_path(file), "{\"format\": \"dpeval.signature/1\"}");
  EXPECT_NE(failure(file, k.pub).find("not a dpeval.signature/1"), std::string::npos);
  // A valid signature moved beside another file with the same bytes.
  write_file_atomic(signature_path(file), sig);
  const fs::path copy = put("copy.dpck", read_file(file));
  write_file_atomic(signature_path(copy), sig);
  EXPECT_NE(failure(copy, k.pub).find("is for 'model.dpck'"), std::string::npos);
  // No signature at all.
  const fs::path bare = put("bare.csv", "a,b\n1,2\n");
  EXPECT_NE(failure(bare, k.pub).find("unsigned"), std::string::npos);
}

TEST(Signature, KeysThatAreNotEd25519AreRefusedNamingTheFile) {
  const Keys k = keys("k2");
  const fs::path file = put("f.txt", "hello\n");
  const fs::path junk = put("junk.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  EXPECT_THROW(sign_file(file, junk), InputError);
  EXPECT_THROW(sign_file(file, k.pub), InputError);  // a public key where the private one goes
  write_file_atomic(signature_path(file), sign_file(file, k.priv));
  EXPECT_NE(failure(file, k.priv).find("not an Ed25519 public key"), std::string::npos);
  EXPECT_NE(failure(file, junk).find(junk.string()), std::string::npos);
}

TEST(Signature, TwoKeyPairsDiffer) {
  const Ed25519Keys a = generate_ed25519_keys(), b = generate_ed25519_keys();
  EXPECT_NE(a.private_pem, b.private_pem);
  EXPECT_NE(a.public_pem, b.public_pem);
  EXPECT_NE(a.private_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(a.public_pem.find("BEGIN PUBLIC KEY"), std::string::npos);
}

}  // namespace
}  // namespace dpeval::govern
