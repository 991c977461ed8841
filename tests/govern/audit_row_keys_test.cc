// The row-key sort (Note [Row key sort]) and the checks built on it,
// quality.duplicates and leakage.exact, on tables large enough to take the
// bucketed parallel path (>= 65,536 rows), against an independent computation:
// std::sort of the same keys and std::map groups of equal (hash, label) and
// equal hashes. Planted: duplicate pairs and triples, equal features with
// another label (not a duplicate), keys that share hash.lo (one bucket) but
// differ in hash.hi, one row repeated 500 times (a large bucket), and test rows
// copied from train or sharing only hash.lo.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "dpeval/govern/audit.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern {
namespace {

constexpr size_t kTrainRows = 200000;
constexpr size_t kTestRows = 70000;

struct Planted {
  TableScan train, test;
};

Planted make_tables(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto below = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  Planted p;
  TableScan& train = p.train;
  train.rows = kTrainRows;
  train.feature_hashes.resize(kTrainRows);
  train.labels.resize(kTrainRows);
  for (size_t i = 0; i < kTrainRows; ++i) {
    train.feature_hashes[i] = {rng(), rng()};
    train.labels[i] = static_cast<uint32_t>(below(5));
  }
  // Each plant copies from an earlier row `from` into a later row `to`.
  auto pair_rows = [&] {
    const size_t to = 1 + below(kTrainRows - 1);
    return std::pair{below(to), to};
  };
  for (int k = 0; k < 3000; ++k) {  // exact duplicates (some become triples or longer chains)
    const auto [from, to] = pair_rows();
    train.feature_hashes[to] = train.feature_hashes[from];
    train.labels[to] = train.labels[from];
  }
  for (int k = 0; k < 1000; ++k) {  // same features, another label: not a duplicate
    const auto [from, to] = pair_rows();
    train.feature_hashes[to] = train.feature_hashes[from];
    train.labels[to] = (train.labels[from] + 1 + static_cast<uint32_t>(below(4))) % 5;
  }
  for (int k = 0; k < 1000; ++k) {  // same hash.lo (same bucket), another hash.hi
    const auto [from, to] = pair_rows();
    train.feature_hashes[to] = {train.feature_hashes[from].lo, rng()};
  }
  // One row repeated 500 times with mixed labels: a bucket past insertion
  // sort's limit (std::sort takes it), keys equal but for label and row.
  const Hash128 common = train.feature_hashes[below(kTrainRows)];
  for (int k = 0; k < 500; ++k) {
    const size_t to = below(kTrainRows);
    train.feature_hashes[to] = common;
    train.labels[to] = static_cast<uint32_t>(below(5));
  }
  TableScan& test = p.test;
  test.rows = kTestRows;
  test.feature_hashes.resize(kTestRows);
  test.labels.resize(kTestRows);
  for (size_t i = 0; i < kTestRows; ++i) {
    const size_t kind = below(100);
    const Hash128& from = train.feature_hashes[below(kTrainRows)];
    if (kind < 2) {
      test.feature_hashes[i] = from;  // leaked
    } else if (kind < 4) {
      test.feature_hashes[i] = {from.lo, from.hi ^ 1};  // same bucket and lo, not equal
    } else {
      test.feature_hashes[i] = {rng(), rng()};
    }
    test.labels[i] = static_cast<uint32_t>(below(5));
  }
  return p;
}

std::vector<RowKey> keys_by_std_sort(const TableScan& scan) {
  std::vector<RowKey> keys(scan.rows);
  for (size_t i = 0; i < scan.rows; ++i) {
    keys[i] = {scan.feature_hashes[i], scan.labels[i], static_cast<uint32_t>(i)};
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST(AuditRowKeys, BucketedSortEqualsStdSortOnEveryThreadCount) {
  const Planted p = make_tables(7);
  const std::vector<RowKey> expected = keys_by_std_sort(p.train);
  for (size_t threads : {1, 2, 3}) {
    const std::vector<RowKey> keys = sorted_row_keys(p.train, threads);
    ASSERT_EQ(keys.size(), expected.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      ASSERT_EQ(keys[i], expected[i]) << "threads " << threads << ", key " << i << " (row " << keys[i].row
                                      << ", expected row " << expected[i].row << ")";
    }
  }
}

TEST(AuditRowKeys, BucketStartsBoundEachBucket) {
  const Planted p = make_tables(8);
  const std::vector<RowKey> keys = sorted_row_keys(p.train, 2);
  const std::vector<size_t> starts = row_key_bucket_starts(keys);
  ASSERT_EQ(starts.size(), kRowKeyBuckets + 1);
  EXPECT_EQ(starts.front(), 0u);
  EXPECT_EQ(starts.back(), keys.size());
  for (size_t b = 0; b < kRowKeyBuckets; ++b) {
    for (size_t i = starts[b]; i < starts[b + 1]; ++i) {
      ASSERT_EQ(row_key_bucket(keys[i].hash), b) << "key " << i;
    }
  }
}

CheckResult run_check(const Check& check, const Planted& p) {
  AuditContext ctx(p.train);
  ctx.test = &p.test;
  ctx.train_keys = sorted_row_keys(p.train, 2);
  ctx.threads = 2;
  return check.run(ctx);
}

TEST(AuditRowKeys, DuplicatesMatchAMapOfEqualRows) {
  const Planted p = make_tables(9);
  std::map<std::pair<Hash128, uint32_t>, std::vector<uint64_t>> rows_of;  // rows ascend in each group
  for (size_t i = 0; i < kTrainRows; ++i) {
    rows_of[{p.train.feature_hashes[i], p.train.labels[i]}].push_back(i);
  }
  uint64_t count = 0, groups = 0;
  std::vector<std::pair<uint64_t, uint64_t>> firsts;  // (first repeat, original)
  for (const auto& [key, rows] : rows_of) {
    if (rows.size() < 2) continue;
    ++groups;
    count += rows.size() - 1;
    firsts.emplace_back(rows[1], rows[0]);
  }
  std::sort(firsts.begin(), firsts.end());
  ASSERT_GT(groups, 2000u);  // the plants took

  const CheckResult r = run_check(*internal::make_quality_duplicates_check(), p);
  EXPECT_EQ(r.count, count);
  EXPECT_EQ(r.figures.at("groups"), static_cast<double>(groups));
  ASSERT_EQ(r.examples.size(), kMaxExamples);
  for (size_t k = 0; k < kMaxExamples; ++k) {
    EXPECT_EQ(r.examples[k]["row"], firsts[k].first) << "example " << k;
    EXPECT_EQ(r.examples[k]["detail"], fmt::format("same as row {}", firsts[k].second)) << "example " << k;
  }
}

TEST(AuditRowKeys, LeakageMatchesAMapOfTrainHashes) {
  const Planted p = make_tables(10);
  // The train row reported for a hash: the smallest (label, row) with it, as in the sorted keys.
  std::map<Hash128, std::pair<uint32_t, uint64_t>> first_of;
  for (size_t i = 0; i < kTrainRows; ++i) {
    const std::pair<uint32_t, uint64_t> key{p.train.labels[i], i};
    auto [it, inserted] = first_of.emplace(p.train.feature_hashes[i], key);
    if (!inserted) it->second = std::min(it->second, key);
  }
  uint64_t count = 0;
  std::vector<std::pair<uint64_t, uint64_t>> matches;  // (test row, train row)
  for (size_t i = 0; i < kTestRows; ++i) {
    const auto it = first_of.find(p.test.feature_hashes[i]);
    if (it == first_of.end()) continue;
    ++count;
    matches.emplace_back(i, it->second.second);
  }
  ASSERT_GT(count, 1000u);

  const CheckResult r = run_check(*internal::make_leakage_exact_check(), p);
  EXPECT_EQ(r.count, count);
  ASSERT_EQ(r.examples.size(), kMaxExamples);
  for (size_t k = 0; k < kMaxExamples; ++k) {
    EXPECT_EQ(r.examples[k]["row"], matches[k].first) << "example " << k;
    EXPECT_EQ(r.examples[k]["detail"], fmt::format("same features as train row {}", matches[k].second))
        << "example " << k;
  }
}

}  // namespace
}  // namespace dpeval::govern
