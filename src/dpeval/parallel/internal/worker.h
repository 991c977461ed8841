// One data-parallel rank's training loop, driven by trainer.cc: one call per
// rank, on the rank's own thread, with the rank's Communicator.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dpeval/comm/communicator.h"
#include "dpeval/data/dataset.h"
#include "dpeval/parallel/trace.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/parallel/trainer.h"

namespace dpeval::parallel::internal {

// What every rank of this process reads (never writes) during the run.
struct RunInputs {
  const TrainConfig* config = nullptr;
  const TrainRunOptions* options = nullptr;
  const data::Dataset* train_set = nullptr;
  const data::Dataset* test_set = nullptr;
  const TrainState* resume = nullptr;  // null: a fresh run
  uint64_t dataset_hash = 0;
  std::string blas;
  double origin = 0;  // now_seconds() at the start, for traces
  // Set by the launcher once any rank of this process has failed; a rank
  // hanging on purpose (FaultInjection::kHang) gives up when it sees it.
  const std::atomic<bool>* job_failed = nullptr;
  UpdatePlan update;  // Note [Update plan] in trainer.h, the same on every rank
  // update.shares_params() (Note [Split update] in trainer.h): the one
  // parameter buffer every rank's Model shares. Empty otherwise.
  std::span<float> shared_params;
};

struct WorkerOutput {
  TrainResult result;
  std::vector<TraceEvent> trace;  // empty unless options->trace_path
};

// Trains this rank to the end. Rank 0 reports progress and writes the
// checkpoint. Throws like train() (trainer.h), plus TimeoutError / CommError
// from collectives.
WorkerOutput run_worker(const RunInputs& inputs, comm::Communicator& comm);

}  // namespace dpeval::parallel::internal
