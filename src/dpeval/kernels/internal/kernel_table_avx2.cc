// AVX2 KernelTable: the loops of kernel_table_scalar.cc, 8 floats at a time, over
// [rows, cols] matrices, [channels, plane] blocks and flat arrays. Each function
// is compiled for AVX2 alone (__attribute__((target("avx2"))); the fp16
// conversions for AVX2 + F16C), so the binary runs on any x86-64; avx2_table()
// hands them out only after __builtin_cpu_supports("avx2") and ("f16c"). FMA
// is deliberately not enabled: these loops
// are memory-bound, and without it the results are bitwise those of the scalar
// table. See Note [Bitwise equal across ISAs] in kernel_table.h.
#include "dpeval/kernels/internal/im2col_internal.h"
#include "dpeval/kernels/internal/kernel_table.h"

#if defined(__x86_64__) || defined(__i386__)

#include <cpuid.h>
#include <immintrin.h>

#define DPEVAL_AVX2 __attribute__((target("avx2")))
#define DPEVAL_AVX2_F16C __attribute__((target("avx2,f16c")))

namespace dpeval::kernels::internal {
namespace {

inline float relu_of(float v) { return v < 0.0f ? 0.0f : v; }

// _mm256_max_ps(a, b) is (a > b) ? a : b, so max(0, v) == (v < 0 ? 0 : v) for
// every v, NaN and -0 included.
DPEVAL_AVX2 inline __m256 relu8(__m256 v) { return _mm256_max_ps(_mm256_setzero_ps(), v); }

DPEVAL_AVX2 void bias_add_rows(int64_t rows, int64_t cols, const float* bias, float* x) {
  for (int64_t r = 0; r < rows; ++r, x += cols) {
    int64_t c = 0;
    for (; c + 8 <= cols; c += 8)
      _mm256_storeu_ps(x + c, _mm256_add_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(bias + c)));
    for (; c < cols; ++c) x[c] += bias[c];
  }
}

DPEVAL_AVX2 void bias_relu_rows(int64_t rows, int64_t cols, const float* bias, float* x) {
  for (int64_t r = 0; r < rows; ++r, x += cols) {
    int64_t c = 0;
    for (; c + 8 <= cols; c += 8)
      _mm256_storeu_ps(x + c, relu8(_mm256_add_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(bias + c))));
    for (; c < cols; ++c) x[c] = relu_of(x[c] + bias[c]);
  }
}

DPEVAL_AVX2 void bias_add_channels(int64_t channels, int64_t plane, const float* bias, float* x) {
  for (int64_t c = 0; c < channels; ++c, x += plane) {
    const __m256 b = _mm256_set1_ps(bias[c]);
    int64_t p = 0;
    for (; p + 8 <= plane; p += 8) _mm256_storeu_ps(x + p, _mm256_add_ps(_mm256_loadu_ps(x + p), b));
    for (; p < plane; ++p) x[p] += bias[c];
  }
}

DPEVAL_AVX2 void relu_forward(int64_t n, const float* x, float* y) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, relu8(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = relu_of(x[i]);
}

DPEVAL_AVX2 void relu_backward(int64_t n, const float* y, const float* dy, float* dx) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 live = _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_GT_OQ);
    _mm256_storeu_ps(dx + i, _mm256_and_ps(live, _mm256_loadu_ps(dy + i)));
  }
  for (; i < n; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

// Each column summed down the rows in row order (as the scalar table does);
// 32 columns are kept in registers at a time.
DPEVAL_AVX2 void sum_rows(int64_t rows, int64_t cols, const float* x, float* out, bool accumulate) {
  int64_t c = 0;
  for (; c + 32 <= cols; c += 32) {
    __m256 a0 = accumulate ? _mm256_loadu_ps(out + c) : _mm256_setzero_ps();
    __m256 a1 = accumulate ? _mm256_loadu_ps(out + c + 8) : _mm256_setzero_ps();
    __m256 a2 = accumulate ? _mm256_loadu_ps(out + c + 16) : _mm256_setzero_ps();
    __m256 a3 = accumulate ? _mm256_loadu_ps(out + c + 24) : _mm256_setzero_ps();
    const float* row = x + c;
    for (int64_t r = 0; r < rows; ++r, row += cols) {
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(row));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(row + 8));
      a2 = _mm256_add_ps(a2, _mm256_loadu_ps(row + 16));
      a3 = _mm256_add_ps(a3, _mm256_loadu_ps(row + 24));
    }
    _mm256_storeu_ps(out + c, a0);
    _mm256_storeu_ps(out + c + 8, a1);
    _mm256_storeu_ps(out + c + 16, a2);
    _mm256_storeu_ps(out + c + 24, a3);
  }
  for (; c + 8 <= cols; c += 8) {
    __m256 a = accumulate ? _mm256_loadu_ps(out + c) : _mm256_setzero_ps();
    const float* row = x + c;
    for (int64_t r = 0; r < rows; ++r, row += cols) a = _mm256_add_ps(a, _mm256_loadu_ps(row));
    _mm256_storeu_ps(out + c, a);
  }
  for (; c < cols; ++c) {
    float a = accumulate ? out[c] : 0.0f;
    for (int64_t r = 0; r < rows; ++r) a += x[r * cols + c];
    out[c] = a;
  }
}

