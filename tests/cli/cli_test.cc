// The dpeval binary as a user runs it: exit codes, one-line errors naming the
// file, no partial output after a failure, --json conventions, predict's CSV.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_test_util.h"
#include "dpeval/core/atomic_file.h"

namespace {

using namespace dpeval::testing;
namespace fs = std::filesystem;

std::string blobs_csv(int rows) {
  std::string text = "a,b,c,city,label\n";
  for (int r = 0; r < rows; ++r) {
    const int label = r % 2;
    text += std::to_string(label * 2.0 + (r % 7) * 0.1) + "," + std::to_string((r % 5) * 0.3) + "," +
            std::to_string(label - (r % 3) * 0.2) + "," + (r % 3 ? "Paris" : "\"Lyon, FR\"") + "," +
            std::to_string(label) + "\n";
  }
  return text;
}

// A bad-input run: exit 3, one line on stderr naming `where`, and no output left behind.
void expect_bad_input(const CliRun& r, const std::string& where, const fs::path& out_dir) {
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find(where), std::string::npos) << "error should name '" << where << "': " << r.err;
  // Exactly one error line, and it is the last thing printed.
  const size_t at = r.err.find("dpeval: bad ");
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n', at), r.err.size() - 1) << r.err;
  EXPECT_FALSE(fs::exists(out_dir / "summary.json"));
  EXPECT_FALSE(fs::exists(out_dir / "checkpoint.dpck"));
}

