// The training loop: data → replica forward/backward → optimizer step →
// per-epoch evaluation and checkpoint. This issue runs one worker; the
// data-parallel runtime plugs its Reducer into Model::set_on_grad_ready and its
// Communicator into the sampler's (rank, world) without changing this shape.
//
// Timing definitions match ../shared/peers/fmnist_ddp.py so figures compare:
//   step time     = from just before gathering the batch to just after the
//                   optimizer step returns;
//   samples_per_s = samples / summed step times over all steps of this process
//                   except the first kWarmupStepsExcluded (evaluation excluded).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/parallel/train_config.h"

namespace dpeval::parallel {

inline constexpr int kWarmupStepsExcluded = 20;

struct EpochRecord {
  int epoch = 0;                  // 1-based
  double train_loss = 0;          // mean training loss over the epoch's samples
  double test_loss = 0;
  double test_accuracy = 0;
  std::optional<double> seconds;  // training + evaluation wall time; unknown for epochs restored from a checkpoint
};

// A snapshot for progress displays, sent every few steps.
struct StepProgress {
  int epoch = 0, epochs = 0;      // 1-based current epoch, total
  uint64_t step = 0, steps = 0;   // step within the epoch, steps per epoch
  double samples_per_s = 0;       // recent throughput
  double loss = 0;                // running mean loss this epoch
  double eta_s = 0;               // estimate for the rest of the run
};

// Receives progress; the CLI draws it (live bar on a terminal, plain lines otherwise).
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void on_step(const StepProgress& progress) = 0;
  virtual void on_epoch(const EpochRecord& record, int epochs) = 0;
  virtual void on_message(std::string_view line) = 0;
};

struct TrainRunOptions {
  std::filesystem::path out_dir;                      // checkpoint.dpck is written here after every epoch
  std::optional<std::filesystem::path> resume_from;   // a checkpoint to continue exactly
  ProgressSink* progress = nullptr;                   // may be null
  // Throughput runs only: stop after this many steps of this process (0: no
  // limit). The cut epoch is evaluated but not checkpointed (it is incomplete).
  uint64_t max_steps = 0;
};

struct TrainResult {
  TrainConfig config;
  size_t params = 0;
  std::vector<EpochRecord> epochs;       // all epochs, restored ones included
  double samples_per_s = 0;              // steady state, see the file comment
  uint64_t steady_steps = 0;             // steps counted in samples_per_s
  double step_ms_p50 = 0, step_ms_p90 = 0;
  double train_seconds = 0, eval_seconds = 0;
  int resumed_from_epoch = 0;            // 0 when not resumed
  std::filesystem::path checkpoint_path;
  uint64_t dataset_hash = 0;
  std::string blas;
};

// Runs (or resumes) training. Throws InputError/ConfigError for bad data, spec or
// checkpoint, IoError when the output cannot be written.
TrainResult train(const TrainConfig& config, const TrainRunOptions& options);

// Peak resident set size of this process in MiB (getrusage).
double peak_rss_mb();

}  // namespace dpeval::parallel
