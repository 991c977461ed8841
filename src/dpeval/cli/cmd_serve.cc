// dpeval serve: a checkpoint behind HTTP with micro-batching, a durable store
// and online monitors (serve/server.h, docs/MLOPS.md).
#include <fmt/format.h>
#include <pthread.h>

#include <csignal>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/options.h"
#include "dpeval/core/error.h"
#include "dpeval/govern/signature.h"
#include "dpeval/serve/server.h"

namespace dpeval::cli {
namespace {

struct ServeArgs {
  serve::ServerOptions o;
  std::string checkpoint, profile, store, token_file, on_alarm, require_signature;
  int max_delay_ms = 2;
  int64_t max_batch = 64, threads = 2, max_connections = 256, max_body = int64_t{8} << 20, max_rows = 1000;
  int64_t window = 1000;
};

std::string read_token(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw UsageError(fmt::format("--token-file {}: not a regular file", path));
  }
  if (std::filesystem::file_size(path, ec) > 4096)
    throw InputError(fmt::format("--token-file {}: over 4096 bytes", path));
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty()) throw InputError(fmt::format("--token-file {}: empty; expected the bearer token", path));
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      throw InputError(
          fmt::format("--token-file {}: the token has a space or control byte; expected one line of "
                      "printable ASCII",
                      path));
    }
  }
  return token;
}

int run_serve(ServeArgs& a) {
  CommandFiles files;
  files.input("--checkpoint", a.checkpoint);
  files.input("--profile", a.profile);
  files.input("--token-file", a.token_file);
  files.input("--require-signature", a.require_signature);
  files.output("--store", std::filesystem::path(a.store) / "serve.db");
  files.check();
  // Note [Signed artifacts]: an unsigned or altered checkpoint is never served (exit 3).
  if (!a.require_signature.empty()) govern::verify_file(a.checkpoint, a.require_signature);
  serve::ServerOptions& o = a.o;
  o.checkpoint = a.checkpoint;
  o.profile = a.profile;
  o.store = a.store;
  o.max_batch = static_cast<size_t>(a.max_batch);
  o.max_delay = std::chrono::milliseconds(a.max_delay_ms);
  o.threads = static_cast<size_t>(a.threads);
  o.max_connections = static_cast<size_t>(a.max_connections);
  o.max_body_bytes = static_cast<size_t>(a.max_body);
  o.max_request_rows = static_cast<size_t>(a.max_rows);
  o.online.window = static_cast<size_t>(a.window);
  if (!a.token_file.empty()) o.token = read_token(a.token_file);
  if (!a.on_alarm.empty()) {
    if (!a.on_alarm.starts_with("http://") || a.on_alarm.size() <= 7) {
      throw UsageError(fmt::format("--on-alarm '{}': expected http://host[:port]/path", a.on_alarm));
    }
    o.on_alarm_url = a.on_alarm;
  }
  // Every thread the server starts inherits this mask; one thread waits for
  // the signals and stops the server (Note [Draining] in serve/server.h).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client that hung up is an error on its socket, not a signal
  serve::Server server(o);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (sig == SIGUSR1) return;  // run() ended on its own
    fmt::print(stderr, "dpeval serve: {}: draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server.stop();
  });
  fmt::print(stderr, "dpeval serve: listening on http://{}:{} (model {}, store {})\n", o.host, server.port(),
             a.checkpoint, a.store);
  try {
    server.run();
  } catch (...) {
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    throw;
  }
  if (waiter.joinable()) {
    pthread_kill(waiter.native_handle(), SIGINT);  // no-op when it already returned after a signal
    waiter.join();
  }
  fmt::print(stderr, "dpeval serve: stopped; the store is flushed\n");
  return kExitOk;
}

}  // namespace