TEST(Cli, HelpAndVersion) {
  CliRun r = run_dpeval("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
  r = run_dpeval("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("dpeval "), std::string::npos);
  for (const char* sub : {"train", "predict"}) {
    r = run_dpeval(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.out.find("Examples"), std::string::npos) << sub;
  }
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_dpeval("").code, 2);
  EXPECT_EQ(run_dpeval("frobnicate").code, 2);
  EXPECT_EQ(run_dpeval("train --epochs").code, 2);
  EXPECT_EQ(run_dpeval("train --optimizer rmsprop").code, 2);
  EXPECT_EQ(run_dpeval("train --no-such-flag").code, 2);
  EXPECT_EQ(run_dpeval("predict").code, 2);  // --checkpoint is required
}

TEST(Cli, BadTablesExitThreeAndNameTheLine) {
  const fs::path out = test_dir() / "bad_out";
  struct Case {
    const char* name;
    std::string content;
    std::string where;
  };
  const Case cases[] = {
      {"ragged.csv", "a,b,label\n1,2,0\n3,4\n", "ragged.csv:3"},
      {"word.csv", "a,b,label\n1,2,0\n3,abc,1\n4,5,1\n", "word.csv:3"},
      {"nan.csv", "a,b,label\n1,2,0\n3,nan,1\n", "nan.csv:3"},
      {"inf.csv", "a,b,label\n1,2,0\n3,inf,1\n", "inf.csv:3"},
      {"nolabel.csv", "a,b,y\n1,2,0\n", "nolabel.csv"},
      {"empty.csv", "", "empty.csv"},
  };
  for (const Case& c : cases) {
    const fs::path p = write(c.name, c.content);
    expect_bad_input(run_dpeval("train --data " + p.string() + " --epochs 1 --out " + out.string()), c.where,
                     out);
  }
}

TEST(Cli, BadFashionMnistFilesExitThree) {
  const fs::path dir = test_dir() / "fake_fmnist";
  fs::create_directories(dir);
  const fs::path out = test_dir() / "fmnist_out";
  // Wrong magic, then a header claiming absurd dimensions, then a truncated body.
  const std::string wrong_magic = std::string("\x12\x34\x08\x03", 4) + std::string(12, '\0');
  std::string absurd = std::string("\0\0\x08\x03", 4);
  for (uint32_t d : {4000000000u, 28u, 28u}) {
    for (int s = 3; s >= 0; --s) absurd.push_back(static_cast<char>((d >> (8 * s)) & 0xff));
  }
  std::string truncated = std::string("\0\0\x08\x03", 4);
  for (uint32_t d : {60000u, 28u, 28u}) {
    for (int s = 3; s >= 0; --s) truncated.push_back(static_cast<char>((d >> (8 * s)) & 0xff));
  }
  truncated += std::string(1000, '\x7f');
  for (const std::string& images : {wrong_magic, absurd, truncated}) {
    dpeval::write_file_atomic(dir / "train-images-idx3-ubyte.gz",
                              images);  // plain IDX is accepted under this name too
    for (const char* f :
         {"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
      fs::copy_file(fs::path(DPEVAL_FMNIST_DIR) / f, dir / f, fs::copy_options::overwrite_existing);
    }
    expect_bad_input(run_dpeval("train --data fashion-mnist --epochs 1 --out " + out.string(),
                                "DPEVAL_FMNIST_DIR=" + dir.string()),
                     "train-images-idx3-ubyte.gz", out);
  }
}

TEST(Cli, InvalidModelTomlExitsThreeNamingTheLine) {
  const fs::path csv = write("ok.csv", blobs_csv(40));
  const fs::path out = test_dir() / "toml_out";
  const fs::path bad_syntax = write("bad_syntax.toml", "name = \"x\"\n[[layers]]\ntype = \n");
  expect_bad_input(run_dpeval("train --model " + bad_syntax.string() + " --data " + csv.string() + " --out " +
                              out.string()),
                   "bad_syntax.toml:3", out);
  const fs::path bad_type = write(
      "bad_type.toml", "name = \"x\"\n[[layers]]\ntype = \"linear\"\n\n[[layers]]\ntype = \"wormhole\"\n");
  expect_bad_input(
      run_dpeval("train --model " + bad_type.string() + " --data " + csv.string() + " --out " + out.string()),
      "bad_type.toml:6", out);
}

// Note [OpenBLAS core type] (kernels.h): on a CPU with AVX2 + FMA the run uses
// OpenBLAS kernels at least that good, even where OpenBLAS itself falls back
// to SSE3 ones; a core type the user set is kept.
TEST(Cli, TrainUsesFastBlasKernelsUnlessTheUserChose) {
  const fs::path csv = write("blas.csv", blobs_csv(64));
  const auto blas_of = [&](const std::string& env) {
    const fs::path out = test_dir() / "blas_run";
    const CliRun r = run_dpeval(
        "train --data " + csv.string() + " --epochs 1 --batch 16 --out " + out.string() + " --json", env);
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(dpeval::read_file(out / "summary.json")).value("blas", std::string());
  };
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    const std::string blas = blas_of("env -u OPENBLAS_CORETYPE");
    for (const char* slow : {" Prescott ", " Core2 ", " Penryn ", " Nehalem ", " Atom ", " Sandybridge "}) {
      EXPECT_EQ(blas.find(slow), std::string::npos) << blas;
    }
  }
  EXPECT_NE(blas_of("OPENBLAS_CORETYPE=Prescott").find(" Prescott "), std::string::npos);
}

TEST(Cli, TrainJsonPredictAndCorruptCheckpoint) {
  const fs::path csv = write("train.csv", blobs_csv(400));
  const fs::path out = test_dir() / "run";
  CliRun r = run_dpeval("train --data " + csv.string() + " --epochs 2 --batch 16 --lr 0.02 --out " +
                        out.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto printed = nlohmann::json::parse(r.out);
  const auto written = nlohmann::json::parse(dpeval::read_file(out / "summary.json"));
  EXPECT_EQ(printed, written);
  for (const char* key : {"model", "params", "seed", "config_hash", "epochs", "final_test_accuracy",
                          "samples_per_s", "peak_rss_mb"}) {
    EXPECT_TRUE(written.contains(key)) << key;
  }
  ASSERT_EQ(written["epochs"].size(), 2u);
  for (const char* key : {"epoch", "train_loss", "test_loss", "test_accuracy", "seconds"}) {
    EXPECT_TRUE(written["epochs"][0].contains(key)) << key;
  }
  // --json-out FILE writes there and keeps stdout clean.
  r = run_dpeval("train --data " + csv.string() + " --epochs 1 --out " + (test_dir() / "run2").string() +
                 " --json-out " + (test_dir() / "s.json").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_TRUE(nlohmann::json::parse(dpeval::read_file(test_dir() / "s.json")).contains("samples_per_s"));

  // predict: header, K probabilities per row summing to 1, the categorical column kept.
  const fs::path preds = test_dir() / "preds.csv";
  r = run_dpeval("predict --checkpoint " + (out / "checkpoint.dpck").string() + " --out " + preds.string() +
                 " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(preds);
  std::string header, row;
  std::getline(in, header);
  EXPECT_EQ(header, "label,prob_0,prob_1,city");
  int rows = 0;
  while (std::getline(in, row)) {
    ++rows;
    double p0 = 0, p1 = 0;
    ASSERT_EQ(std::sscanf(row.c_str(), "%*d,%lf,%lf", &p0, &p1), 2) << row;
    EXPECT_NEAR(p0 + p1, 1.0, 1e-5);
  }
  EXPECT_EQ(rows, nlohmann::json::parse(r.out)["rows"].get<int>());

  // A corrupted checkpoint: exit 3 for predict and resume, the file named, no output.
  std::string bytes = dpeval::read_file(out / "checkpoint.dpck");
  bytes[bytes.size() / 2] ^= 1;
  const fs::path bad = write("bad.dpck", bytes);
  const fs::path preds2 = test_dir() / "preds2.csv";
  r = run_dpeval("predict --checkpoint " + bad.string() + " --out " + preds2.string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("bad.dpck"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(preds2));
  const fs::path short_ckpt = write("short.dpck", std::string_view(bytes).substr(0, 100));
  r = run_dpeval("train --resume " + short_ckpt.string() + " --out " + (test_dir() / "resumed").string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("short.dpck"), std::string::npos) << r.err;
}

TEST(Cli, ScaleStudyWritesScaleJson) {
  const fs::path csv = write("scale.csv", blobs_csv(400));
  const fs::path out = test_dir() / "scale";
  CliRun r = run_dpeval("scale --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Examples"), std::string::npos);
  r = run_dpeval("scale --data " + csv.string() +
                 " --workers 2,1 --epochs 1 --batch 8 --backend threads "
                 "--price-per-core-hour 0.05 --target-accuracy 0.6 --out " +
                 out.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto printed = nlohmann::json::parse(r.out);
  const auto written = nlohmann::json::parse(dpeval::read_file(out / "scale.json"));
  EXPECT_EQ(printed, written);
  int lists = 0;
  for (const auto& [key, value] : written.items()) lists += value.is_array() ? 1 : 0;
  EXPECT_EQ(lists, 1);  // the rows are the only list
  for (const char* key :
       {"model", "data", "backend", "epochs", "target_accuracy", "price_per_core_hour", "cores",
        "dpeval_version", "efficiency_baseline_workers", "recommended_workers", "recommendation"}) {
    EXPECT_TRUE(written.contains(key)) << key;
  }
  const auto& runs = written["runs"];
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["workers"], 1);  // sorted
  EXPECT_EQ(runs[1]["workers"], 2);
  EXPECT_EQ(runs[1]["global_batch"], 16);
  for (const auto& row : runs) {
    for (const char* key :
         {"workers", "global_batch", "samples_per_s", "efficiency", "step_ms", "step_breakdown_ms",
          "allreduce_gbps", "time_to_target_s", "final_test_accuracy", "final_test_loss", "seconds_per_epoch",
          "cost_per_epoch", "oversubscribed", "out_dir"}) {
      EXPECT_TRUE(row.contains(key)) << key;
    }
    EXPECT_TRUE(row["cost_per_epoch"].is_number()) << row;
    EXPECT_TRUE(fs::exists(fs::path(row["out_dir"].get<std::string>()) / "summary.json")) << row["out_dir"];
  }
  EXPECT_NE(r.err.find("recommendation: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((out / "scale.json").string()), std::string::npos) << r.err;

  // A bad worker list, or a target out of (0, 1]: usage errors naming the option, nothing run.
  const fs::path bad_out = test_dir() / "scale_bad";
  r = run_dpeval("scale --data " + csv.string() + " --workers 1,x --epochs 1 --out " + bad_out.string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--workers"), std::string::npos) << r.err;
  EXPECT_EQ(run_dpeval("scale --data " + csv.string() + " --workers 0 --out " + bad_out.string()).code, 2);
  EXPECT_EQ(run_dpeval("scale --data " + csv.string() + " --workers 1 --target-accuracy 1.5 --out " +
                       bad_out.string())
                .code,
            2);
  EXPECT_FALSE(fs::exists(bad_out / "scale.json"));
}

// dpeval export / import (run/safetensors.h) from the command line: the round
// trip predicts what the original predicts, byte for byte; a wrong format is a
// usage error, an output onto the input too, and a file that is not
// safetensors is bad input that leaves no checkpoint behind.
TEST(Cli, ExportImportRoundTripAndRefusals) {
  const fs::path csv = write("export.csv", blobs_csv(120));
  const fs::path run = test_dir() / "export_run";
  CliRun r = run_dpeval("train --data " + csv.string() + " --epochs 2 --batch 16 --out " + run.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path ck = run / "checkpoint.dpck", st = test_dir() / "export.safetensors",
                 back = test_dir() / "back.dpck";
  r = run_dpeval("export --checkpoint " + ck.string() + " --format safetensors --out " + st.string() +
                 " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  // The mlp preset, here on 4 features: named as the PyTorch MLP.
  EXPECT_EQ(nlohmann::json::parse(r.out)["tensors"][0]["name"].get<std::string>(), "fc1.weight");
  r = run_dpeval("import --in " + st.string() + " --out " + back.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path p1 = test_dir() / "p1.csv", p2 = test_dir() / "p2.csv";
  ASSERT_EQ(
      run_dpeval("predict --checkpoint " + ck.string() + " --data " + csv.string() + " --out " + p1.string())
          .code,
      0);
  ASSERT_EQ(run_dpeval("predict --checkpoint " + back.string() + " --data " + csv.string() + " --out " +
                       p2.string())
                .code,
            0);
  EXPECT_EQ(dpeval::read_file(p1), dpeval::read_file(p2));
  EXPECT_EQ(run_dpeval("export --checkpoint " + ck.string() + " --format onnx --out " + st.string()).code, 2);
  EXPECT_EQ(run_dpeval("export --checkpoint " + ck.string() + " --out " + ck.string()).code, 2);
  EXPECT_EQ(run_dpeval("import --in " + st.string() + " --out " + st.string()).code, 2);
  const fs::path none = test_dir() / "none.dpck";
  r = run_dpeval("import --in " + csv.string() + " --out " + none.string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("export.csv"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(none));
}

}  // namespace
