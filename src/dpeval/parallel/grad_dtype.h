// How gradients travel in collectives (--grad-dtype): float32 as computed, or
// rounded to one of the two 16-bit formats of kernels/half.h and summed back
// in float32 (see reducer.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "dpeval/core/enum_text.h"

namespace dpeval::parallel {

enum class GradDType { kFloat32, kFloat16, kBFloat16 };
inline constexpr EnumText<GradDType> kGradDTypeTexts[] = {
    {GradDType::kFloat32, "fp32"}, {GradDType::kFloat16, "fp16"}, {GradDType::kBFloat16, "bf16"}};
constexpr const auto& enum_texts(GradDType) { return kGradDTypeTexts; }

// Bytes of one gradient element on the wire: 4 for fp32, 2 for fp16 and bf16.
constexpr size_t grad_dtype_bytes(GradDType dtype) {
  return dtype == GradDType::kFloat32 ? sizeof(float) : sizeof(uint16_t);
}

}  // namespace dpeval::parallel
