// Kernel micro benches, all on one BLAS thread (as each training worker runs):
//  - sgemm on square N x N x N (N = 1024 by default): the machine's single-core
//    GEMM roof, counter GFLOP/s = 2 N^3 / time.
//  - "MLP ceiling": exactly the GEMMs of one training step of the MLP
//    784-512-256-10 at batch B = 64, with PyTorch's [out, in] weight layout:
//      forward   Y_l = X_l W_l^T          [B, in] x [out, in]^T   3 layers
//      backward  dW_l = dY_l^T X_l        [out, B] x [B, in]      3 layers (K = B)
//                dX_l = dY_l W_l          [B, out] x [out, in]    layers 2 and 3 only
//    Counters: GFLOP/s and samples_per_s_ceiling = B / time per step, the
//    throughput no MLP trainer on this BLAS and core can exceed.
//  - im2col / col2im at the CNN's conv2 geometry (C = 32, 14 x 14, 5 x 5, pad 2)
//    and conv1 (C = 1, 28 x 28, 5 x 5, pad 2), 64 images, fast vs reference,
//    one image per chunk (as nn::Conv2d runs) and the whole batch side by side.
//  - a few elementwise kernels per KernelTable (scalar vs AVX2).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "dpeval/kernels/internal/kernel_table.h"
#include "dpeval/kernels/kernels.h"
#include "dpeval/kernels/reference/reference.h"

