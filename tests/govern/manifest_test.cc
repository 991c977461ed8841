// Dataset manifests: create, verify against tampering (each kind named),
// malformed manifests and datasheets, streaming hash and CSV profile.
#include "dpeval/govern/manifest.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/data/table_reader.h"
#include "dpeval/govern/csv_profile.h"

namespace dpeval::govern {
namespace {

namespace fs = std::filesystem;

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dpeval_manifest_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    write("data/a.csv", "x,y,label\n1,2.5,0\n3,,1\n5,4.5,cat\n");
    write("data/b.csv", "id,note\n1,\"hello, world\"\n2,\"multi\nline\"\n");
    write("data/c.bin", std::string(3000, '\x07'));
    write("data/notes.txt", "not data");
    manifest_path_ = dir_ / "data" / "data.manifest.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, std::string_view content) {
    const fs::path p = dir_ / name;
    write_file_atomic(p, content);
    return p;
  }
  Manifest create() {
    CreateManifestOptions options;
    options.find_datasheet = false;
    Manifest m =
        create_manifest({dir_ / "data/a.csv", dir_ / "data/b.csv", dir_ / "data/c.bin"}, manifest_path_, options);
    write_manifest(m, manifest_path_);
    return m;
  }
  // The problems as "path:kind" strings.
  std::vector<std::string> problems() {
    std::vector<std::string> out;
    for (const ManifestProblem& p : verify_manifest(manifest_path_).problems) {
      out.push_back(p.path + ":" + std::string(manifest_problem_name(p.kind)));
    }
    return out;
  }

  fs::path dir_, manifest_path_;
};

TEST_F(ManifestTest, CreateRecordsSizeHashRowsAndColumns) {
  const Manifest m = create();
  ASSERT_EQ(m.files.size(), 3u);
  EXPECT_EQ(m.files[0].path, "a.csv");
  EXPECT_EQ(m.files[0].size, fs::file_size(dir_ / "data/a.csv"));
  const std::string a = read_file(dir_ / "data/a.csv");
  EXPECT_EQ(m.files[0].sha256, sha256_hex(std::as_bytes(std::span<const char>(a.data(), a.size()))));
  EXPECT_EQ(m.files[0].rows, 3u);
  ASSERT_EQ(m.files[0].columns.size(), 3u);
  EXPECT_EQ(m.files[0].columns[0]["type"], "integer");
  EXPECT_EQ(m.files[0].columns[0]["mean"], 3.0);
  EXPECT_EQ(m.files[0].columns[1]["type"], "number");
  EXPECT_EQ(m.files[0].columns[1]["missing"], 1);
  EXPECT_EQ(m.files[0].columns[2]["type"], "string");
  EXPECT_EQ(m.files[1].rows, 2u);  // the quoted line break is inside a cell
  EXPECT_EQ(m.files[1].columns[1]["distinct"], 2);
  EXPECT_EQ(m.files[2].format, "binary");
  EXPECT_FALSE(m.files[2].rows.has_value());
  EXPECT_TRUE(verify_manifest(manifest_path_).ok());
}

TEST_F(ManifestTest, ContentHashIgnoresFormattingAndRoundTrips) {
  const Manifest m = create();
  const Manifest back = read_manifest(manifest_path_);
  EXPECT_EQ(back.content_hash(), m.content_hash());
  EXPECT_EQ(parse_manifest(m.to_json().dump(), "compact").content_hash(), m.content_hash());
  EXPECT_EQ(m.content_hash().size(), 64u);
}

TEST_F(ManifestTest, FlippedByteIsAHashMismatch) {
  create();
  std::string b = read_file(dir_ / "data/b.csv");
  b[5] ^= 0x01;
  write("data/b.csv", b);
  EXPECT_EQ(problems(), std::vector<std::string>{"b.csv:hash"});
}

TEST_F(ManifestTest, TruncatedFileIsASizeMismatch) {
  create();
  fs::resize_file(dir_ / "data/c.bin", 2999);
  EXPECT_EQ(problems(), std::vector<std::string>{"c.bin:size"});
}

TEST_F(ManifestTest, DeletedFileIsMissing) {
  create();
  fs::remove(dir_ / "data/a.csv");
  EXPECT_EQ(problems(), std::vector<std::string>{"a.csv:missing"});
}

TEST_F(ManifestTest, AddedFileWithADataExtensionIsNamed) {
  create();
  write("data/d.csv", "x\n1\n");
  write("data/e.bin", "x");
  write("data/more.txt", "other extension: not data");
  EXPECT_EQ(problems(), (std::vector<std::string>{"d.csv:added", "e.bin:added"}));
}

TEST_F(ManifestTest, EveryTamperingAtOnceIsNamedEach) {
  create();
  std::string b = read_file(dir_ / "data/b.csv");
  b.back() = 'X';
  write("data/b.csv", b);
  fs::resize_file(dir_ / "data/c.bin", 10);
  fs::remove(dir_ / "data/a.csv");
  write("data/new.csv", "x\n1\n");
  EXPECT_EQ(problems(), (std::vector<std::string>{"a.csv:missing", "b.csv:hash", "c.bin:size", "new.csv:added"}));
  try {
    require_verified_manifest(manifest_path_);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    for (const char* name : {"a.csv (missing", "b.csv (hash", "c.bin (size", "new.csv (added"}) {
      EXPECT_NE(what.find(name), std::string::npos) << what;
    }
  }
}

