// dpeval keygen / sign / verify and --require-signature on serve and train:
// exit codes, the key's mode, and refusals that name the file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "cli_test_util.h"

namespace dpeval::testing {
namespace {

TEST(SignCli, KeygenSignVerifyAndEveryRefusal) {
  const fs::path d = test_dir() / "sign";
  fs::create_directories(d);
  const std::string key = (d / "k").string(), pub = key + ".pub";
  ASSERT_EQ(run_dpeval("keygen --out " + key).code, 0);
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string before = dpeval::read_file(key);
  EXPECT_EQ(run_dpeval("keygen --out " + key).code, 2);  // never overwritten
  EXPECT_EQ(dpeval::read_file(key), before);

  const fs::path file = write("sign/data.csv", "a,y\n0.1,0\n0.9,1\n");
  CliRun r = run_dpeval("verify --pub " + pub + " " + file.string());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("unsigned"), std::string::npos) << r.err;
  ASSERT_EQ(run_dpeval("sign --key " + key + " " + file.string()).code, 0);
  EXPECT_EQ(run_dpeval("verify --pub " + pub + " " + file.string()).code, 0);
  EXPECT_EQ(run_dpeval("verify --pub " + key + " " + file.string()).code, 3);  // the private key as public
  EXPECT_EQ(run_dpeval("sign --key " + pub + " " + file.string()).code, 3);
  EXPECT_EQ(run_dpeval("sign --key " + key + " " + (d / "missing.csv").string()).code, 3);
  write("sign/data.csv", "a,y\n0.1,0\n0.9,0\n");
  r = run_dpeval("verify --pub " + pub + " " + file.string() + " --json");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.out.find("\"valid\": false"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("tampered"), std::string::npos) << r.err;

  // serve refuses an unsigned checkpoint before it reads it; train needs --manifest to check.
  const fs::path ckpt = write("sign/model.dpck", "not even a checkpoint");
  r = run_dpeval("serve --checkpoint " + ckpt.string() + " --store " + (d / "store").string() +
                 " --require-signature " + pub);
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("model.dpck: unsigned"), std::string::npos) << r.err;
  r = run_dpeval("train --model mlp --data " + file.string() + " --label-col y --require-signature " + pub +
                 " --out " + (d / "run").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--manifest"), std::string::npos) << r.err;
  const fs::path manifest = write("sign/m.json", "{}");
  r = run_dpeval("train --model mlp --data " + file.string() + " --label-col y --manifest " +
                 manifest.string() + " --require-signature " + pub + " --out " + (d / "run").string());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("m.json: unsigned"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dpeval::testing
