// The domain classifier (monitor/domain_classifier.h) on small synthetic
// rows, in well under a second each: no drift between two samples of one
// distribution, drift after a shift, bitwise determinism under a seed, an
// interval that holds the estimate and moves with the seed, typed errors
// naming the bad input. The Fashion-MNIST acceptance cases are in
// domain_classifier_fmnist_test.cc (label slow).
#include "dpeval/monitor/domain_classifier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"

namespace dpeval::monitor {
namespace {

namespace fs = std::filesystem;

// n rows of `width` features, each uniform in [shift, 1 + shift) (seeded).
std::vector<float> uniform_rows(size_t n, size_t width, float shift, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n * width);
  for (float& x : v) x = shift + rng.uniform_float();
  return v;
}

constexpr size_t kWidth = 16;

DomainClassifierOptions quick_options(uint64_t seed = 0) {
  DomainClassifierOptions o;
  o.seed = seed;
  o.bootstrap_resamples = 200;
  return o;
}

// Every field, so that "bitwise identical" means every bit of every number.
void expect_identical(const DomainClassifierResult& a, const DomainClassifierResult& b) {
  EXPECT_EQ(to_json(a).dump(), to_json(b).dump());
  EXPECT_EQ(std::bit_cast<uint64_t>(a.auc), std::bit_cast<uint64_t>(b.auc));
  EXPECT_EQ(std::bit_cast<uint64_t>(a.auc_low), std::bit_cast<uint64_t>(b.auc_low));
  EXPECT_EQ(std::bit_cast<uint64_t>(a.auc_high), std::bit_cast<uint64_t>(b.auc_high));
  EXPECT_EQ(std::bit_cast<uint64_t>(a.test_accuracy), std::bit_cast<uint64_t>(b.test_accuracy));
}

TEST(DomainClassifier, OneDistributionOnBothSidesIsNoDrift) {
  const std::vector<float> ref = uniform_rows(400, kWidth, 0, 1), cur = uniform_rows(400, kWidth, 0, 2);
  const DomainClassifierResult r = domain_classifier_drift({ref, kWidth}, {cur, kWidth}, quick_options());
  EXPECT_FALSE(r.drift) << to_json(r).dump();
  EXPECT_NEAR(r.auc, 0.5, 0.08);
  EXPECT_LT(r.auc_low, 0.5);
  EXPECT_GT(r.auc_high, 0.5);
  EXPECT_EQ(r.n_reference_used, 400u);
  EXPECT_EQ(r.n_current_used, 400u);
  EXPECT_EQ(r.n_train + r.n_test, 800u);
  EXPECT_EQ(r.n_test, 400u);
  EXPECT_EQ(r.n_test_reference + r.n_test_current, r.n_test);
}

TEST(DomainClassifier, ShiftedRowsAreDrift) {
  const std::vector<float> ref = uniform_rows(400, kWidth, 0, 1), cur = uniform_rows(400, kWidth, 0.3f, 2);
  const DomainClassifierResult r = domain_classifier_drift({ref, kWidth}, {cur, kWidth}, quick_options());
  EXPECT_TRUE(r.drift) << to_json(r).dump();
  EXPECT_GT(r.auc, 0.9);
  EXPECT_GT(r.auc_low, r.threshold);
}

TEST(DomainClassifier, SameSeedGivesABitwiseIdenticalResult) {
  const std::vector<float> ref = uniform_rows(300, kWidth, 0, 1), cur = uniform_rows(300, kWidth, 0.05f, 2);
  const DomainClassifierResult a = domain_classifier_drift({ref, kWidth}, {cur, kWidth}, quick_options(7));
  const DomainClassifierResult b = domain_classifier_drift({ref, kWidth}, {cur, kWidth}, quick_options(7));
  expect_identical(a, b);
}

TEST(DomainClassifier, BootstrapThreadsDoNotChangeTheResult) {
  const std::vector<float> ref = uniform_rows(300, kWidth, 0, 1), cur = uniform_rows(300, kWidth, 0.05f, 2);
  DomainClassifierOptions one = quick_options(3), two = quick_options(3);
  one.threads = 1;
  two.threads = 2;
  expect_identical(domain_classifier_drift({ref, kWidth}, {cur, kWidth}, one),
                   domain_classifier_drift({ref, kWidth}, {cur, kWidth}, two));
}

TEST(DomainClassifier, IntervalHoldsTheEstimateAndMovesWithTheSeed) {
  const std::vector<float> ref = uniform_rows(300, kWidth, 0, 1), cur = uniform_rows(300, kWidth, 0.05f, 2);
  std::vector<DomainClassifierResult> results;
  for (uint64_t seed : {0, 1, 2}) {
    results.push_back(domain_classifier_drift({ref, kWidth}, {cur, kWidth}, quick_options(seed)));
    const DomainClassifierResult& r = results.back();
    EXPECT_LE(r.auc_low, r.auc) << "seed " << seed;
    EXPECT_LE(r.auc, r.auc_high) << "seed " << seed;
    EXPECT_LT(r.auc_low, r.auc_high) << "seed " << seed;
    EXPECT_EQ(r.bootstrap_resamples_defined, 200) << "seed " << seed;
  }
  EXPECT_NE(results[0].auc_low, results[1].auc_low);
  EXPECT_NE(results[0].auc_high, results[1].auc_high);
  EXPECT_NE(results[1].auc_low, results[2].auc_low);
}

TEST(DomainClassifier, SubsamplesASideAboveTheCap) {
  const std::vector<float> ref = uniform_rows(500, kWidth, 0, 1), cur = uniform_rows(120, kWidth, 0, 2);
  DomainClassifierOptions o = quick_options();
  o.max_rows_per_side = 200;
  const DomainClassifierResult r = domain_classifier_drift({ref, kWidth}, {cur, kWidth}, o);
  EXPECT_EQ(r.n_reference_input, 500u);
  EXPECT_EQ(r.n_reference_used, 200u);
  EXPECT_EQ(r.n_current_input, 120u);
  EXPECT_EQ(r.n_current_used, 120u);
  EXPECT_EQ(r.n_train + r.n_test, 320u);
}

TEST(DomainClassifier, JsonNamesTheMethodAndItsFigures) {
  const std::vector<float> ref = uniform_rows(100, kWidth, 0, 1), cur = uniform_rows(100, kWidth, 0, 2);
  const DomainClassifierResult r = domain_classifier_drift({ref, kWidth}, {cur, kWidth}, quick_options(5));
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["method"], "domain-classifier");
  EXPECT_EQ(j["auc"].get<double>(), r.auc);
  ASSERT_EQ(j["auc_ci"].size(), 2u);
  EXPECT_EQ(j["auc_ci"][0].get<double>(), r.auc_low);
  EXPECT_EQ(j["auc_ci"][1].get<double>(), r.auc_high);
  EXPECT_EQ(j["confidence"], 0.95);
  EXPECT_EQ(j["threshold"], 0.55);
  EXPECT_EQ(j["drift"], r.drift);
  EXPECT_EQ(j["n_train"], r.n_train);
  EXPECT_EQ(j["n_test"], r.n_test);
  EXPECT_EQ(j["n_reference"], 100);
  EXPECT_EQ(j["n_current"], 100);
  EXPECT_EQ(j["seed"], 5);
  EXPECT_EQ(j["bootstrap_resamples"], 200);
  EXPECT_EQ(j["model"], std::string(kDomainClassifierModel));
  EXPECT_EQ(j["epochs"], DomainClassifierOptions{}.epochs);
  EXPECT_EQ(j["workers"], DomainClassifierOptions{}.workers);
}