Command add_serve_command(CLI::App& root) {
  auto args = std::make_shared<ServeArgs>();
  ServeArgs& a = *args;
  CLI::App* app =
      root.add_subcommand("serve", "Serve a checkpoint over HTTP with micro-batching and online monitors");
  app->footer(R"(Examples:
  dpeval serve --checkpoint runs/mlp/checkpoint.dpck --store serving/
  dpeval serve --checkpoint model.dpck --profile ref.profile.json --store s/ --port 9000 --token-file token.txt

Endpoints: POST /v1/predict, POST /v1/feedback, POST /v1/recalibrate, GET /metrics (Prometheus),
GET /healthz, GET /readyz, GET /v1/monitor. Errors are JSON {"error", "field"} with a 4xx status.
Every prediction and label is stored in --store (SQLite, WAL); a label answered 2xx survives kill -9,
and the monitors are rebuilt from the store on start. SIGTERM drains and flushes, then exits 0.
See docs/MLOPS.md. Exit codes: 0 stopped by a signal, 1 runtime failure (port in use), 2 usage error,
3 bad input (a checkpoint, profile or store that is not one).)");
  app->add_option("--checkpoint", a.checkpoint, "Checkpoint written by dpeval train (or dpeval import)")
      ->required();
  app->add_option(
      "--profile", a.profile,
      "Reference profile (dpeval profile [--checkpoint]): drift per window and the reference accuracy");
  app->add_option("--host", a.o.host, "Address to bind (loopback unless you mean it)")->capture_default_str();
  app->add_option("--port", a.o.port, "Port (0: any free one, printed on start)")
      ->check(integer_in(0, 65535))
      ->capture_default_str();
  app->add_option("--store", a.store, "Directory of the serving store (created if missing)")->required();
  app->add_option("--max-batch", a.max_batch, "Rows per forward pass (1: no micro-batching), 1 to 4096")
      ->check(integer_in(1, 4096))
      ->capture_default_str();
  app->add_option("--max-delay-ms", a.max_delay_ms, "Longest wait for more rows to batch, 0 to 1000 ms")
      ->check(integer_in(0, 1000))
      ->capture_default_str();
  app->add_option(
      "--require-signature", a.require_signature,
      "Ed25519 public key: serve only a checkpoint signed with it (CHECKPOINT.sig; exit 3 if not)");
  app->add_option("--threads", a.threads,
                  "Threads reading, parsing and answering requests (every connection shares them), 1 to 64")
      ->check(integer_in(1, 64))
      ->capture_default_str();
  app->add_option("--max-connections", a.max_connections,
                  "Connections held open at once; one beyond gets 429 and is closed, 1 to 65536")
      ->check(integer_in(1, 65536))
      ->capture_default_str();
  app->add_option("--max-body-bytes", a.max_body, "Largest request body (413 above), 1024 to 1073741824")
      ->check(integer_in(1024, int64_t{1} << 30))
      ->capture_default_str();
  app->add_option("--max-request-rows", a.max_rows,
                  "Rows (instances, labels) per request (413 above), 1 to 100000")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  app->add_option("--window", a.window, "Rows per monitoring window, 1 to 10000000")
      ->check(integer_in(1, 10'000'000))
      ->capture_default_str();
  app->add_option("--alpha", a.o.online.alpha, "Level of the decay and feedback-loop tests, (0, 0.5]")
      ->check(number_in(0, 0.5, true))
      ->capture_default_str();
  app->add_option("--decay-margin", a.o.online.decay_margin,
                  "Decay alarm: accuracy significantly below reference - this, [0, 1)")
      ->check(number_in(0, 1, false, true))
      ->capture_default_str();
  app->add_option("--feedback-loop-margin", a.o.online.loop_margin,
                  "Feedback-loop alarm: agreement significantly above reference + this, [0, 1)")
      ->check(number_in(0, 1, false, true))
      ->capture_default_str();
  app->add_option("--ece-threshold", a.o.online.ece_threshold,
                  "A window's ECE above it advises recalibration, (0, 1]")
      ->check(number_in(0, 1, true))
      ->capture_default_str();
  app->add_option("--drift-share", a.o.online.drift_share,
                  "A window with this share of columns drifted is drift, (0, 1]")
      ->check(number_in(0, 1, true))
      ->capture_default_str();
  app->add_flag("--auto-recalibrate", a.o.auto_recalibrate,
                "Fit and swap in a temperature when a labelled window's ECE is above --ece-threshold");
  app->add_option("--token-file", a.token_file,
                  "File holding a bearer token required on every endpoint but /healthz");
  app->add_option("--on-alarm", a.on_alarm, "http://host:port/path to POST each alarm to (JSON)");
  return {app, [args] { return run_serve(*args); }};
}

}  // namespace dpeval::cli
