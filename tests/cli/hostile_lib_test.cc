// Hostile-use findings of issue 15 that live in the library, run through the
// built dpeval binary as a user would: exit codes and messages.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "cli/cli_test_util.h"
#include "dpeval/core/checkpoint_file.h"
#include "dpeval/core/dir_lock.h"

namespace {

using namespace dpeval::testing;
namespace fs = std::filesystem;

// Three blobs over columns a, b, c (column a carries class 0, b class 1, c class 2).
std::string blobs(int rows, const std::string& header = "a,b,c,label") {
  std::mt19937 gen(3);
  std::normal_distribution<double> noise(0.0, 0.4);
  std::string text = header + "\n";
  for (int r = 0; r < rows; ++r) {
    const int label = r % 3;
    for (int f = 0; f < 3; ++f) text += std::to_string((f == label ? 2.0 : 0.0) + noise(gen)) + ",";
    text += std::to_string(label) + "\n";
  }
  return text;
}

// Swaps columns a and b of `text` (header included).
std::string swap_first_two_columns(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    const size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
    out += line.substr(c1 + 1, c2 - c1 - 1) + "," + line.substr(0, c1) + line.substr(c2) + "\n";
    start = end + 1;
  }
  return out;
}

const std::string kFast = " --epochs 1 --batch 16 --val-fraction 0 --seed 2 ";

fs::path trained_run() {
  static const fs::path run = [] {
    const fs::path csv = write("hostile_blobs.csv", blobs(300));
    const fs::path out = test_dir() / "hostile_run";
    const CliRun r = run_dpeval("train --data " + csv.string() + kFast + "--out " + out.string());
    EXPECT_EQ(r.code, 0) << r.err;
    return out;
  }();
  return run;
}

TEST(HostileLib, StrayHugeLabelIsExit3NamingRowAndValue) {
  std::string text = blobs(60);
  text.replace(text.rfind(",2\n"), 3, ",99999\n");
  const fs::path csv = write("stray.csv", text);
  const CliRun r =
      run_dpeval("train --data " + csv.string() + kFast + "--out " + (test_dir() / "stray").string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("stray.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("99999"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("data row 60"), std::string::npos) << r.err;
}

TEST(HostileLib, SingleClassTableIsExit3BeforeTraining) {
  std::string text = "a,b,y\n";
  for (int i = 0; i < 50; ++i) text += std::to_string(i) + ",1,only\n";
  const fs::path csv = write("single.csv", text);
  const fs::path out = test_dir() / "single";
  const CliRun r =
      run_dpeval("train --data " + csv.string() + " --label-col y" + kFast + "--out " + out.string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("single.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("column 'y'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "checkpoint.dpck"));
}

TEST(HostileLib, FifoAsDataIsExit3WithoutHanging) {
  const fs::path fifo = test_dir() / "pipe.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const CliRun r = run_dpeval(
      "train --data " + fifo.string() + kFast + "--out " + (test_dir() / "fifo").string(), "timeout 120");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("FIFO"), std::string::npos) << r.err;
}

TEST(HostileLib, SymlinkLoopAsDataIsExit3) {
  fs::create_symlink(test_dir() / "loop_b.csv", test_dir() / "loop_a.csv");
  fs::create_symlink(test_dir() / "loop_a.csv", test_dir() / "loop_b.csv");
  const CliRun r = run_dpeval("train --data " + (test_dir() / "loop_a.csv").string() + kFast + "--out " +
                              (test_dir() / "loop").string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("loop_a.csv"), std::string::npos) << r.err;
}