TEST(DomainClassifier, SubsampleRowsIsSortedUniqueSeededAndPerSide) {
  const std::vector<size_t> a = subsample_rows(1000, 100, 4, 0);
  ASSERT_EQ(a.size(), 100u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::adjacent_find(a.begin(), a.end()), a.end());
  EXPECT_LT(a.back(), 1000u);
  EXPECT_EQ(subsample_rows(1000, 100, 4, 0), a);
  EXPECT_NE(subsample_rows(1000, 100, 5, 0), a);
  EXPECT_NE(subsample_rows(1000, 100, 4, 1), a);
  const std::vector<size_t> all = subsample_rows(7, 7, 4, 0);
  EXPECT_EQ(all, (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(subsample_rows(7, 100, 4, 1), all);
  EXPECT_TRUE(subsample_rows(0, 100, 4, 0).empty());
}

// Sets TMPDIR for its lifetime, then restores it.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string& dir) {
    if (const char* old = std::getenv("TMPDIR")) saved_ = old;
    ::setenv("TMPDIR", dir.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (saved_) {
      ::setenv("TMPDIR", saved_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }

 private:
  std::optional<std::string> saved_;
};

TEST(DomainClassifier, LeavesNoTemporaryFilesBehind) {
  const fs::path tmp = fs::temp_directory_path() / ("dpeval_dc_test_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const std::vector<float> ref = uniform_rows(100, kWidth, 0, 1), cur = uniform_rows(100, kWidth, 0, 2);
  {
    const ScopedTmpdir scoped(tmp.string());
    domain_classifier_drift({ref, kWidth}, {cur, kWidth}, quick_options());
  }
  EXPECT_TRUE(fs::is_empty(tmp));
  fs::remove_all(tmp);
}

// The message of the error `call` throws as E; fails the test if none.
template <typename E, typename F>
std::string error_message(F&& call) {
  try {
    call();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

TEST(DomainClassifier, BadRowsThrowInputErrorNamingTheSide) {
  const std::vector<float> ref = uniform_rows(60, kWidth, 0, 1), cur = uniform_rows(60, kWidth, 0, 2);
  const std::vector<float> cur_wide = uniform_rows(60, kWidth + 1, 0, 2);
  std::string m = error_message<InputError>([&] {
    domain_classifier_drift({ref, kWidth}, {cur_wide, kWidth + 1});
  });
  EXPECT_NE(m.find("reference rows have 16 features but current rows have 17"), std::string::npos) << m;

  const std::vector<float> few = uniform_rows(49, kWidth, 0, 2);
  m = error_message<InputError>([&] { domain_classifier_drift({ref, kWidth}, {few, kWidth}); });
  EXPECT_NE(m.find("current rows: 49 rows"), std::string::npos) << m;
  EXPECT_NE(m.find("at least 50 per side"), std::string::npos) << m;
  m = error_message<InputError>([&] { domain_classifier_drift({{}, kWidth}, {cur, kWidth}); });
  EXPECT_NE(m.find("reference rows: 0 rows"), std::string::npos) << m;

  m = error_message<InputError>([&] {
    domain_classifier_drift({std::span(ref).first(ref.size() - 3), kWidth}, {cur, kWidth});
  });
  EXPECT_NE(m.find("reference rows: 957 values is not a whole number of rows of 16 features"),
            std::string::npos)
      << m;

  m = error_message<InputError>([&] { domain_classifier_drift({ref, 0}, {cur, 0}); });
  EXPECT_NE(m.find("at least one feature per row"), std::string::npos) << m;

  std::vector<float> bad = cur;
  bad[2 * kWidth + 4] = std::nanf("");
  m = error_message<InputError>([&] { domain_classifier_drift({ref, kWidth}, {bad, kWidth}); });
  EXPECT_NE(m.find("current rows: row 3, feature 5: nan is not a finite number"), std::string::npos) << m;
}

TEST(DomainClassifier, BadOptionsThrowConfigErrorNamingTheOption) {
  const std::vector<float> ref = uniform_rows(60, kWidth, 0, 1), cur = uniform_rows(60, kWidth, 0, 2);
  auto message = [&](auto change) {
    DomainClassifierOptions o;
    change(o);
    return error_message<ConfigError>([&] { domain_classifier_drift({ref, kWidth}, {cur, kWidth}, o); });
  };
  EXPECT_NE(message([](auto& o) { o.threshold = 0.4; }).find("threshold = 0.4"), std::string::npos);
  EXPECT_NE(message([](auto& o) { o.threshold = std::nan(""); }).find("threshold"), std::string::npos);
  EXPECT_NE(message([](auto& o) { o.max_rows_per_side = 10; }).find("max_rows_per_side = 10"),
            std::string::npos);
  EXPECT_NE(message([](auto& o) { o.bootstrap_resamples = 0; }).find("bootstrap_resamples = 0"),
            std::string::npos);
  EXPECT_NE(message([](auto& o) { o.confidence = 1; }).find("confidence = 1"), std::string::npos);
  EXPECT_NE(message([](auto& o) { o.epochs = 0; }).find("epochs = 0"), std::string::npos);
  EXPECT_NE(message([](auto& o) { o.workers = 3; }).find("workers = 3"), std::string::npos);
  EXPECT_NE(message([](auto& o) { o.seed = kMaxSeed + 1; }).find("seed = "), std::string::npos);
}

TEST(DomainClassifier, UnusableTemporaryDirectoryIsAnIoErrorNamingTmpdir) {
  const std::vector<float> ref = uniform_rows(60, kWidth, 0, 1), cur = uniform_rows(60, kWidth, 0, 2);
  const ScopedTmpdir scoped("/nonexistent/dpeval_dc_test");
  const std::string m = error_message<IoError>([&] {
    domain_classifier_drift({ref, kWidth}, {cur, kWidth});
  });
  EXPECT_NE(m.find("TMPDIR"), std::string::npos) << m;
}

}  // namespace
}  // namespace dpeval::monitor
