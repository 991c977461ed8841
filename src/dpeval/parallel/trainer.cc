// Hosting the ranks of this process: load data and any checkpoint once, make
// the communicators, run each rank's loop (internal/worker.cc) on its own
// thread, and turn a failure of any rank into one error that names it.
//
// Note [Which error wins]
// When one rank fails, its peers fail too (CommError "rank r failed", or a
// TimeoutError naming the rank that stopped talking). The error reported is
// the FIRST one raised in this process, in time: the root cause, e.g. rank 0's
// TimeoutError naming a hung rank 1, or rank 1's own error when it failed
// outright. A rank's own error (not a communication error) is prefixed with
// "rank r: " so the user knows where it happened; its type, and so the exit
// code, is kept.
#include "dpeval/parallel/trainer.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "dpeval/comm/communicator.h"
#include "dpeval/comm/threads_communicator.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/timer.h"
#include "dpeval/data/data.h"
#include "dpeval/kernels/kernels.h"
#include "dpeval/nn/nn.h"
#include "dpeval/optim/optim.h"
#include "dpeval/parallel/internal/worker.h"
#include "dpeval/parallel/run_data.h"
#include "dpeval/parallel/train_checkpoint.h"

namespace dpeval::parallel {
namespace {

// Rethrows `error` with "rank r: " in front of its message, keeping its type.
[[noreturn]] void rethrow_for_rank(std::exception_ptr error, int rank, int world) {
  const std::string prefix = world > 1 ? "rank " + std::to_string(rank) + ": " : "";
  try {
    std::rethrow_exception(error);
  } catch (const CommError&) {
    throw;  // already names the ranks involved
  } catch (const InputError& e) {
    throw InputError(prefix + e.what());
  } catch (const ConfigError& e) {
    throw ConfigError(prefix + e.what());
  } catch (const UsageError& e) {
    throw UsageError(prefix + e.what());
  } catch (const IoError& e) {
    throw IoError(prefix + e.what());
  } catch (const NotSupported& e) {
    throw NotSupported(prefix + e.what());
  } catch (const InternalError& e) {
    throw InternalError(prefix + e.what());
  } catch (const Error& e) {
    throw Error(prefix + e.what());
  }
}

// Moves every MPI rank's trace events to rank 0 (two all-gathers: sizes, then
// the encoded bytes packed into floats, which travel bit-exactly).
std::vector<TraceEvent> gather_trace(comm::Communicator& comm, const std::vector<TraceEvent>& mine,
                                     const comm::CollectiveOptions& options) {
  const size_t world = static_cast<size_t>(comm.world());
  const std::string text = TraceRecorder::encode(mine);
  std::vector<float> sizes(2 * world);
  const uint64_t my_size = text.size();
  std::memcpy(sizes.data() + 2 * static_cast<size_t>(comm.rank()), &my_size, sizeof(my_size));
  comm.allgather(sizes, std::vector<size_t>(world, 2), options).wait();
  std::vector<size_t> counts(world);
  std::vector<uint64_t> bytes(world);
  for (size_t r = 0; r < world; ++r) {
    std::memcpy(&bytes[r], sizes.data() + 2 * r, sizeof(uint64_t));
    counts[r] = (bytes[r] + sizeof(float) - 1) / sizeof(float);
  }
  size_t total = 0, offset = 0;
  for (size_t r = 0; r < world; ++r) total += counts[r];
  for (size_t r = 0; r < static_cast<size_t>(comm.rank()); ++r) offset += counts[r];
  std::vector<float> packed(total);
  if (!text.empty()) std::memcpy(packed.data() + offset, text.data(), text.size());
  comm.allgather(packed, counts, options).wait();
  std::vector<TraceEvent> all;
  offset = 0;
  for (size_t r = 0; r < world; ++r) {
    std::string piece(bytes[r], '\0');
    if (bytes[r] > 0) std::memcpy(piece.data(), packed.data() + offset, bytes[r]);
    offset += counts[r];
    std::vector<TraceEvent> events = TraceRecorder::decode(piece);
    all.insert(all.end(), events.begin(), events.end());
  }
  return all;
}

}  // namespace

UpdatePlan choose_update(const TrainConfig& config, const TrainRunOptions& options,
                         const comm::Communicator& comm) {
  if (config.zero == 1) return {UpdateKind::kZero1};
  const bool splits = options.split_update && comm.capabilities().shared_memory && comm.world() > 1 &&
                      config.optimizer.kind != optim::OptimizerKind::kLars &&
                      config.grad_dtype == GradDType::kFloat32;
  return {splits ? UpdateKind::kSplit : UpdateKind::kReplicated};
}

void check_class_names(const std::vector<std::string>& names, size_t classes, const std::string& data) {
  if (names.size() != classes) {
    throw ConfigError(fmt::format("--class-names: {} names for the {} classes of {}; expected one per class",
                                  names.size(), classes, data));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty() || names[i].size() > kClassNameBytesMax) {
      throw ConfigError(fmt::format("--class-names: name {} is {} bytes; expected 1 to {}", i + 1, names[i].size(),
                                    kClassNameBytesMax));
    }
  }
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

TrainResult train(const TrainConfig& config_in, const TrainRunOptions& options) {
  TrainConfig config = config_in;
  config.validate();
  kernels::blas_set_threads(1);
  if (!(options.comm_timeout_s > 0 && options.comm_timeout_s <= 86400 * 7)) {
    throw ConfigError("--comm-timeout-s: expected a number of seconds in (0, 604800], got " +
                      std::to_string(options.comm_timeout_s));
  }
  if (!(options.bucket_mb >= 0 && options.bucket_mb <= 4096)) {
    throw ConfigError("--bucket-mb: expected a number in [0, 4096] (0: one bucket after backward), got " +
                      std::to_string(options.bucket_mb));
  }

  comm::CommunicatorOptions comm_options;
  comm_options.world = options.backend == comm::Backend::kMpi ? 0 : config.workers;
  // Rounded up: a positive timeout never becomes 0 ms (no wait at all).
  comm_options.timeout = std::chrono::milliseconds(
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(options.comm_timeout_s * 1e3))));
  std::vector<std::unique_ptr<comm::Communicator>> comms =
      comm::make_communicators(options.backend, comm_options);
  const int world = comms.front()->world();
  if (options.workers_from_backend) config.workers = world;
  if (world != config.workers) {
    throw ConfigError("workers: the config asks for " + std::to_string(config.workers) + " workers but the " +
                      std::string(enum_text(options.backend)) + " backend has " + std::to_string(world) +
                      (options.backend == comm::Backend::kMpi
                           ? " ranks (pass --workers equal to mpirun -np, or omit it)"
                           : ""));
  }

  const RunData sets = load_run_data(config);
  if (!options.class_names.empty()) {
    check_class_names(options.class_names, static_cast<size_t>(sets.train.num_classes()), config.data);
  }
  if (sets.train.size() == 0) throw InputError(config.data + ": the training split is empty");

  internal::RunInputs inputs;
  inputs.config = &config;
  inputs.options = &options;
  inputs.train_set = &sets.train;
  inputs.test_set = &sets.test;
  inputs.dataset_hash = sets.train.content_hash();
  inputs.blas = kernels::blas_name();
  inputs.origin = now_seconds();

  // The parameter count, from a Model built only to be measured: it sizes the
  // checkpoint check and the shared buffer of Note [Split update].
  const size_t param_count =
      nn::Model::build(config.model_spec, sets.train.sample_shape(), sets.train.num_classes()).param_count();

  std::optional<TrainState> resume;
  if (options.resume_from) {
    resume = load_train_state(*options.resume_from);
    config.check_resumable_from(resume->config);
    if (resume->sample_shape != sets.train.sample_shape() ||
        resume->num_classes != sets.train.num_classes()) {
      throw InputError(
          options.resume_from->string() + ": checkpoint's model takes samples of shape " +
          resume->sample_shape.to_string() + " in " + std::to_string(resume->num_classes) + " classes, but " +
          config.data + " has samples of shape " + sets.train.sample_shape().to_string() + " in " +
          std::to_string(sets.train.num_classes()) + " classes; resume on the data it was trained on");
    }
    if (resume->dataset_hash != inputs.dataset_hash) {
      throw InputError(options.resume_from->string() +
                       ": checkpoint was trained on different data (dataset hash " +
                       hex64(resume->dataset_hash) + ", now " + hex64(inputs.dataset_hash) + ")");
    }
    const size_t slots = optim::make_optimizer(config.optimizer, 1)->state_slots();
    if (resume->params.size() == param_count && slots > 0 && resume->optimizer_state.empty()) {
      throw InputError(options.resume_from->string() +
                       ": checkpoint holds no optimizer state (it was made by `dpeval import`, see "
                       "docs/EXPORT.md); it predicts and evaluates, but training cannot resume from it with an "
                       "optimizer that keeps state");
    }
    if (resume->params.size() != param_count || resume->optimizer_state.size() != slots * param_count) {
      throw InputError(options.resume_from->string() + ": checkpoint holds " +
                       std::to_string(resume->params.size()) + " parameters, the model has " +
                       std::to_string(param_count));
    }
    inputs.resume = &*resume;
    if (options.progress && comms.front()->rank() == 0) {
      options.progress->on_message("resumed from " + options.resume_from->string() + " after epoch " +
                                   std::to_string(resume->epochs_done));
    }
  }

  // Note [Update plan], chosen here once; with a split update (Note [Split
  // update]) one parameter buffer for every rank of this process.
  inputs.update = choose_update(config, options, *comms.front());
  std::vector<float> shared_params;
  if (inputs.update.shares_params()) {
    shared_params.resize(param_count);
    inputs.shared_params = shared_params;
  }

  // Ranks in other processes send their trace events to rank 0 (Note
  // [Backend capabilities]); ranks of this process hand theirs over directly.
  const bool gathers_trace = !comms.front()->capabilities().shared_memory && world > 1;

  std::atomic<bool> job_failed{false};
  inputs.job_failed = &job_failed;
  const size_t local = comms.size();
  std::vector<internal::WorkerOutput> outputs(local);
  std::vector<std::exception_ptr> errors(local);
  std::vector<int> failure_order(local, -1);
  std::atomic<int> failures{0};
  std::vector<TraceEvent> mpi_trace;

  auto run_rank = [&](size_t i) {
    comm::Communicator& comm = *comms[i];
    try {
      outputs[i] = internal::run_worker(inputs, comm);
      if (options.trace_path && gathers_trace) {
        comm::CollectiveOptions o;
        o.tag = "trace";
        mpi_trace = gather_trace(comm, outputs[i].trace, o);
      }
    } catch (...) {
      errors[i] = std::current_exception();
      failure_order[i] = failures.fetch_add(1);
      std::string what = "unknown error";
      try {
        throw;
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      comm.abort(what);
      job_failed.store(true, std::memory_order_release);
    }
  };
  if (local == 1) {
    run_rank(0);
  } else {
    // Note [Pinning rank threads]
    const std::vector<int> cpus = comm::rank_cpus(static_cast<int>(local));
    std::vector<std::thread> threads;
    threads.reserve(local);
    for (size_t i = 0; i < local; ++i) {
      threads.emplace_back([&, i] {
        if (!cpus.empty()) comm::pin_this_thread(cpus[i]);
        run_rank(i);
      });
    }
    for (std::thread& t : threads) t.join();
  }

  // See Note [Which error wins].
  size_t first = local;
  for (size_t i = 0; i < local; ++i) {
    if (errors[i] && (first == local || failure_order[i] < failure_order[first])) first = i;
  }
  if (first < local) rethrow_for_rank(errors[first], comms[first]->rank(), world);

  TrainResult result = std::move(outputs[0].result);
  if (options.trace_path && result.rank == 0) {
    std::vector<TraceEvent> events;
    if (gathers_trace) {
      events = std::move(mpi_trace);
    } else {
      for (internal::WorkerOutput& o : outputs) events.insert(events.end(), o.trace.begin(), o.trace.end());
    }
    write_chrome_trace(*options.trace_path, events, world);
    result.trace_path = options.trace_path;
  }
  return result;
}

}  // namespace dpeval::parallel
