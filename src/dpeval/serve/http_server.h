// The HTTP/1.1 server under `dpeval serve`: Boost.Beast's parser and writer
// on Boost.Asio's event loop (Debian libboost-dev), a few threads serving
// every connection. server.cc routes the requests; this file only speaks
// HTTP and keeps the connection limits.
//
// Note [An event loop, not a thread a connection]
// cpp-httplib served each keep-alive connection on a thread of its own: at
// concurrency 64, 64 threads blocked in poll() and woke once for the request
// and once more for its answer. On this virtual machine a thread switch costs
// microseconds, and the CNN server spent 30 % of its time in the kernel,
// mostly switching. Here a handful of threads (--threads, default 2) run one
// Asio io_context: a readable socket is read and parsed by whichever thread
// is free, the handler queues the rows with the batcher and returns, and the
// batcher's thread hands the answers back to the loop (Note [Micro-batching]
// in batcher.h). A handler may answer at once or later, from any thread.
//
// Limits (Note [Serving limits] in server.h): a request head over 64 KiB or
// a body over max_body_bytes is refused (413), a malformed request 400, both
// with Connection: close; a connection beyond max_connections gets 429 to its
// first request and is closed. Each read and write of a request has
// `timeout`, and so has an idle keep-alive connection. After a refusal the
// connection is drained (what the client still sends is read and dropped, up
// to the timeout) before it is closed, so that the client reads the refusal
// instead of a reset.
//
// stop(): the listening socket closes, idle connections close, requests
// already read are answered (each response says Connection: close) and
// run() returns once none is left.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dpeval::serve {

class Session;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target up to any '?'
  std::string body;
  std::string content_type;
  std::string authorization;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type and Content-Length
  bool close = false;                                        // end the connection after this response
};

inline HttpResponse http_response(int status, std::string body,
                                  std::string content_type = "application/json") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

// Answers a request: to be called exactly once, from any thread.
using Respond = std::function<void(HttpResponse)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  size_t threads = 2;
  size_t max_connections = 256;
  size_t max_body_bytes = size_t{8} << 20;
  std::chrono::milliseconds timeout{5000};
};

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest&& request, Respond respond)>;
  // The response to a request the server refuses itself: 400 (malformed,
  // `what` says how), 413 (too large), 429 (over max_connections). `request`
  // holds what was read of it.
  using Refusal =
      std::function<HttpResponse(int status, const HttpRequest& request, const std::string& what)>;
  // After each response is written (or could not be): for metrics.
  using Logger = std::function<void(const HttpRequest& request, const HttpResponse& response,
                                    std::chrono::steady_clock::time_point started)>;

  // Binds the port; throws IoError naming host and port when it cannot.
  HttpServer(const HttpServerOptions& options, Handler handler, Refusal refusal, Logger logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Serves on `threads` threads (the caller's among them) until stop() and
  // the drain are done.
  void run();
  // Thread-safe and idempotent; returns at once (run() returns when drained).
  void stop();
  // Runs `work` on one of the server's threads, soon. Thread-safe.
  void post(std::function<void()> work);

 private:
  friend class Session;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace dpeval::serve
