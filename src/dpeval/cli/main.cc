// dpeval's entry point: parse, dispatch to the chosen subcommand, and map
// errors to exit codes. This is the only place that decides an exit code.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <vector>

#include "dpeval/cli/commands.h"
#include "dpeval/comm/mpi_communicator.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/version.h"

namespace {

// Prints the error; under mpirun also ends the whole job, so that no other
// rank is left waiting for this one (a no-op when MPI was never started).
int report(const char* kind, const std::exception& e, int code) {
  fmt::print(stderr, "dpeval: {}: {}\n", kind, e.what());
  std::fflush(stderr);
  dpeval::comm::mpi_abort_job(code);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dpeval;
  using namespace dpeval::cli;
  CLI::App app{"dpeval: data-parallel training and evaluation", "dpeval"};
  app.set_version_flag("--version", std::string("dpeval ") + dpeval::kVersion);
  app.require_subcommand(1);
  app.footer(R"(Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 bad input data or config,
4 a quality gate failed. Run `dpeval <command> --help` for a command's options and examples.)");
  const Command commands[] = {add_train_command(app),    add_predict_command(app),   add_scale_command(app),
                              add_eval_command(app),     add_calibrate_command(app), add_redact_command(app),
                              add_manifest_command(app), add_datasheet_command(app), add_audit_command(app),
                              add_report_command(app),   add_profile_command(app),   add_drift_command(app),
                              add_export_command(app),   add_import_command(app),    add_compare_command(app),
                              add_serve_command(app),    add_monitor_command(app),   add_privacy_command(app),
                              add_robust_command(app),   add_keygen_command(app),    add_sign_command(app),
                              add_verify_command(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  // A command stopped by Ctrl-C or a kill leaves no temporary files behind
  // (Note [Output targets] in core/atomic_file.h).
  remove_temporary_files_on_signals();
  try {
    for (const Command& command : commands) {
      if (command.app->parsed()) return command.run();
    }
    return kExitUsage;
  } catch (const UsageError& e) {
    return report("usage error", e, kExitUsage);
  } catch (const InputError& e) {
    return report("bad input", e, kExitBadInput);
  } catch (const ConfigError& e) {
    return report("bad config", e, kExitBadInput);
  } catch (const Error& e) {
    return report("error", e, kExitRuntime);
  } catch (const std::bad_alloc& e) {
    return report("out of memory", e, kExitRuntime);
  } catch (const std::exception& e) {
    return report("unexpected error", e, kExitRuntime);
  }
}
