// `dpeval serve`: a trained checkpoint behind HTTP (http_server.h), with
// micro-batched predictions (batcher.h), a durable store (store.h) and the
// online monitors (monitor/online.h) live in /metrics and /v1/monitor.
// Endpoints and their answers are in docs/MLOPS.md; every error is a JSON
// object {"error", "field"} with a 4xx (the request) or 5xx (the server)
// status, and no request can stop the server.
//
// Note [Serving limits]
// Each is an option with a bound: the body (--max-body-bytes; 413), rows per
// request (--max-request-rows; 413), rows per forward pass (--max-batch),
// connections (--max-connections: the first request of one beyond them is
// answered 429 and the connection closed), slow clients (5 s read and write
// timeouts), idle keep-alive connections (5 s). A token (--token-file) is
// compared in constant time (SHA-256 of both sides, CRYPTO_memcmp) on every
// endpoint but /healthz; a wrong or missing one is 401.
//
// Note [Draining]
// stop() (SIGTERM, SIGINT in the command) closes the listening socket; the
// requests already read are answered, their predictions and feedback stored;
// then the batcher and the store finish what they hold and the store is
// flushed before run() returns. /readyz says 503 from the moment stop() is
// called.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "dpeval/monitor/online.h"

namespace dpeval::serve {

struct ServerOptions {
  std::filesystem::path checkpoint;
  std::filesystem::path profile;  // empty: no drift monitors; reference accuracy from the checkpoint
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (port() says which)
  std::filesystem::path store;
  size_t max_batch = 64;
  std::chrono::microseconds max_delay{2000};
  size_t threads = 2;            // HTTP threads, shared by every connection (http_server.h)
  size_t max_connections = 256;  // connections held open at once
  size_t max_body_bytes = size_t{8} << 20;
  size_t max_request_rows = 1000;
  std::string token;  // empty: no auth
  monitor::OnlineOptions online;
  bool auto_recalibrate = false;
  std::string on_alarm_url;  // http://host:port/path; empty: none
};

class Server {
 public:
  // Loads the checkpoint and profile, opens the store and rebuilds the
  // monitors from it, binds the port. Throws InputError / ConfigError /
  // IoError naming the file or option.
  explicit Server(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  // Serves until stop(); then drains (Note [Draining]). Returns normally
  // after a stop, throws IoError when the server could not listen.
  void run();
  // Safe from any thread and from a signal-waiting thread; idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpeval::serve
