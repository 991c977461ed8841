// The Optimizer interface: an update rule over the flat parameter buffer.
//
// Layout (see STYLE.md habit 1): a replica's parameters are ONE contiguous
// float32 buffer `params` [n], its gradients a second buffer `grads` [n] with the
// same layout. An optimizer owns its state as `state_slots()` buffers of n floats
// laid end to end in one allocation, [slot 0: n | slot 1: n | ...], so element i
// of every slot belongs to params[i] and a ZeRO-1 shard [begin, end) of the
// parameters is the same slice of every slot. SGD has one slot (momentum buffer,
// none when momentum is 0); AdamW has two (m, then v); LARS as SGD.
//
// Segments: the buffer is the concatenation of the model's parameter tensors
// (nn::ParamInfo offset/length). make_optimizer() can be told where each tensor
// starts; SGD and AdamW are elementwise and ignore it, LARS computes one trust
// ratio per tensor and so needs it (see lars.h).
//
// One optimizer step is any number of step_range() calls over disjoint ranges
// followed by exactly one finish_step(); step() does both for the whole buffer.
// See Note [Step count].
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/enum_text.h"

namespace dpeval::optim {

// Options of every optimizer; each reads the fields that concern it.
// Names and semantics follow torch.optim.SGD (dampening 0) and torch.optim.AdamW
// (amsgrad off), so the same numbers give the same updates (tests hold this);
// LARS follows torchlars / Lightning Bolts (see lars.h).
enum class OptimizerKind { kSgd, kAdamw, kLars };
inline constexpr EnumText<OptimizerKind> kOptimizerKindTexts[] = {
    {OptimizerKind::kSgd, "sgd"}, {OptimizerKind::kAdamw, "adamw"}, {OptimizerKind::kLars, "lars"}};
constexpr const auto& enum_texts(OptimizerKind) { return kOptimizerKindTexts; }

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::kSgd;  // spelled "sgd" | "adamw" | "lars" (the JSON's "name")

  // All. Unset means the optimizer's own default: 0 for SGD (L2 added to the
  // gradient), 0.01 for AdamW (decoupled: p *= 1 - lr*wd), as in PyTorch; 0 for
  // LARS (L2 added to the gradient, and in the trust ratio), as torchlars and
  // Lightning Bolts. See effective_weight_decay().
  std::optional<float> weight_decay;

  // SGD and LARS: momentum in [0, 1). SGD only: nesterov needs momentum > 0.
  float momentum = 0.9f;
  bool nesterov = false;

  // AdamW: beta1, beta2 in [0, 1).
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  // AdamW: eps > 0, in the update's denominator. LARS: eps >= 0, in the trust
  // ratio's denominator (torchlars and Bolts use the same 1e-8).
  float eps = 1e-8f;

  // LARS: the trust coefficient eta > 0 of local_lr = eta * ||w|| / (...).
  float trust_coefficient = 0.001f;
};

// The weight decay `config` trains with: the set value, or the optimizer's default.
float effective_weight_decay(const OptimizerConfig& config);

// Throws ConfigError naming the field ("optimizer.momentum = 1.5: expected a
// number in [0, 1)") for an out-of-range value of a field the optimizer reads; also rejects nesterov with
// adamw or lars (an ignored option).
void validate(const OptimizerConfig& config);

// Note [Step count]
// The step count is the number of completed optimizer steps: finish_step() adds
// one. Update rules that depend on it (AdamW's bias correction, SGD's first-step
// momentum buffer) see the step in progress, step_count() + 1, during every
// step_range() call before finish_step(), so updating a buffer in two halves, or
// one ZeRO-1 shard per rank, gives bitwise the same result as one full update.
// Restoring state() and set_step_count() from a checkpoint therefore resumes
// bitwise identically to never stopping.

// Not thread-safe for concurrent calls on one object, except step_range() over
// disjoint ranges, which touches only the state of its own range.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // "sgd", "adamw" or "lars": the name make_optimizer() was called with.
  virtual std::string_view name() const = 0;

  // n: the length of the params and grads buffers this optimizer updates.
  size_t param_count() const { return param_count_; }
  // Floats of state per parameter (0, 1 or 2).
  size_t state_slots() const { return state_slots_; }

  // Updates params[i] for i in [begin, end) from grads[i] with learning rate lr,
  // as part of step step_count() + 1. params and grads are the FULL buffers
  // (length param_count()), so offsets are the same as in state().
  // Preconditions (DPEVAL_CHECK, InternalError): sizes match, begin <= end <= n,
  // lr finite and >= 0; for LARS, [begin, end) covers whole segments (see
  // lars.h). Does not advance the step count: see finish_step().
  void step_range(std::span<float> params, std::span<const float> grads, size_t begin, size_t end, float lr);

  // Ends the current step: step_count() += 1.
  void finish_step() { ++step_count_; }

  // step_range(params, grads, 0, n, lr) then finish_step().
  void step(std::span<float> params, std::span<const float> grads, float lr);

  // All state: state_slots() * n floats, slot after slot (see the file comment).
  // Together with step_count() this is everything needed to resume exactly.
  std::span<float> state() { return state_; }
  std::span<const float> state() const { return state_; }
  uint64_t step_count() const { return step_count_; }
  void set_step_count(uint64_t count) { step_count_ = count; }

  size_t state_bytes() const { return state_.size() * sizeof(float); }

 protected:
  // Zero-initialised state of state_slots * param_count floats.
  Optimizer(size_t param_count, size_t state_slots);

  // Slot `slot` of the state: n floats.
  std::span<float> state_slot(size_t slot);

 private:
  // The update rule, called by step_range() after its checks.
  virtual void update_range(std::span<float> params, std::span<const float> grads, size_t begin, size_t end,
                            float lr) = 0;

  size_t param_count_;
  size_t state_slots_;
  std::vector<float> state_;
  uint64_t step_count_ = 0;
};

// Validates `config` (ConfigError, see validate()) and returns a fresh optimizer
// for param_count parameters with zero state and step count 0.
//
// segment_offsets: where each parameter tensor starts in the buffer (the
// nn::ParamInfo offsets, in order); segment k is [segment_offsets[k],
// segment_offsets[k + 1]), the last ends at param_count. Empty (the default)
// means one segment, the whole buffer. Preconditions (DPEVAL_CHECK,
// InternalError), checked for every optimizer though only LARS reads them:
// non-empty offsets start at 0, are non-decreasing and <= param_count (an
// empty segment is allowed and changes nothing). They are layout, not
// configuration: they belong in no config hash or checkpoint.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, size_t param_count,
                                          std::span<const size_t> segment_offsets = {});

}  // namespace dpeval::optim
