// Bucket planning and the overlapped gradient reduction; see reducer.h.
#include "dpeval/parallel/reducer.h"

#include <algorithm>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/timer.h"
#include "dpeval/kernels/half.h"

namespace dpeval::parallel {

std::vector<Bucket> plan_buckets(const std::vector<nn::ParamInfo>& params, const BucketPlanOptions& options) {
  std::vector<Bucket> buckets;
  size_t bytes = 0;
  for (size_t k = params.size(); k-- > 0;) {
    const nn::ParamInfo& p = params[k];
    if (k + 1 < params.size()) {
      DPEVAL_CHECK(p.offset + p.length == params[k + 1].offset)
          << "parameter tensors must be contiguous: " << p.name;
    }
    const size_t tensor_bytes = p.length * sizeof(float);
    const size_t current_cap = buckets.size() == 1 ? options.bytes_first : options.bytes_cap;
    const bool open = !buckets.empty() && bytes + tensor_bytes <= current_cap;
    if (open) {
      Bucket& b = buckets.back();
      b.offset = p.offset;
      b.length += p.length;
      b.param_first = k;
      bytes += tensor_bytes;
    } else {
      Bucket b;
      b.offset = p.offset;
      b.length = p.length;
      b.param_first = b.param_last = k;
      buckets.push_back(b);
      bytes = tensor_bytes;
    }
  }
  return buckets;
}

Reducer::Reducer(comm::Communicator& comm, std::span<float> grads, std::vector<Bucket> buckets,
                 const ReducerOptions& options)
    : comm_(comm), grads_(grads), buckets_(std::move(buckets)), options_(options) {
  if (options_.shard_only && options_.dtype != GradDType::kFloat32) {
    throw ConfigError("--grad-dtype " + std::string(enum_text(options_.dtype)) +
                      " cannot be combined with --zero 1 (sharded gradients travel as fp32)");
  }
  size_t params = 0;
  for (const Bucket& b : buckets_) params = std::max(params, b.param_last + 1);
  bucket_of_param_.assign(params, 0);
  for (size_t i = 0; i < buckets_.size(); ++i) {
    DPEVAL_CHECK(buckets_[i].offset + buckets_[i].length <= grads_.size())
        << "bucket " << i << " out of range";
    for (size_t p = buckets_[i].param_first; p <= buckets_[i].param_last; ++p) bucket_of_param_[p] = i;
  }
  work_.resize(buckets_.size());
  launched_.assign(buckets_.size(), false);
  launched_at_.assign(buckets_.size(), 0);
  done_at_.assign(buckets_.size(), 0);
  if (options_.dtype != GradDType::kFloat32) {
    half_.resize(buckets_.size());
    for (size_t i = 0; i < buckets_.size(); ++i) half_[i].resize(buckets_[i].length);
  }
}

std::vector<size_t> Reducer::bucket_bytes() const {
  std::vector<size_t> bytes;
  bytes.reserve(buckets_.size());
  for (const Bucket& b : buckets_) bytes.push_back(b.length * grad_dtype_bytes(options_.dtype));
  return bytes;
}

void Reducer::begin_step(bool communicate) {
  communicate_ = communicate;
  next_bucket_ = 0;
  std::fill(launched_.begin(), launched_.end(), false);
  std::fill(launched_at_.begin(), launched_at_.end(), 0.0);
  std::fill(done_at_.begin(), done_at_.end(), 0.0);
}

void Reducer::on_grad_ready(size_t param_index) {
  if (!communicate_) return;
  DPEVAL_CHECK(param_index < bucket_of_param_.size()) << "parameter " << param_index;
  const size_t b = bucket_of_param_[param_index];
  if (param_index == buckets_[b].param_first) launch(b);
}

void Reducer::launch(size_t b) {
  DPEVAL_CHECK(b == next_bucket_) << "bucket " << b << " ready before bucket " << next_bucket_
                                  << ": see Note [Bucket order]";
  ++next_bucket_;
  launched_[b] = true;
  launched_at_[b] = now_seconds();
  const Bucket& bucket = buckets_[b];
  std::span<float> slice = grads_.subspan(bucket.offset, bucket.length);
  comm::CollectiveOptions options;
  options.timeout = options_.timeout;
  options.tag = "bucket " + std::to_string(b);
  // float32 sums arrive scaled (Note [Gradient scale]); 16-bit ones are scaled
  // when finalize() decodes them.
  if (options_.dtype == GradDType::kFloat32) options.scale = 1.0f / static_cast<float>(comm_.world());
  if (options_.shard_only) {
    // Counts: the part of this bucket inside each rank's shard of the whole buffer.
    const int world = comm_.world();
    std::vector<size_t> counts(static_cast<size_t>(world));
    for (int r = 0; r < world; ++r) {
      const comm::Shard s = comm::line_shard_of(grads_.size(), r, world);
      const size_t lo = std::max(s.offset, bucket.offset);
      const size_t hi = std::min(s.offset + s.size, bucket.offset + bucket.length);
      counts[static_cast<size_t>(r)] = hi > lo ? hi - lo : 0;
    }
    work_[b] = comm_.reduce_scatter_sum(slice, counts, options);
  } else if (options_.dtype == GradDType::kFloat32) {
    work_[b] = comm_.allreduce_sum(slice, options);
  } else {
    std::vector<uint16_t>& half = half_[b];
    const bool fp16 = options_.dtype == GradDType::kFloat16;
    if (fp16) {
      kernels::fp16_from_float(slice, half);
    } else {
      kernels::bf16_from_float(slice, half);
    }
    work_[b] = comm_.allreduce_sum_half(half, fp16 ? comm::HalfFormat::kFloat16 : comm::HalfFormat::kBFloat16,
                                        options);
  }
}

ReducerStepStats Reducer::finalize() {
  DPEVAL_CHECK(communicate_) << "finalize() in a step begun with communicate == false";
  ReducerStepStats stats;
  while (next_bucket_ < buckets_.size()) launch(next_bucket_);
  const double wait_start = now_seconds();
  for (size_t b = 0; b < buckets_.size(); ++b) {
    work_[b].wait();
    done_at_[b] = now_seconds();
  }
  stats.wait_seconds = now_seconds() - wait_start;
  stats.first_launch = buckets_.empty() ? 0 : launched_at_[0];
  stats.done = buckets_.empty() ? 0 : done_at_.back();

  const float scale = 1.0f / static_cast<float>(comm_.world());
  const comm::Shard mine = comm::line_shard_of(grads_.size(), comm_.rank(), comm_.world());
  for (size_t b = 0; b < buckets_.size(); ++b) {
    const Bucket& bucket = buckets_[b];
    size_t lo = bucket.offset, hi = bucket.offset + bucket.length;
    if (options_.shard_only) {
      lo = std::max(lo, mine.offset);
      hi = std::min(hi, mine.offset + mine.size);
      if (hi <= lo) continue;
    }
    std::span<float> slice = grads_.subspan(lo, hi - lo);
    if (options_.dtype == GradDType::kFloat16) {
      kernels::fp16_to_float(half_[b], slice);
    } else if (options_.dtype == GradDType::kBFloat16) {
      kernels::bf16_to_float(half_[b], slice);
    }
    stats.bytes += bucket.length * grad_dtype_bytes(options_.dtype);
    if (options_.dtype != GradDType::kFloat32 && comm_.world() > 1) {
      for (float& g : slice) g *= scale;
    }
  }
  communicate_ = false;
  return stats;
}

}  // namespace dpeval::parallel