TEST_F(ManifestTest, DataMovesWithTheManifest) {
  create();
  fs::rename(dir_ / "data", dir_ / "moved");
  EXPECT_TRUE(verify_manifest(dir_ / "moved" / "data.manifest.json").ok());
}

TEST_F(ManifestTest, FilesInOtherDirectoriesGetRelativePaths) {
  fs::create_directories(dir_ / "data/sub");
  write("data/sub/s.csv", "x\n1\n");
  CreateManifestOptions options;
  options.find_datasheet = false;
  const Manifest m = create_manifest({dir_ / "data/sub/s.csv", dir_ / "data/a.csv"}, manifest_path_, options);
  EXPECT_EQ(m.files[0].path, "sub/s.csv");
  write_manifest(m, manifest_path_);
  // b.csv is a .csv next to a listed .csv: added. c.bin is not (no .bin listed there).
  EXPECT_EQ(problems(), std::vector<std::string>{"b.csv:added"});
  EXPECT_TRUE(manifest_lists(m, manifest_path_, dir_ / "data/sub/../sub/s.csv"));
  EXPECT_FALSE(manifest_lists(m, manifest_path_, dir_ / "data/b.csv"));
}

TEST_F(ManifestTest, CreateRefusesMissingAndDuplicateFiles) {
  EXPECT_THROW(create_manifest({dir_ / "data/nope.csv"}, manifest_path_), InputError);
  EXPECT_THROW(create_manifest({dir_ / "data/a.csv", dir_ / "data/./a.csv"}, manifest_path_), InputError);
  EXPECT_THROW(create_manifest({}, manifest_path_), UsageError);
}

TEST_F(ManifestTest, DatasheetTomlProvenance) {
  // Non-ASCII text: in single-line values before any multi-line string (See Note
  // [toml++ 3.3 unreachable] in core/toml_hazards.h).
  write("data/datasheet.toml",
        "name = \"Caf\xC3\xA9 survey\"\norigin = \"a survey\"\nlicense = \"CC-BY-4.0\"\n"
        "known_biases = \"\"\"only adults\nonly one city\"\"\"\n");
  const Manifest m = create_manifest({dir_ / "data/a.csv"}, manifest_path_);
  EXPECT_EQ(m.datasheet, "datasheet.toml");
  EXPECT_EQ(m.provenance.at("origin"), "a survey");
  EXPECT_EQ(m.provenance.at("known_biases"), "only adults\nonly one city");
  EXPECT_EQ(m.provenance.at("name"), "Caf\xC3\xA9 survey");
  EXPECT_EQ(m.provenance.count("intended_use"), 0u);
}

std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no ConfigError";
}

TEST_F(ManifestTest, BadDatasheetNamesFileAndField) {
  const fs::path ds = write("ds.toml", "origin = 3\n");
  EXPECT_NE(config_error([&] { read_datasheet_toml(ds); }).find("ds.toml:1:10: field 'origin' is not a string"),
            std::string::npos)
      << config_error([&] { read_datasheet_toml(ds); });
  write("ds.toml", "licence = \"MIT\"\n");
  EXPECT_NE(config_error([&] { read_datasheet_toml(ds); }).find("unknown field 'licence'"), std::string::npos);
  write("ds.toml", "origin = \"unterminated\n");
  EXPECT_NE(config_error([&] { read_datasheet_toml(ds); }).find("ds.toml:1"), std::string::npos);
  EXPECT_NE(config_error([&] { read_datasheet_toml(dir_ / "absent.toml"); }).find("absent.toml"), std::string::npos);
  CreateManifestOptions options;
  options.datasheet = dir_ / "absent.toml";
  EXPECT_THROW(create_manifest({dir_ / "data/a.csv"}, manifest_path_, options), ConfigError);
}

