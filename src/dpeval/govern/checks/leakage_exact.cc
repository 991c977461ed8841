// leakage.exact: test rows whose features (every column but the label; an
// image's bytes) equal some train row's (Note [Row hash]). count = such test
// rows; value = figures.test_share = count / test rows.
#include <algorithm>

#include <fmt/format.h>

#include "dpeval/core/thread_pool.h"
#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class LeakageExactCheck final : public Check {
 public:
  std::string_view id() const override { return "leakage.exact"; }
  CheckResult run(const AuditContext& ctx) const override {
    if (!ctx.test) return skipped_result(id(), "no --test set", {"test_share"});
    CheckResult r = make_result(id());
    const std::vector<RowKey>& keys = ctx.train_keys;
    const size_t n = ctx.test->feature_hashes.size();
    std::vector<int64_t> match(n, -1);  // the train row with the same features
    // Each lookup searches only the keys of its hash's bucket (see Note [Row key
    // sort]), and the test rows are visited in bucket order (a counting sort of
    // their indices), so the lookups walk the train keys front to back and each
    // bucket is brought into cache once rather than once per test row in it.
    const std::vector<size_t> starts = row_key_bucket_starts(keys);
    std::vector<uint32_t> order(n);
    {
      std::vector<size_t> next(kRowKeyBuckets + 1, 0);
      for (const Hash128& h : ctx.test->feature_hashes) ++next[row_key_bucket(h) + 1];
      for (size_t k = 0; k < kRowKeyBuckets; ++k) next[k + 1] += next[k];
      for (size_t i = 0; i < n; ++i) {
        order[next[row_key_bucket(ctx.test->feature_hashes[i])]++] = static_cast<uint32_t>(i);
      }
    }
    ThreadPool pool(ctx.threads);
    pool.parallel_for(n, [&](size_t b, size_t e) {
      for (size_t j = b; j < e; ++j) {
        const size_t i = order[j];
        const Hash128& h = ctx.test->feature_hashes[i];
        const size_t k = row_key_bucket(h);
        const auto last = keys.begin() + starts[k + 1];
        const auto it = std::lower_bound(keys.begin() + starts[k], last, h,
                                         [](const RowKey& key, const Hash128& v) { return key.hash < v; });
        if (it != last && it->hash == h) match[i] = it->row;
      }
    }, 4096);
    for (size_t i = 0; i < n; ++i) {
      if (match[i] < 0) continue;
      ++r.count;
      if (r.examples.size() < kMaxExamples) {
        r.examples.push_back(example_json("test", i, "", fmt::format("same features as train row {}", match[i])));
      }
    }
    r.value = share(r.count, ctx.test->rows);
    r.figures["test_share"] = *r.value;
    r.severity = r.count > 0 ? Severity::kError : Severity::kInfo;
    r.message = fmt::format("{} test rows ({} of test) have the same features as a train row", r.count,
                            percent(*r.value));
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_leakage_exact_check() { return std::make_unique<LeakageExactCheck>(); }

}  // namespace dpeval::govern::internal
