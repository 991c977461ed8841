// Bucket planning (Note [Bucket order]) and the Reducer over a threads group:
// buckets launch from the grad-ready hook in order and finalize() leaves the
// scaled rank-order sum in every rank's gradient buffer.
#include "dpeval/parallel/reducer.h"

#include <gtest/gtest.h>

#include <thread>

#include "dpeval/core/error.h"
#include "dpeval/nn/model_spec.h"

namespace dpeval::parallel {
namespace {

std::vector<nn::ParamInfo> layout(const std::vector<size_t>& lengths) {
  std::vector<nn::ParamInfo> params;
  size_t offset = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    nn::ParamInfo p;
    p.name = std::to_string(i);
    p.offset = offset;
    p.length = lengths[i];
    offset += lengths[i];
    params.push_back(p);
  }
  return params;
}

TEST(PlanBuckets, ReverseOrderSmallFirstBucketContiguousCover) {
  // Floats: 4 B each. first cap 40 B = 10 floats, later caps 80 B = 20 floats.
  const auto params = layout({6, 2, 12, 3, 25, 4, 4});
  const BucketPlanOptions options{.bytes_first = 40, .bytes_cap = 80};
  const std::vector<Bucket> b = plan_buckets(params, options);
  ASSERT_EQ(b.size(), 4u);
  // Bucket 0 starts from the last tensor: 4 + 4 = 8 floats (adding 25 would exceed 10).
  EXPECT_EQ(b[0].param_last, 6u);
  EXPECT_EQ(b[0].param_first, 5u);
  EXPECT_EQ(b[0].length, 8u);
  // A tensor over the cap sits alone.
  EXPECT_EQ(b[1].param_first, 4u);
  EXPECT_EQ(b[1].param_last, 4u);
  // 3 + 12 = 15 <= 20; adding 2 gives 17 <= 20; adding 6 gives 23 > 20.
  EXPECT_EQ(b[2].param_first, 1u);
  EXPECT_EQ(b[2].param_last, 3u);
  EXPECT_EQ(b[3].param_first, 0u);
  // Contiguous slices, tail first, covering everything once.
  size_t end = 56;
  for (const Bucket& bucket : b) {
    EXPECT_EQ(bucket.offset + bucket.length, end);
    EXPECT_EQ(bucket.offset, params[bucket.param_first].offset);
    end = bucket.offset;
  }
  EXPECT_EQ(end, 0u);
}

TEST(PlanBuckets, OneBucketWhenCapsAreUnbounded) {
  const auto params = layout({3, 5, 7});
  const BucketPlanOptions options{.bytes_first = SIZE_MAX, .bytes_cap = SIZE_MAX};
  const std::vector<Bucket> b = plan_buckets(params, options);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].offset, 0u);
  EXPECT_EQ(b[0].length, 15u);
  EXPECT_TRUE(plan_buckets({}, options).empty());
}

TEST(Reducer, SumsAndScalesAcrossRanksFromTheHook) {
  constexpr int kWorld = 3;
  const auto params = layout({5, 1000, 3, 17});
  const size_t n = 1025;
  const std::vector<Bucket> buckets = plan_buckets(params, {.bytes_first = 16, .bytes_cap = 64});
  comm::CommunicatorOptions options;
  options.world = kWorld;
  auto comms = comm::make_communicators(comm::Backend::kThreads, options);
  std::vector<std::vector<float>> grads(kWorld, std::vector<float>(n));
  for (int r = 0; r < kWorld; ++r) {
    for (size_t i = 0; i < n; ++i) grads[r][i] = static_cast<float>(r + 1) * 0.25f + static_cast<float>(i);
  }
  std::vector<std::thread> threads;
  for (int r = 0; r < kWorld; ++r) {
    threads.emplace_back([&, r] {
      Reducer reducer(*comms[r], grads[r], buckets, {});
      reducer.begin_step(true);
      for (size_t p = params.size(); p-- > 0;) reducer.on_grad_ready(p);
      reducer.finalize();
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < kWorld; ++r) {
    for (size_t i = 0; i < n; ++i) {
      const float sum = ((0.25f + static_cast<float>(i)) + (0.5f + static_cast<float>(i))) +
                        (0.75f + static_cast<float>(i));
      ASSERT_EQ(grads[r][i], sum * (1.0f / 3.0f)) << "rank " << r << " element " << i;
    }
  }
}

TEST(Reducer, HalfDtypeWithShardingIsConfigError) {
  comm::CommunicatorOptions options;
  options.world = 1;
  auto comms = comm::make_communicators(comm::Backend::kThreads, options);
  std::vector<float> grads(4);
  ReducerOptions ro;
  ro.dtype = GradDType::kFloat16;
  ro.shard_only = true;
  EXPECT_THROW(Reducer(*comms[0], grads, plan_buckets(layout({4}), {}), ro), ConfigError);
}

TEST(GradDType, SpelledOnceParsedOnce) {
  EXPECT_EQ(parse_enum<GradDType>("bf16", "grad_dtype"), GradDType::kBFloat16);
  EXPECT_EQ(enum_text(GradDType::kFloat16), "fp16");
  try {
    parse_enum<GradDType>("fp8", "grad_dtype");
    FAIL() << "fp8 parsed";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "grad_dtype = 'fp8': expected 'fp32', 'fp16' or 'bf16'");
  }
}

}  // namespace
}  // namespace dpeval::parallel
