// The subcommands of the dpeval tool, one file each (cmd_<verb>.cc). Each
// add_<verb>_command registers its options on the root app and returns the
// function main() runs when that subcommand was chosen. Commands throw typed
// dpeval errors; only main.cc maps them to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace dpeval::cli {

// Exit codes, documented in README and `dpeval --help`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBadInput = 3;
inline constexpr int kExitGateFailed = 4;

// A registered subcommand and what runs when it is chosen.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_train_command(CLI::App& root);
Command add_predict_command(CLI::App& root);
Command add_scale_command(CLI::App& root);
Command add_eval_command(CLI::App& root);
Command add_calibrate_command(CLI::App& root);
Command add_redact_command(CLI::App& root);
Command add_manifest_command(CLI::App& root);
Command add_datasheet_command(CLI::App& root);
Command add_audit_command(CLI::App& root);
Command add_report_command(CLI::App& root);
Command add_profile_command(CLI::App& root);
Command add_drift_command(CLI::App& root);
Command add_export_command(CLI::App& root);
Command add_import_command(CLI::App& root);
Command add_compare_command(CLI::App& root);
Command add_serve_command(CLI::App& root);
Command add_monitor_command(CLI::App& root);
Command add_privacy_command(CLI::App& root);
Command add_robust_command(CLI::App& root);
Command add_keygen_command(CLI::App& root);
Command add_sign_command(CLI::App& root);
Command add_verify_command(CLI::App& root);

}  // namespace dpeval::cli
