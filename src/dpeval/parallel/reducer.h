// Reducer: sums gradients across data-parallel ranks while backward is still
// running (STYLE.md habit 8). It plans buckets, listens to the Model's
// grad-ready hook, starts each bucket's collective the moment its last
// gradient is final, and waits for them all in finalize(). It knows nothing of
// MPI or threads (that is the Communicator's job) nor of layers beyond the
// parameter layout.
//
// Layout: a bucket is a contiguous slice [offset, offset + length) of the flat
// gradient buffer holding whole parameter tensors. Buckets are numbered in
// reverse layer order: bucket 0 ends at the end of the buffer (the last
// layer's gradients, final first in backward). See Note [Bucket order].
//
// Note [Bucket order]
// Backward finishes the last layer first, so bucket 0 (the buffer's tail) is
// ready earliest and its collective overlaps the rest of backward. Bucket 0 is
// kept small (bytes_first, default 1 MiB) so communication starts early;
// later buckets grow to bytes_cap (default 25 MiB) so there are few of them.
// A tensor larger than the cap gets a bucket of its own. The plan depends only
// on the layout and the two sizes, so every rank makes the same plan and
// issues the same collectives in the same order (Note [Collective order] in
// communicator.h). The sums themselves do not depend on the plan: each element
// is summed in rank order whatever bucket carries it.
//
// Note [Gradient scale]
// Each rank's gradient is the mean over its own micro-batch. The Reducer adds
// the ranks' gradients and multiplies by 1/world, giving the mean over the
// global batch (equal ranks' batch sizes: the sampler makes them equal). For
// float32 buckets the communicator multiplies as it sums (CollectiveOptions::
// scale), so no extra pass runs over the buffer after the last bucket; that
// pass was about 5 % of a 2-worker MLP step. The bits are those of summing and
// then scaling. With --grad-dtype fp16|bf16 each bucket is rounded to the
// 16-bit format, summed in float32 and rounded once more (communicator.h);
// finalize() decodes it back into the gradient buffer and then scales it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dpeval/comm/communicator.h"
#include "dpeval/nn/model.h"
#include "dpeval/parallel/grad_dtype.h"

namespace dpeval::parallel {

struct Bucket {
  size_t offset = 0;       // into the gradient buffer, elements
  size_t length = 0;       // elements
  size_t param_first = 0;  // the lowest parameter-tensor index it holds
  size_t param_last = 0;   // the highest (the first to become ready)
};

struct BucketPlanOptions {
  size_t bytes_first = size_t{1} << 20;  // cap of bucket 0
  size_t bytes_cap = size_t{25} << 20;   // cap of every later bucket
};

// Buckets for `params` (the Model's param_infos(), offsets increasing and
// contiguous), in reverse layer order per Note [Bucket order]. Empty when there
// are no parameters. Every tensor is in exactly one bucket.
std::vector<Bucket> plan_buckets(const std::vector<nn::ParamInfo>& params, const BucketPlanOptions& options);

struct ReducerOptions {
  GradDType dtype = GradDType::kFloat32;
  // ZeRO-1: each bucket is reduce-scattered instead of all-reduced, so that
  // after finalize() only this rank's shard (line_shard_of(n, rank, world)
  // of the whole buffer) holds the summed, scaled gradient. Not with 16-bit dtypes.
  bool shard_only = false;
  std::chrono::milliseconds timeout{0};  // 0: the communicator's default
};

// What finalize() measured for the step just finished.
struct ReducerStepStats {
  double wait_seconds = 0;  // blocked in finalize(): communication not hidden by backward
  double first_launch = 0;  // now_seconds() when bucket 0 started (0 if none)
  double done = 0;          // now_seconds() when the last bucket had completed
  size_t bytes = 0;         // bytes this rank handed to collectives
};

class Reducer {
 public:
  // grads: the Model's gradient buffer (must outlive the Reducer); buckets from
  // plan_buckets over the same layout. Throws ConfigError for 16-bit dtypes
  // with shard_only.
  Reducer(comm::Communicator& comm, std::span<float> grads, std::vector<Bucket> buckets,
          const ReducerOptions& options);

  // Starts a step. With communicate == false (gradient accumulation micro-steps)
  // the hook does nothing and finalize() must not be called.
  void begin_step(bool communicate);

  // The Model's grad-ready hook (Note [Grad-ready hooks] in model.h): called
  // with indices strictly decreasing. Launches a bucket's collective as soon as
  // its param_first has arrived.
  void on_grad_ready(size_t param_index);

  // Launches any bucket not yet launched (a model whose hook never fired),
  // waits for every collective and decodes 16-bit buckets. Afterwards the
  // buffer (ZeRO-1: this rank's shard) holds the summed gradients times
  // 1/world (Note [Gradient scale]). Throws what Work::wait throws
  // (TimeoutError, CommError).
  ReducerStepStats finalize();

  const std::vector<Bucket>& buckets() const { return buckets_; }
  // Each bucket's size on the wire (length times grad_dtype_bytes), in bucket order.
  std::vector<size_t> bucket_bytes() const;
  // Trace hooks: when each bucket was launched and found complete in the last step.
  const std::vector<double>& launch_times() const { return launched_at_; }
  const std::vector<double>& done_times() const { return done_at_; }

 private:
  void launch(size_t bucket);

  comm::Communicator& comm_;
  std::span<float> grads_;
  std::vector<Bucket> buckets_;
  ReducerOptions options_;
  std::vector<size_t> bucket_of_param_;
  std::vector<comm::Work> work_;
  std::vector<bool> launched_;
  std::vector<double> launched_at_, done_at_;
  std::vector<std::vector<uint16_t>> half_;  // per bucket, 16-bit dtypes only
  bool communicate_ = false;
  size_t next_bucket_ = 0;
};

}  // namespace dpeval::parallel
