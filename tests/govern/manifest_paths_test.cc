// Note [Manifest paths stay inside]: a manifest cannot make verify read a
// file outside its own directory (it hashed /etc/passwd through "../").
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/govern/manifest.h"

namespace dpeval::govern {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir() {
  const fs::path dir =
      fs::temp_directory_path() / ("dpeval_manifest_paths_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir);
  fs::create_directories(dir / "data");
  return dir;
}

std::string manifest_json(const std::string& path) {
  return R"({"dpeval_manifest": 1, "files": [{"path": ")" + path + R"(", "size": 5, "sha256": ")" +
         std::string(64, 'a') + R"(", "format": "binary"}]})";
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return std::string("InputError: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("other: ") + e.what();
  }
  return "no error";
}

TEST(ManifestPaths, DotDotComponentsAreRefusedNamingTheEntry) {
  for (const std::string path : {"../../../../../../etc/passwd", "a/../../x.csv", ".."}) {
    const std::string m = message_of([&] { parse_manifest(manifest_json(path), "m.json"); });
    EXPECT_NE(m.find("InputError: m.json: files[0].path"), std::string::npos) << m;
    EXPECT_NE(m.find("'..' component"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(parse_manifest(manifest_json("a/..b/x.csv"), "m.json"));  // a name, not a component
}

TEST(ManifestPaths, AbsolutePathsAreRefused) {
  const std::string m = message_of([] { parse_manifest(manifest_json("/etc/passwd"), "m.json"); });
  EXPECT_NE(m.find("InputError: m.json: files[0].path"), std::string::npos) << m;
}

TEST(ManifestPaths, ASymlinkResolvingOutsideIsRefusedNotHashed) {
  const fs::path dir = fresh_dir();
  write_file_atomic(dir / "secret.txt", "hello");
  fs::create_symlink(dir / "secret.txt", dir / "data" / "link.bin");
  const fs::path manifest = dir / "data" / "m.json";
  write_file_atomic(manifest, manifest_json("link.bin"));
  const std::string m = message_of([&] { verify_manifest(manifest); });
  EXPECT_NE(m.find("InputError: " + manifest.string() + ": entry 'link.bin' resolves to"), std::string::npos)
      << m;
  EXPECT_NE(m.find("outside the manifest's directory"), std::string::npos) << m;
  // A symlink that stays inside is fine (reported as a hash mismatch here).
  write_file_atomic(dir / "data" / "real.bin", "hello");
  fs::remove(dir / "data" / "link.bin");
  fs::create_symlink("real.bin", dir / "data" / "link.bin");
  EXPECT_FALSE(verify_manifest(manifest).ok());
}

TEST(ManifestPaths, CreateRefusesFilesOutsideTheManifestsDirectory) {
  const fs::path dir = fresh_dir();
  write_file_atomic(dir / "outside.csv", "a,b\n1,2\n");
  const std::string m = message_of([&] { create_manifest({dir / "outside.csv"}, dir / "data" / "m.json"); });
  EXPECT_NE(m.find("outside.csv: is outside the manifest's directory"), std::string::npos) << m;
}

TEST(ManifestPaths, ASymlinkLoopIsBadInputNotACrash) {
  const fs::path dir = fresh_dir();
  fs::create_symlink(dir / "data" / "b.csv", dir / "data" / "a.csv");
  fs::create_symlink(dir / "data" / "a.csv", dir / "data" / "b.csv");
  const std::string m =
      message_of([&] { create_manifest({dir / "data" / "a.csv"}, dir / "data" / "m.json"); });
  EXPECT_NE(m.find("InputError: " + (dir / "data" / "a.csv").string()), std::string::npos) << m;
}

}  // namespace
}  // namespace dpeval::govern
