// nn: samples/s of one full training step (forward, softmax cross-entropy,
// backward, plain SGD update) for the peer's models at batch 64 on one BLAS
// thread, and of forward-only evaluation at batch 1000. The PyTorch 1.13 peer
// (fmnist_ddp.py --no-ddp --threads 1) does ~7,400 (mlp) and ~400 (cnn)
// samples/s per training step on the reference machine.
//   build/<dir>/bench/nn_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "dpeval/kernels/kernels.h"
#include "dpeval/nn/conv2d.h"
#include "dpeval/nn/loss.h"
#include "dpeval/nn/model.h"

namespace {

using dpeval::Shape;
using dpeval::Tensor;
using namespace dpeval::nn;

struct Fixture {
  Model model;
  Tensor x;
  std::vector<int32_t> labels;

  Fixture(const char* preset, int64_t batch)
      : model(Model::build(model_spec_preset(preset), Shape{1, 28, 28}, 10)), x(Shape{batch, 1, 28, 28}) {
    model.init_params(0);
    std::mt19937 gen(1);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    for (float& v : x.span()) v = pixel(gen);
    for (int64_t i = 0; i < batch; ++i) labels.push_back(static_cast<int32_t>(gen() % 10));
  }
};

// winograd = false: every Conv2d lowered (im2col + GEMM), to show what
// Note [Winograd F(2x2, 5x5)] buys.
void BM_TrainStep(benchmark::State& state, const char* preset, bool winograd = true) {
  const int64_t batch = state.range(0);
  Fixture f(preset, batch);
  for (size_t i = 0; i < f.model.layer_count(); ++i) {
    if (auto* conv = dynamic_cast<Conv2d*>(&f.model.layer(i))) conv->set_winograd(winograd);
  }
  Tensor dlogits;
  const float lr = 0.01f;
  uint64_t step = 0;
  for (auto _ : state) {
    const Tensor& logits = f.model.forward(f.x, {.training = true, .rng_key = step++});
    const float loss = softmax_cross_entropy(logits, f.labels, &dlogits);
    f.model.backward(dlogits);
    dpeval::kernels::axpy(-lr, f.model.grads(), f.model.params());
    benchmark::DoNotOptimize(loss);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Eval(benchmark::State& state, const char* preset) {
  const int64_t batch = state.range(0);
  Fixture f(preset, batch);
  for (auto _ : state) {
    const Tensor& logits = f.model.forward(f.x, {.training = false});
    benchmark::DoNotOptimize(logits.data());
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK_CAPTURE(BM_TrainStep, mlp, "mlp")->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, cnn, "cnn")->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, cnn_lowered, "cnn", false)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Eval, mlp, "mlp")->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Eval, cnn, "cnn")->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  dpeval::kernels::blas_set_threads(1);  // one BLAS thread per worker, as in training
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("blas", dpeval::kernels::blas_name());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