std::string input_error(std::string_view text) {
  try {
    parse_manifest(text, "m.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

TEST(ManifestParseTest, MalformedManifestsNameTheField) {
  const std::string hash(64, 'a');
  const std::string file = R"({"path":"a.csv","size":1,"sha256":")" + hash + R"(","format":"csv"})";
  EXPECT_NO_THROW(parse_manifest(R"({"dpeval_manifest":1,"files":[)" + file + "]}", "m.json"));
  EXPECT_NE(input_error("{").find("m.json: malformed JSON"), std::string::npos);
  EXPECT_NE(input_error("[]").find("m.json: (top level)"), std::string::npos);
  EXPECT_NE(input_error("55e552").find("m.json: malformed JSON"), std::string::npos);  // found by fuzz_manifest
  EXPECT_NE(input_error(R"({"files":[]})").find("m.json: dpeval_manifest: missing"), std::string::npos);
  EXPECT_NE(input_error(R"({"dpeval_manifest":2,"files":[]})").find("dpeval_manifest: is 2, expected 1"),
            std::string::npos);
  EXPECT_NE(input_error(R"({"dpeval_manifest":1})").find("m.json: files: missing"), std::string::npos);
  EXPECT_NE(input_error(R"({"dpeval_manifest":1,"files":[{"path":"a.csv"}]})").find("files[0].size: missing"),
            std::string::npos);
  EXPECT_NE(input_error(R"({"dpeval_manifest":1,"files":[{"path":"a","size":-1}]})").find("files[0].size: is -1"),
            std::string::npos);
  EXPECT_NE(input_error(R"({"dpeval_manifest":1,"files":[{"path":"a","size":1,"sha256":"xyz"}]})")
                .find("files[0].sha256: expected 64 lowercase hex digits"),
            std::string::npos);
  EXPECT_NE(input_error(R"({"dpeval_manifest":1,"files":[{"path":"/etc/passwd","size":1}]})")
                .find("files[0].path: '/etc/passwd' is not a relative path"),
            std::string::npos);
  EXPECT_NE(input_error(R"({"dpeval_manifest":1,"files":[)" + file + "," + file + "]}").find("files[1].path"),
            std::string::npos);
  EXPECT_NE(input_error(R"({"dpeval_manifest":1,"files":[],"provenance":{"origin":1}})")
                .find("provenance.origin: is number, expected a string"),
            std::string::npos);
}

TEST(ManifestHashTest, StreamingHashEqualsOneShotAcrossBufferBoundaries) {
  const fs::path p = fs::temp_directory_path() / ("dpeval_hash_" + std::to_string(::getpid()));
  std::string big((size_t{3} << 20) + 12345, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  write_file_atomic(p, big);
  uint64_t size = 0;
  EXPECT_EQ(sha256_file(p, size), sha256_hex(std::as_bytes(std::span<const char>(big.data(), big.size()))));
  EXPECT_EQ(size, big.size());
  fs::remove(p);
  EXPECT_THROW(sha256_file(p, size), InputError);
}

TEST(CsvProfileTest, PiecesOfAnySizeGiveTheSameProfile) {
  const std::string text = "\xEF\xBB\xBFid,name,v\r\n1,\"a,\"\"b\"\"\",1e3\r\n\r\n2,c,-2\n3,,x\n4,d\n";
  data::TableDialect lenient;
  lenient.mode = data::TableMode::kLenient;  // the short record is counted, not refused
  CsvProfiler whole(lenient);
  whole.add(text);
  const CsvProfile w = whole.finish();
  EXPECT_EQ(w.rows, 4u);
  EXPECT_EQ(w.ragged_rows, 1u);
  EXPECT_EQ(w.columns[0].name, "id");
  EXPECT_EQ(w.columns[1].distinct, 3u);  // a,"b"  c  d
  EXPECT_EQ(w.columns[1].missing, 1u);
  EXPECT_EQ(w.columns[2].type(), "string");
  EXPECT_EQ(w.columns[2].missing, 1u);  // the short record
  for (size_t piece = 1; piece < 8; ++piece) {
    CsvProfiler q(lenient);  // the BOM is fed whole: callers read in large pieces
    q.add(std::string_view(text).substr(0, 3));
    for (size_t i = 3; i < text.size(); i += piece) q.add(std::string_view(text).substr(i, piece));
    const CsvProfile r = q.finish();
    EXPECT_EQ(r.rows, w.rows) << piece;
    EXPECT_EQ(r.columns_json(), w.columns_json()) << piece;
  }
}

// Strict (what manifest create uses): the table reader's decisions, with the
// line, whatever the piece size.
TEST(CsvProfileTest, StrictRefusesWhatEveryTableReaderRefuses) {
  auto error = [](std::string_view text, size_t piece) {
    try {
      CsvProfiler p({}, "t.csv");
      for (size_t i = 0; i < text.size(); i += piece) p.add(text.substr(i, piece));
      p.finish();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  for (size_t piece : {size_t{1}, size_t{2}, size_t{5}, size_t{100}}) {
    EXPECT_EQ(error("a,b\n1,2\n3\n", piece).rfind("t.csv:3: got 1 field, expected 2", 0), 0u) << piece;
    EXPECT_EQ(error("a,b\r1,2\r3\r", piece).rfind("t.csv:3: got 1 field, expected 2", 0), 0u) << piece;
    EXPECT_NE(error("a,b\n1,\"2\n", piece).find("t.csv:2: column 'b': unterminated quoted field"),
              std::string::npos)
        << piece;
    EXPECT_NE(error("a,b\n1,2\"x\n", piece).find("'\"' inside an unquoted field"), std::string::npos) << piece;
    EXPECT_NE(error("", piece).find("t.csv: file is empty"), std::string::npos) << piece;
    EXPECT_NE(error("a,b\n", piece).find("header but no data rows"), std::string::npos) << piece;
    EXPECT_EQ(error("a,b\r1,2\r", piece), "no error") << piece;
  }
  CsvProfiler empty({}, "e.csv");
  EXPECT_THROW(empty.finish(), InputError);
}

}  // namespace
}  // namespace dpeval::govern