TEST(HostileLib, ShortRunPrintsAThroughputNotZero) {
  const fs::path csv = write("short.csv", blobs(90));
  const CliRun r =
      run_dpeval("train --data " + csv.string() + kFast + "--out " + (test_dir() / "short").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find(" 0 samples/s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("samples/s over all"), std::string::npos) << r.err;
}

TEST(HostileLib, PredictOnAChangedDataFileIsExit3) {
  const fs::path csv = write("changing.csv", blobs(150));
  const fs::path out = test_dir() / "changing";
  ASSERT_EQ(run_dpeval("train --data " + csv.string() + kFast + "--out " + out.string()).code, 0);
  const std::string predict = "predict --checkpoint " + (out / "checkpoint.dpck").string() + " --out " +
                              (test_dir() / "p.csv").string();
  ASSERT_EQ(run_dpeval(predict).code, 0);
  write("changing.csv", blobs(151));
  const CliRun r = run_dpeval(predict);
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("changing.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("changed since"), std::string::npos) << r.err;
  const CliRun e = run_dpeval("eval --checkpoint " + (out / "checkpoint.dpck").string());
  EXPECT_EQ(e.code, 3) << e.err;
}

TEST(HostileLib, RelativeDataPathWorksFromAnotherDirectory) {
  write("rel.csv", blobs(150));
  const fs::path out = test_dir() / "rel";
  const CliRun t = run_dpeval("train --data rel.csv" + kFast + "--out " + out.string(),
                              "cd " + test_dir().string() + " &&");
  ASSERT_EQ(t.code, 0) << t.err;
  const CliRun p = run_dpeval("predict --checkpoint " + (out / "checkpoint.dpck").string() + " --out " +
                                  (test_dir() / "rel_preds.csv").string(),
                              "cd / &&");
  EXPECT_EQ(p.code, 0) << p.err;
}

TEST(HostileLib, PredictMatchesColumnsByName) {
  const fs::path ck = trained_run() / "checkpoint.dpck";
  const std::string text = blobs(60);
  const fs::path same = write("same_order.csv", text),
                 swapped = write("swapped.csv", swap_first_two_columns(text));
  const fs::path p1 = test_dir() / "p_same.csv", p2 = test_dir() / "p_swapped.csv";
  ASSERT_EQ(
      run_dpeval("predict --checkpoint " + ck.string() + " --data " + same.string() + " --out " + p1.string())
          .code,
      0);
  const CliRun r = run_dpeval("predict --checkpoint " + ck.string() + " --data " + swapped.string() +
                              " --out " + p2.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(dpeval::read_file(p1), dpeval::read_file(p2));  // same rows, same columns by name

  std::string renamed = text;
  renamed[0] = 'z';  // header "z,b,c,label" (not replace(): GCC 12's false -Wrestrict)
  const fs::path bad = write("renamed.csv", renamed);
  const CliRun m = run_dpeval("predict --checkpoint " + ck.string() + " --data " + bad.string() + " --out " +
                              (test_dir() / "p_bad.csv").string());
  EXPECT_EQ(m.code, 3) << m.err;
  EXPECT_NE(m.err.find("renamed.csv"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("'a'"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("'z'"), std::string::npos) << m.err;
}

TEST(HostileLib, NanCheckpointIsRefusedNamingIt) {
  const fs::path ck = trained_run() / "checkpoint.dpck";
  dpeval::CheckpointFile file = dpeval::CheckpointFile::load(ck);
  const nlohmann::json progress = nlohmann::json::parse(file.get_string("progress"));
  std::vector<float> params = file.get_floats("params", progress["params"].get<size_t>());
  params[3] = NAN;
  file.put_floats("params", params);
  const fs::path nan = test_dir() / "nan.dpck";
  file.save(nan);
  const CliRun r =
      run_dpeval("predict --checkpoint " + nan.string() + " --out " + (test_dir() / "p_nan.csv").string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("nan.dpck"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("diverged"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(test_dir() / "p_nan.csv"));
  EXPECT_EQ(run_dpeval("eval --checkpoint " + nan.string()).code, 3);
}

TEST(HostileLib, ASecondRunIntoALockedDirectoryFailsNamingItAndThePid) {
  const fs::path out = test_dir() / "locked";
  const dpeval::DirLock held(out);
  const fs::path csv = write("lock.csv", blobs(90));
  const CliRun r = run_dpeval("train --data " + csv.string() + kFast + "--out " + out.string());
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(out.string() + " is in use"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pid " + std::to_string(::getpid())), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "checkpoint.dpck"));
}

TEST(HostileLib, ThreadsBackendUnderMpirunIsExit2) {
  const fs::path csv = write("mpi.csv", blobs(90));
  const CliRun r = run_dpeval(
      "train --data " + csv.string() + kFast + "--workers 2 --out " + (test_dir() / "mpi_threads").string(),
      "OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=0");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--backend mpi"), std::string::npos) << r.err;
}

TEST(HostileLib, EvalOfTooManyClassesIsExit3) {
  std::string text = "label";
  for (int c = 0; c < 1001; ++c) text += ",prob_" + std::to_string(c);
  text += "\n";
  for (int r = 0; r < 30; ++r) {
    text += std::to_string(r);
    for (int c = 0; c < 1001; ++c) text += c == r ? ",1" : ",0";
    text += "\n";
  }
  const fs::path preds = write("many_classes.csv", text);
  const CliRun r = run_dpeval("eval --task multiclass --predictions " + preds.string() + " --json");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("many_classes.csv: 1001 classes"), std::string::npos) << r.err;
  EXPECT_LT(r.out.size(), 1000u);
}

// A cell past the table reader's bound (1 MiB, data/table_reader.h) is refused
// naming the file, line and column; one just inside it is cut short in the
// document and reports (Note [Document limits]).
TEST(HostileLib, AHugeTextCellDoesNotBlowUpTheDocumentOrReports) {
  auto table = [](size_t cell_bytes) {
    const std::string big(cell_bytes, 'x');
    std::string text = "label,score,note\n";
    for (int r = 0; r < 40; ++r) {
      text += std::to_string(r % 2) + (r % 2 ? ",0.7," : ",0.3,") + (r % 3 == 0 ? big : "short") + "\n";
    }
    return text;
  };
  const fs::path huge = write("huge_cell.csv", table(4 << 20));
  const CliRun refused = run_dpeval("eval --task binary --predictions " + huge.string() + " --slice-by note --json");
  EXPECT_EQ(refused.code, 3) << refused.err;
  EXPECT_NE(refused.err.find("huge_cell.csv:2: column 'note'"), std::string::npos) << refused.err;
  EXPECT_TRUE(refused.out.empty());

  const fs::path preds = write("big_cell.csv", table(1000000));
  const fs::path html = test_dir() / "big_cell.html", md = test_dir() / "big_cell.md";
  const CliRun r = run_dpeval("eval --task binary --predictions " + preds.string() +
                              " --slice-by note --json --html " + html.string() + " --md " + md.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_LT(r.out.size(), 100000u);
  EXPECT_LT(fs::file_size(html), 200000u);
  EXPECT_LT(fs::file_size(md), 100000u);
  EXPECT_NE(r.out.find("[1000000 bytes, #"), std::string::npos);
}

}  // namespace
