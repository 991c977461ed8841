// Fashion-MNIST through `dpeval audit`'s library: the exact and near-duplicate
// leakage counts equal those of an independent numpy computation
// (tests/govern/fmnist_leakage.py): the committed golden output always, and a
// fresh run of the script when /usr/bin/python3 has numpy. Labelled slow.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "dpeval/core/atomic_file.h"
#include "dpeval/govern/audit.h"
#include "govern/audit_json.h"

namespace dpeval::govern {
namespace {

using nlohmann::json;

const json& check(const json& doc, const std::string& id) { return dpeval::testing::audit_check(doc, id); }

const json& audit_doc() {
  static const json doc = [] {
    if (const char* dir = std::getenv("DPEVAL_FMNIST_DIR"); dir == nullptr || *dir == '\0') {
      setenv("DPEVAL_FMNIST_DIR", DPEVAL_FMNIST_DIR, 1);
    }
    AuditOptions o;
    o.train = "fashion-mnist";
    return run_audit(o);
  }();
  return doc;
}

void expect_counts_equal(const json& expected) {
  const json& doc = audit_doc();
  EXPECT_EQ(doc["rows"]["train"], expected["train_rows"]);
  EXPECT_EQ(doc["rows"]["test"], expected["test_rows"]);
  EXPECT_EQ(check(doc, "leakage.exact")["count"], expected["exact_test_in_train"]);
  EXPECT_EQ(check(doc, "quality.duplicates")["count"], expected["train_duplicates"]);
  const json& near = check(doc, "leakage.near_duplicates");
  EXPECT_FALSE(near.value("skipped", false));
  EXPECT_EQ(near["figures"]["threshold_bits"], expected["near_duplicate_bits"]);
  EXPECT_EQ(near["count"], expected["near_duplicates"]);
}

// One test per audit run: ctest runs each test in its own process, and the
// audit (about 11 s on two cores) is the cost.
TEST(FashionMnistLeakage, ExactIsZeroAndCountsEqualTheCommittedNumpyOutput) {
  const json& doc = audit_doc();
  EXPECT_EQ(check(doc, "leakage.exact")["count"], 0);
  EXPECT_TRUE(check(doc, "leakage.near_duplicates")["count"].is_number());
  for (const json& c : doc["checks"]) {
    if (c["id"].get<std::string>().starts_with("pii.")) {
      EXPECT_TRUE(c.value("skipped", false));
    }
  }
  expect_counts_equal(json::parse(read_file(DPEVAL_SOURCE_DIR "/tests/govern/fmnist_leakage_golden.json")));
}

TEST(FashionMnistLeakage, CountsEqualAFreshNumpyRun) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy not available; the golden-file test still ran";
  }
  const std::string cmd =
      "/usr/bin/python3 " DPEVAL_SOURCE_DIR "/tests/govern/fmnist_leakage.py " DPEVAL_FMNIST_DIR;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), &pclose);
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, n);
  expect_counts_equal(json::parse(out));
}

}  // namespace
}  // namespace dpeval::govern