namespace dpeval::kernels {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

void BM_sgemm_square(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::vector<float> A = random_floats(static_cast<size_t>(n * n), 1),
                           B = random_floats(static_cast<size_t>(n * n), 2);
  std::vector<float> C(static_cast<size_t>(n * n));
  for (auto _ : state) {
    gemm(Trans::kNo, Trans::kNo, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * static_cast<double>(n * n * n),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_sgemm_square)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

struct MlpLayer {
  int64_t in, out;
  std::vector<float> w, dw, x, y, dx;  // w, dw [out, in]; x, dx [B, in]; y (and dy) [B, out]
};

void BM_mlp_step_gemms(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const int64_t dims[] = {784, 512, 256, 10};
  std::vector<MlpLayer> layers;
  double flops = 0.0;
  for (int l = 0; l < 3; ++l) {
    const int64_t in = dims[l], out = dims[l + 1];
    layers.push_back({in, out, random_floats(static_cast<size_t>(out * in), 10 + l),
                      std::vector<float>(out * in), random_floats(static_cast<size_t>(batch * in), 20 + l),
                      std::vector<float>(batch * out), std::vector<float>(batch * in)});
    flops += 2.0 * 2.0 * static_cast<double>(batch * in * out);       // forward + dW
    if (l > 0) flops += 2.0 * static_cast<double>(batch * in * out);  // dX (not for the input layer)
  }
  for (auto _ : state) {
    for (MlpLayer& L : layers)  // forward: Y = X W^T
      gemm(Trans::kNo, Trans::kYes, batch, L.out, L.in, 1.0f, L.x.data(), L.in, L.w.data(), L.in, 0.0f,
           L.y.data(), L.out);
    for (int l = 2; l >= 0; --l) {  // backward, dY taken as Y (same shape, cost independent of values)
      MlpLayer& L = layers[static_cast<size_t>(l)];
      gemm(Trans::kYes, Trans::kNo, L.out, L.in, batch, 1.0f, L.y.data(), L.out, L.x.data(), L.in, 0.0f,
           L.dw.data(), L.in);
      if (l > 0)
        gemm(Trans::kNo, Trans::kNo, batch, L.in, L.out, 1.0f, L.y.data(), L.out, L.w.data(), L.in, 0.0f,
             L.dx.data(), L.in);
    }
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(1e-9 * flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["samples_per_s_ceiling"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_mlp_step_gemms)->Arg(64)->Unit(benchmark::kMicrosecond)->UseRealTime();

Conv2dGeometry conv_geometry(int64_t channels, int64_t size) {
  Conv2dGeometry g;
  g.channels = channels, g.height = size, g.width = size;
  g.kernel_h = 5, g.kernel_w = 5, g.pad_h = 2, g.pad_w = 2;
  return g;
}

// Lowers (or scatters back) 64 images. Arg 0: 0 fast, 1 reference. Arg 1: images
// per chunk n, laid side by side at ldc = n * OH * OW: n = 1 is what nn::Conv2d
// does at these geometries (columns stay in cache, see Note [Conv lowering] in
// nn/conv2d.h); n = 64 is the whole batch in one 40 MB matrix (memory-bound).
void run_conv_lowering(benchmark::State& state, bool to_image, int64_t channels, int64_t size) {
  const bool use_reference = state.range(0) == 1;
  const int64_t chunk = state.range(1);
  const Conv2dGeometry g = conv_geometry(channels, size);
  const int64_t batch = 64, image = channels * size * size, plane = g.col_cols(), ldc = chunk * plane;
  std::vector<float> images = random_floats(static_cast<size_t>(batch * image), 3);
  std::vector<float> columns = random_floats(static_cast<size_t>(g.col_rows() * ldc), 4);
  for (auto _ : state) {
    for (int64_t b = 0; b < batch; ++b) {
      float* cols = columns.data() + (b % chunk) * plane;
      if (to_image) {
        (use_reference ? reference::col2im : col2im)(g, cols, ldc, images.data() + b * image);
      } else {
        (use_reference ? reference::im2col : im2col)(g, images.data() + b * image, cols, ldc);
      }
    }
    benchmark::ClobberMemory();
  }
  state.SetLabel(use_reference ? "reference" : "fast");
  state.counters["us_per_image"] =
      benchmark::Counter(static_cast<double>(batch) * 1e-6,
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetBytesProcessed(state.iterations() * batch * g.col_rows() * plane *
                          static_cast<int64_t>(sizeof(float)));
}
void BM_im2col(benchmark::State& state, int64_t channels, int64_t size) {
  run_conv_lowering(state, false, channels, size);
}
void BM_col2im(benchmark::State& state, int64_t channels, int64_t size) {
  run_conv_lowering(state, true, channels, size);
}
BENCHMARK_CAPTURE(BM_im2col, conv2, 32, 14)->ArgsProduct({{0, 1}, {1, 64}})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_col2im, conv2, 32, 14)->ArgsProduct({{0, 1}, {1, 64}})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_im2col, conv1, 1, 28)->ArgsProduct({{0, 1}, {1}})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_col2im, conv1, 1, 28)->ArgsProduct({{0, 1}, {1}})->Unit(benchmark::kMicrosecond);

// Arg 0: scalar table, 1: AVX2 table (skipped with an error where the CPU lacks AVX2).
const internal::KernelTable* table_for(benchmark::State& state) {
  const internal::KernelTable* t = state.range(0) == 0 ? &internal::scalar_table() : internal::avx2_table();
  if (t == nullptr)
    state.SkipWithError("no AVX2 on this CPU");
  else
    state.SetLabel(t->name);
  return t;
}

// The Linear epilogue at the MLP's first layer: [64, 512].
void BM_bias_relu_rows(benchmark::State& state) {
  const internal::KernelTable* t = table_for(state);
  if (t == nullptr) return;
  const std::vector<float> bias = random_floats(512, 5);
  std::vector<float> x = random_floats(64 * 512, 6);
  for (auto _ : state) {
    t->bias_relu_rows(64, 512, bias.data(), x.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 64 * 512 * 2 * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_bias_relu_rows)->Arg(0)->Arg(1);

// The conv bias gradient at conv2's output: [64, 64, 14 * 14].
void BM_sum_channels(benchmark::State& state) {
  const internal::KernelTable* t = table_for(state);
  if (t == nullptr) return;
  const std::vector<float> x = random_floats(64 * 64 * 196, 7);
  std::vector<float> out(64);
  for (auto _ : state) {
    t->sum_channels(64, 64, 196, x.data(), out.data(), false);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 64 * 64 * 196 * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_sum_channels)->Arg(0)->Arg(1);

// A batch of Fashion-MNIST pixels: [64, 784] bytes.
void BM_u8_to_float(benchmark::State& state) {
  const internal::KernelTable* t = table_for(state);
  if (t == nullptr) return;
  std::vector<uint8_t> in(64 * 784, 200);
  std::vector<float> out(in.size());
  for (auto _ : state) {
    t->u8_to_float(static_cast<int64_t>(in.size()), in.data(), 1.0f / 255.0f, out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(in.size() * 5));
}
BENCHMARK(BM_u8_to_float)->Arg(0)->Arg(1);

}  // namespace
}  // namespace dpeval::kernels

int main(int argc, char** argv) {
  dpeval::kernels::blas_set_threads(1);  // one BLAS thread per worker, as in training
  benchmark::AddCustomContext("blas", dpeval::kernels::blas_name());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
