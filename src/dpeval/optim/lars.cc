// LARS: per segment, the two norms in one double pass, the trust ratio, then
// the SGD-with-momentum loop of sgd.cc on the rescaled gradient.
#include "dpeval/optim/lars.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "dpeval/core/check.h"

namespace dpeval::optim {
namespace {

struct SquaredNorms {
  double params = 0.0;
  double grads = 0.0;
};

// Sums of squares of p[0, n) and g[0, n) in double, in one fixed order: lane k
// of 8 adds element 8*i + k for i = 0, 1, ...; the lanes are added in order
// 0..7, then the n % 8 tail elements one by one. Independent of how the caller
// groups segments, so the result is reproducible (and GCC can vectorize it).
SquaredNorms squared_norms(const float* p, const float* g, size_t n) {
  constexpr size_t kLanes = 8;
  double lane_p[kLanes] = {}, lane_g[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t k = 0; k < kLanes; ++k) {
      const double pk = p[i + k], gk = g[i + k];
      lane_p[k] += pk * pk;
      lane_g[k] += gk * gk;
    }
  }
  SquaredNorms out;
  for (size_t k = 0; k < kLanes; ++k) {
    out.params += lane_p[k];
    out.grads += lane_g[k];
  }
  for (; i < n; ++i) {
    const double pk = p[i], gk = g[i];
    out.params += pk * pk;
    out.grads += gk * gk;
  }
  return out;
}

float local_lr_of(const SquaredNorms& sq, const LarsOptions& o) {
  const double param_norm = std::sqrt(sq.params), grad_norm = std::sqrt(sq.grads);
  if (!(param_norm > 0.0 && grad_norm > 0.0)) return 1.0f;
  const double denom =
      grad_norm + static_cast<double>(o.weight_decay) * param_norm + static_cast<double>(o.eps);
  return static_cast<float>(static_cast<double>(o.trust_coefficient) * param_norm / denom);
}

// p, g, buf point at the first element of one segment; n elements. As
// sgd_momentum_loop in sgd.cc, on d = (g + wd * p) * local_lr.
template <bool kFirstStep>
void lars_momentum_loop(float* p, const float* g, float* buf, size_t n, float lr, float momentum,
                        float weight_decay, float local_lr) {
  for (size_t i = 0; i < n; ++i) {
    const float d = (g[i] + weight_decay * p[i]) * local_lr;
    const float b = kFirstStep ? d : momentum * buf[i] + d;
    buf[i] = b;
    p[i] -= lr * b;
  }
}

void lars_plain_loop(float* p, const float* g, size_t n, float lr, float weight_decay, float local_lr) {
  for (size_t i = 0; i < n; ++i) p[i] -= lr * ((g[i] + weight_decay * p[i]) * local_lr);
}

}  // namespace

float lars_local_lr(std::span<const float> params, std::span<const float> grads, const LarsOptions& options) {
  DPEVAL_CHECK(params.size() == grads.size()) << params.size() << " vs " << grads.size();
  return local_lr_of(squared_norms(params.data(), grads.data(), params.size()), options);
}

Lars::Lars(size_t param_count, std::span<const size_t> segment_offsets, const LarsOptions& options)
    : Optimizer(param_count, options.momentum > 0.0f ? 1 : 0), options_(options) {
  DPEVAL_CHECK(std::isfinite(options.momentum) && options.momentum >= 0.0f && options.momentum < 1.0f)
      << "momentum " << options.momentum;
  DPEVAL_CHECK(std::isfinite(options.weight_decay) && options.weight_decay >= 0.0f)
      << "weight_decay " << options.weight_decay;
  DPEVAL_CHECK(std::isfinite(options.trust_coefficient) && options.trust_coefficient > 0.0f)
      << "trust_coefficient " << options.trust_coefficient;
  DPEVAL_CHECK(std::isfinite(options.eps) && options.eps >= 0.0f) << "eps " << options.eps;
  if (segment_offsets.empty()) {
    if (param_count > 0) segment_offsets_.push_back(0);
    return;
  }
  DPEVAL_CHECK(segment_offsets.front() == 0) << "the first segment starts at " << segment_offsets.front();
  DPEVAL_CHECK(std::is_sorted(segment_offsets.begin(), segment_offsets.end()) &&
               segment_offsets.back() <= param_count)
      << "segment offsets must be non-decreasing and <= " << param_count;
  // Empty segments change nothing; dropping them keeps the offsets strictly increasing.
  for (size_t offset : segment_offsets) {
    if (offset < param_count && (segment_offsets_.empty() || segment_offsets_.back() != offset)) {
      segment_offsets_.push_back(offset);
    }
  }
}

void Lars::update_range(std::span<float> params, std::span<const float> grads, size_t begin, size_t end,
                        float lr) {
  // begin < end here (step_range returns early on an empty range), so begin < n.
  // Both ends are checked before anything is written.
  const auto first = std::lower_bound(segment_offsets_.begin(), segment_offsets_.end(), begin);
  DPEVAL_CHECK(first != segment_offsets_.end() && *first == begin)
      << "lars: range [" << begin << ", " << end << ") starts inside a parameter tensor; a step_range must "
      << "cover whole segments";
  DPEVAL_CHECK(end == param_count() ||
               std::binary_search(segment_offsets_.begin(), segment_offsets_.end(), end))
      << "lars: range [" << begin << ", " << end << ") ends inside a parameter tensor; a step_range must "
      << "cover whole segments";
  const bool first_step = step_count() == 0;  // See Note [Step count]
  const float momentum = options_.momentum, weight_decay = options_.weight_decay;
  for (auto it = first; it != segment_offsets_.end() && *it < end; ++it) {
    const size_t seg_begin = *it;
    const size_t seg_end = std::next(it) == segment_offsets_.end() ? param_count() : *std::next(it);
    float* p = params.data() + seg_begin;
    const float* g = grads.data() + seg_begin;
    const size_t n = seg_end - seg_begin;
    const float local_lr = local_lr_of(squared_norms(p, g, n), options_);
    if (state_slots() == 0) {
      lars_plain_loop(p, g, n, lr, weight_decay, local_lr);
    } else if (first_step) {
      lars_momentum_loop<true>(p, g, state_slot(0).data() + seg_begin, n, lr, momentum, weight_decay,
                               local_lr);
    } else {
      lars_momentum_loop<false>(p, g, state_slot(0).data() + seg_begin, n, lr, momentum, weight_decay,
                                local_lr);
    }
  }
}

}  // namespace dpeval::optim
