// No command overwrites its own inputs (Note [Outputs are not inputs] in
// cli/command_files.h): every subcommand is run with each of its output options
// aimed at each of its inputs, directly, through a symlink and through a hard
// link; the command must refuse (exit 2, naming both paths) and every input's
// bytes must be unchanged. Also: --json is a plain flag that cannot swallow a
// positional argument, device files and FIFOs are never renamed over, and no
// temporary file is left behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "dpeval/core/atomic_file.h"

namespace dpeval::testing {
namespace {

// A case: a command line with "{OUT}" where one output path goes, and the
// inputs (file names in the fixture directory) that output must not replace.
struct Case {
  std::string name;
  std::string command;
  std::vector<std::string> inputs;
};

class OutputSafety : public ::testing::Test {
 protected:
  static fs::path dir() { return test_dir() / "safety"; }
  static std::string at(const std::string& name) { return (dir() / name).string(); }

  static void SetUpTestSuite() {
    fs::remove_all(dir());
    fs::create_directories(dir());
    std::string train = "a,b,label\n", test = "a,b,label\n";
    for (int i = 0; i < 40; ++i) train += std::to_string(i) + "," + std::to_string(i % 7) + "," + std::to_string(i % 2) + "\n";
    for (int i = 0; i < 10; ++i) test += std::to_string(i * 3) + ",1," + std::to_string(i % 2) + "\n";
    write("safety/train.csv", train);
    write("safety/test.csv", test);
    std::string preds = "label,score,email\n", preds2 = "label,score,email\n";
    for (int i = 0; i < 30; ++i) {
      preds += std::to_string(i % 2) + "," + std::to_string(0.1 + 0.8 * ((i * 7) % 10) / 10.0) + ",u" +
               std::to_string(i) + "@example.com\n";
      preds2 += std::to_string((i + 1) % 2) + "," + std::to_string(0.05 + 0.9 * ((i * 3) % 10) / 10.0) + ",v" +
                std::to_string(i) + "@example.com\n";
    }
    write("safety/preds.csv", preds);
    write("safety/preds2.csv", preds2);
    ASSERT_EQ(run_dpeval("train --data " + at("train.csv") + " --epochs 1 --out " + at("run")).code, 0);
    ASSERT_EQ(run_dpeval("manifest create --no-datasheet --out " + at("m.json") + " " + at("train.csv")).code, 0);
    ASSERT_EQ(run_dpeval("audit --train " + at("train.csv") + " --json-out " + at("audit.json")).code, 0);
  }

  // Every file of the fixture, with its bytes.
  static std::map<std::string, std::string> snapshot() {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(dir())) {
      if (e.is_regular_file() && !e.path().string().ends_with(".out")) files[e.path().string()] = read_file(e.path());
    }
    return files;
  }

  static std::vector<std::string> temporaries() {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir())) {
      if (e.path().filename().string().find(".tmp.") != std::string::npos) found.push_back(e.path().string());
    }
    return found;
  }

  static std::string with_out(std::string command, const std::string& out) {
    const size_t at = command.find("{OUT}");
    return command.replace(at, 5, out);
  }
};