// See Note [Striped sums]: lanes l[0..7] -> t[k] = l[k] + l[k+4] -> (t0 + t2) + (t1 + t3) -> tail.
DPEVAL_AVX2 float striped_sum_float(int64_t n, const float* x) {
  __m256 lanes = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) lanes = _mm256_add_ps(lanes, _mm256_loadu_ps(x + i));
  const __m128 t = _mm_add_ps(_mm256_castps256_ps128(lanes), _mm256_extractf128_ps(lanes, 1));
  const __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));         // [t0+t2, t1+t3, ...]
  float s = _mm_cvtss_f32(_mm_add_ss(u, _mm_movehdup_ps(u)));  // (t0+t2) + (t1+t3)
  for (; i < n; ++i) s += x[i];
  return s;
}

DPEVAL_AVX2 void sum_channels(int64_t batch, int64_t channels, int64_t plane, const float* x, float* out,
                              bool accumulate) {
  if (!accumulate)
    for (int64_t c = 0; c < channels; ++c) out[c] = 0.0f;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c, x += plane) out[c] += striped_sum_float(plane, x);
}

DPEVAL_AVX2 void axpy(int64_t n, float alpha, const float* x, float* y) {
  const __m256 a = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(a, _mm256_loadu_ps(x + i))));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

DPEVAL_AVX2 void scale(int64_t n, float alpha, float* x) {
  const __m256 a = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), a));
  for (; i < n; ++i) x[i] *= alpha;
}

// Double lanes 0-3 in lo, 4-7 in hi; combined as in Note [Striped sums].
DPEVAL_AVX2 double sum(int64_t n, const float* x) {
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)));
  }
  const __m256d t = _mm256_add_pd(lo, hi);                                               // t0..t3
  const __m128d u = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));  // [t0+t2, t1+t3]
  double s = _mm_cvtsd_f64(_mm_add_sd(u, _mm_unpackhi_pd(u, u)));
  for (; i < n; ++i) s += static_cast<double>(x[i]);
  return s;
}

DPEVAL_AVX2 void u8_to_float(int64_t n, const uint8_t* in, float scale, float* out) {
  const __m256 s = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + i));
    const __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(s, v));
  }
  for (; i < n; ++i) out[i] = scale * static_cast<float>(in[i]);
}

// See Note [16-bit conversions across ISAs] (kernel_table.h). The n % 8 tails
// run the portable loops.
DPEVAL_AVX2_F16C void fp16_from_float(int64_t n, const float* in, uint16_t* out) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  fp16_from_float_portable(n - i, in + i, out + i);
}

DPEVAL_AVX2_F16C void fp16_to_float(int64_t n, const uint16_t* in, float* out) {
  // vcvtph2ps sets the quiet bit of a signalling NaN; lanes whose exponent is
  // all ones and quiet bit clear (inf, which has no bit to clear, or sNaN) get
  // it cleared again.
  const __m256i exponent_quiet = _mm256_set1_epi32(0x7e00), exponent = _mm256_set1_epi32(0x7c00);
  const __m256i float_quiet = _mm256_set1_epi32(0x00400000);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    const __m256i wide = _mm256_cvtepu16_epi32(h);
    const __m256i signalling = _mm256_cmpeq_epi32(_mm256_and_si256(wide, exponent_quiet), exponent);
    const __m256i x = _mm256_castps_si256(_mm256_cvtph_ps(h));
    const __m256i fixed = _mm256_andnot_si256(_mm256_and_si256(signalling, float_quiet), x);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), fixed);
  }
  fp16_to_float_portable(n - i, in + i, out + i);
}

// float_to_bf16 on 8 lanes: (x + 0x7fff + ((x >> 16) & 1)) >> 16, or
// (x >> 16) | 0x40 for a NaN; the 8 results packed to 16 bits in order.
DPEVAL_AVX2 inline __m128i bf16_of8(__m256i x) {
  const __m256i abs = _mm256_and_si256(x, _mm256_set1_epi32(0x7fffffff));
  const __m256i nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f800000));
  const __m256i high = _mm256_srli_epi32(x, 16);
  const __m256i rounding =
      _mm256_add_epi32(_mm256_set1_epi32(0x7fff), _mm256_and_si256(high, _mm256_set1_epi32(1)));
  const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(x, rounding), 16);
  const __m256i quiet = _mm256_or_si256(high, _mm256_set1_epi32(0x40));
  const __m256i r = _mm256_blendv_epi8(rounded, quiet, nan);  // every lane <= 0xffff
  // packus works per 128-bit half: [r0..r3 r0..r3 | r4..r7 r4..r7]; gather qwords 0 and 2.
  const __m256i packed = _mm256_packus_epi32(r, r);
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08));
}

DPEVAL_AVX2 void bf16_from_float(int64_t n, const float* in, uint16_t* out) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), bf16_of8(x));
  }
  bf16_from_float_portable(n - i, in + i, out + i);
}

constexpr KernelTable kAvx2Table = {
    "avx2",
    bias_add_rows,
    bias_relu_rows,
    bias_add_channels,
    relu_forward,
    relu_backward,
    sum_rows,
    sum_channels,
    axpy,
    scale,
    sum,
    u8_to_float,
    im2col_avx2,
    col2im_avx2,
    fp16_from_float,
    fp16_to_float,
    bf16_from_float,
    bf16_to_float_portable,  // a shift: the baseline SSE2 loop GCC makes is as fast (measured)
};

// clang 14's __builtin_cpu_supports does not know "f16c", so CPUID leaf 1 answers for it.
bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}

}  // namespace

const KernelTable* avx2_table() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && cpu_has_f16c() ? &kAvx2Table : nullptr;
}

}  // namespace dpeval::kernels::internal

#else  // not x86

namespace dpeval::kernels::internal {
const KernelTable* avx2_table() { return nullptr; }
}  // namespace dpeval::kernels::internal

#endif