std::vector<Case> cases() {
  auto f = [](const std::string& name) { return (test_dir() / "safety" / name).string(); };
  const std::string ck = f("run/checkpoint.dpck");
  return {
      {"predict --out", "predict --checkpoint " + ck + " --out {OUT}", {"run/checkpoint.dpck", "train.csv"}},
      {"predict --json-out", "predict --checkpoint " + ck + " --out " + f("p.out") + " --json-out {OUT}",
       {"run/checkpoint.dpck", "train.csv"}},
      {"eval --html", "eval --predictions " + f("preds.csv") + " --task binary --html {OUT}", {"preds.csv"}},
      {"eval --md", "eval --predictions " + f("preds.csv") + " --task binary --md {OUT}", {"preds.csv"}},
      {"eval --json-out", "eval --predictions " + f("preds.csv") + " --task binary --json-out {OUT}", {"preds.csv"}},
      {"eval --checkpoint --html", "eval --checkpoint " + ck + " --html {OUT}", {"run/checkpoint.dpck", "train.csv"}},
      {"calibrate --out",
       "calibrate --task binary --method platt --fit " + f("preds.csv") + " --apply " + f("preds2.csv") + " --out {OUT}",
       {"preds.csv", "preds2.csv"}},
      {"calibrate --json-out",
       "calibrate --task binary --method platt --fit " + f("preds.csv") + " --apply " + f("preds2.csv") +
           " --json-out {OUT}",
       {"preds.csv", "preds2.csv"}},
      {"redact --out", "redact --in " + f("preds.csv") + " --out {OUT}", {"preds.csv"}},
      {"redact --json-out", "redact --in " + f("preds.csv") + " --scan-only --json-out {OUT}", {"preds.csv"}},
      {"audit --html", "audit --train " + f("train.csv") + " --test " + f("test.csv") + " --html {OUT}",
       {"train.csv", "test.csv"}},
      {"audit --json-out", "audit --train " + f("train.csv") + " --test " + f("test.csv") + " --json-out {OUT}",
       {"train.csv", "test.csv"}},
      {"manifest create --out", "manifest create --no-datasheet --out {OUT} " + f("train.csv") + " " + f("test.csv"),
       {"train.csv", "test.csv"}},
      {"manifest create --json-out",
       "manifest create --no-datasheet --out " + f("m2.out") + " --json-out {OUT} " + f("train.csv"), {"train.csv"}},
      {"manifest verify --json-out", "manifest verify " + f("m.json") + " --json-out {OUT}", {"m.json", "train.csv"}},
      {"datasheet --out", "datasheet --manifest " + f("m.json") + " --audit " + f("audit.json") + " --out {OUT}",
       {"m.json", "audit.json"}},
      {"train --trace", "train --data " + f("train.csv") + " --epochs 1 --out " + f("t.out") + " --trace {OUT}",
       {"train.csv"}},
      {"train --json-out", "train --data " + f("train.csv") + " --epochs 1 --out " + f("t.out") + " --json-out {OUT}",
       {"train.csv"}},
      {"scale --json-out",
       "scale --data " + f("train.csv") + " --workers 1 --epochs 1 --out " + f("s.out") + " --json-out {OUT}",
       {"train.csv"}},
  };
}

TEST_F(OutputSafety, EveryOutputAimedAtEveryInputIsRefusedAndTheInputIsUnchanged) {
  int attempts = 0;
  for (const Case& c : cases()) {
    for (const std::string& input : c.inputs) {
      const bool is_dir = fs::is_directory(dir() / input);
      const fs::path target = dir() / input;
      const fs::path sym = dir() / "aim.sym", hard = dir() / "aim.hard";
      fs::remove(sym);
      fs::remove(hard);
      fs::create_symlink(target, sym);
      if (!is_dir) fs::create_hard_link(target, hard);
      std::vector<fs::path> aims = {target, sym};
      if (!is_dir) aims.push_back(hard);
      for (const fs::path& aim : aims) {
        const auto before = snapshot();
        const CliRun r = run_dpeval(with_out(c.command, aim.string()));
        ++attempts;
        EXPECT_EQ(r.code, 2) << c.name << " aimed at " << aim << ": " << r.err;
        EXPECT_NE(r.err.find("same file"), std::string::npos) << c.name << ": " << r.err;
        EXPECT_EQ(snapshot(), before) << c.name << " aimed at " << aim << " changed a file";
        EXPECT_EQ(temporaries(), std::vector<std::string>{}) << c.name;
      }
      fs::remove(sym);
      fs::remove(hard);
    }
  }
  EXPECT_GE(attempts, 70);
}

TEST_F(OutputSafety, TwoOutputsOfOneCommandMustDiffer) {
  const CliRun r = run_dpeval("eval --predictions " + at("preds.csv") + " --task binary --html " + at("r.out") +
                              " --md " + at("r.out"));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_FALSE(fs::exists(dir() / "r.out"));
  // A run's trace aimed at its own checkpoint.
  const CliRun t = run_dpeval("train --data " + at("train.csv") + " --epochs 1 --out " + at("run") + " --resume " +
                              at("run/checkpoint.dpck") + " --trace " + at("run/checkpoint.dpck"));
  EXPECT_EQ(t.code, 2) << t.err;
}

TEST_F(OutputSafety, JsonIsAFlagThatSwallowsNoPositionalArgument) {
  // Before: --json took train.csv as its file, overwrote it and left it out
  // of the manifest.
  const auto before = snapshot();
  const CliRun r = run_dpeval("manifest create --no-datasheet --out " + at("mj.out") + " --json " + at("train.csv") +
                              " " + at("test.csv"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(snapshot(), before);
  const auto printed = nlohmann::json::parse(r.out);
  EXPECT_EQ(printed["files"].get<int>(), 2);
  // On a command without positionals the stray word is a usage error.
  const CliRun e = run_dpeval("eval --predictions " + at("preds.csv") + " --task binary --json " + at("preds.csv"));
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_EQ(snapshot(), before);
}

TEST_F(OutputSafety, DeviceAndFifoOutputsAreWrittenInPlace) {
  const fs::path dev = dir() / "null.dev";
  fs::remove(dev);
  if (::mknod(dev.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0) {
    const CliRun r = run_dpeval("predict --checkpoint " + at("run/checkpoint.dpck") + " --out " + dev.string());
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(fs::is_character_file(dev));
    fs::remove(dev);
  }
  const CliRun n = run_dpeval("predict --checkpoint " + at("run/checkpoint.dpck") + " --out /dev/null");
  EXPECT_EQ(n.code, 0) << n.err;
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  // A FIFO with a reader gets the CSV; it stays a FIFO.
  const fs::path fifo = dir() / "preds.fifo";
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const CliRun f = run_dpeval("predict --checkpoint " + at("run/checkpoint.dpck") + " --out " + fifo.string() +
                              " & head -c 5 " + fifo.string() + " >" + at("fifo.out") + "; wait");
  EXPECT_EQ(read_file(dir() / "fifo.out"), "label");
  EXPECT_TRUE(fs::is_fifo(fifo));
  fs::remove(fifo);
}

// A disk that fills up while the outputs are written (a file size limit here):
// the command fails and every earlier output is still the old one.
TEST_F(OutputSafety, AFailedWriteReplacesNoOutput) {
  write("safety/old.html.out", "old report");
  write("safety/old.json.out", "old json");
  const CliRun r = run_dpeval("eval --predictions " + at("preds.csv") + " --task binary --html " +
                                  at("old.html.out") + " --json-out " + at("old.json.out"),
                              "trap '' XFSZ; ulimit -f 8;");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(read_file(dir() / "old.html.out"), "old report");
  EXPECT_EQ(read_file(dir() / "old.json.out"), "old json");
  EXPECT_EQ(temporaries(), std::vector<std::string>{});
}

TEST_F(OutputSafety, OutOfRangeOptionsAreUsageErrors) {
  const std::string p = " --predictions " + at("preds.csv") + " --task binary";
  for (const std::string& args :
       {"eval" + p + " --threads 99999999999", "eval" + p + " --seed -1", "eval" + p + " --bins 0x10",
        "redact --in " + at("preds.csv") + " --scan-only --threads 99999999999",
        "audit --train " + at("train.csv") + " --threads 99999999999",
        "predict --checkpoint " + at("run/checkpoint.dpck") + " --out " + at("b.out") + " --batch 1000000000",
        "train --data " + at("train.csv") + " --out " + at("x.out") + " --seed 99999999999999999999999",
        "train --data " + at("train.csv") + " --out " + at("x.out") + " --warmup-steps 99999999999999999999999",
        "train --data " + at("train.csv") + " --out " + at("x.out") + " --comm-timeout-s 0.00001",
        "train --data " + at("train.csv") + " --out " + at("x.out") + " --epochs 0",
        "train --data " + at("train.csv") + " --out " + at("x.out") + " --lr nan",
        "train --data " + at("train.csv") + " --out " + at("x.out") + " --test-fraction 1",
        "scale --data " + at("train.csv") + " --out " + at("x.out") + " --batch -3"}) {
    const CliRun r = run_dpeval(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.err;
  }
  EXPECT_FALSE(fs::exists(dir() / "x.out"));
}

}  // namespace
}  // namespace dpeval::testing
