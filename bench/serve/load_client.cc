// bench/serve/load_client.cc: the closed-loop HTTP/1.1 load client of bench/serve/run.sh.
//
// One thread, epoll, C keep-alive connections to 127.0.0.1:PORT (loopback only, by construction).
// Each connection sends one POST of a body from --bodies (one JSON body a line, taken in turn
// across all connections), waits for the whole response, and sends the next at once: at most C
// requests are in flight. A request counts when its response completes inside the measured window
// [--warmup-s, --warmup-s + --duration-s) after the start; its latency runs from the first byte
// written to the last byte read. p50/p95/p99 are nearest-rank over every counted latency (kept
// exactly, no histogram buckets). Everything is bounded: the run ends at the window's end (or
// after --max-requests counted ones), a request older than --timeout-s is an error and its
// connection is reopened, and more than kErrorsMax errors end the run with exit 1.
//
// Every request gets its own id (Note [Unique ids]).
//
// Prints one JSON object on stdout, with the client's own CPU time over the run as a share of one
// core (client_cpu_share: on a 2-core machine, what the client uses the server cannot). Exits 2 on
// a usage error, 1 when nothing listens on the port or the errors pass kErrorsMax.
//
// Build: c++ -std=c++20 -O2 -o serve_load_client bench/serve/load_client.cc (run.sh does it).
//
// Note [Closed loop]
// A closed loop never has more than C requests waiting, so when the server stalls the client stops
// sending too, and the latencies do not count the requests that would have arrived meanwhile
// (coordinated omission). Both servers are measured the same way at the same C, which is what the
// comparison needs; the figures are not those of an open-loop arrival process at a fixed rate.
//
// Note [Unique ids]
// `dpeval serve` stores every prediction under its id, once (feedback is joined to it later), so a
// bench that sent the same body twice would time a conflict, not a prediction. A body may hold
// kIdMarker (24 '@') inside its id; each request sends it with the marker replaced by 24 hex digits:
// this run's start time in microseconds (12) and the request's sequence number (12), so ids differ
// between requests and between runs against the same server. A body without the marker is sent as
// it is.
//
// Note [Counted responses]
// A response counts as good when its status is 2xx and its body holds "predictions". Anything else
// (another status, a reset, a timeout, a close before the end of the body) is an error: it is not
// in the throughput or the latencies, and the JSON says how many there were of each kind.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kErrorsMax = 1000;
constexpr size_t kHeaderBytesMax = 64 * 1024;
constexpr std::string_view kIdMarker = "@@@@@@@@@@@@@@@@@@@@@@@@";  // See Note [Unique ids]

struct LoadOptions {
  int port = 0;
  std::string path = "/v1/predict";
  std::string bodies_path;
  int connections = 1;
  double duration_s = 5.0;
  double warmup_s = 1.0;
  double timeout_s = 10.0;
  int64_t requests_max = 0;  // 0: no limit
};

struct LoadCounts {
  int64_t good = 0;
  int64_t non_2xx = 0;
  int64_t bad_body = 0;
  int64_t resets = 0;
  int64_t timeouts = 0;
  int64_t reconnects = 0;  // connections the server closed after a whole response (Connection: close)
  int64_t errors() const { return non_2xx + bad_body + resets + timeouts; }
};

// A whole request (head and body) and where its id marker is, if it has one.
struct RequestTemplate {
  std::string bytes;
  size_t marker_at = std::string::npos;
};

enum class ConnState { kConnecting, kSending, kReceiving, kIdle };

struct Connection {
  int fd = -1;
  uint32_t watched = 0;  // the epoll events asked for
  ConnState state = ConnState::kIdle;
  const std::string* request = nullptr;  // the template's bytes, or `out` when the id was filled in
  std::string out;
  size_t sent = 0;
  std::string in;
  Clock::time_point started;
};

[[noreturn]] void fail_usage(const std::string& msg) {
  std::fprintf(stderr, "serve_load_client: %s\n", msg.c_str());
  std::fprintf(stderr,
               "usage: serve_load_client --port P --bodies FILE [--connections C] [--duration-s D] "
               "[--warmup-s W] [--timeout-s T] [--max-requests N] [--path /v1/predict]\n");
  std::exit(2);
}

[[noreturn]] void fail_run(const std::string& msg) {
  std::fprintf(stderr, "serve_load_client: %s\n", msg.c_str());
  std::exit(1);
}

double parse_number(std::string_view flag, const char* text) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !std::isfinite(v) || v < 0) {
    fail_usage(std::string(flag) + ": expected a number >= 0, got '" + text + "'");
  }
  return v;
}

LoadOptions parse_options(int argc, char** argv) {
  LoadOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) fail_usage(std::string(flag) + " needs a value");
    const char* value = argv[++i];
    if (flag == "--port") {
      o.port = static_cast<int>(parse_number(flag, value));
    } else if (flag == "--path") {
      o.path = value;
    } else if (flag == "--bodies") {
      o.bodies_path = value;
    } else if (flag == "--connections") {
      o.connections = static_cast<int>(parse_number(flag, value));
    } else if (flag == "--duration-s") {
      o.duration_s = parse_number(flag, value);
    } else if (flag == "--warmup-s") {
      o.warmup_s = parse_number(flag, value);
    } else if (flag == "--timeout-s") {
      o.timeout_s = parse_number(flag, value);
    } else if (flag == "--max-requests") {
      o.requests_max = static_cast<int64_t>(parse_number(flag, value));
    } else {
      fail_usage("unknown option " + std::string(flag));
    }
  }
  if (o.port < 1 || o.port > 65535) fail_usage("--port: expected 1..65535");
  if (o.bodies_path.empty()) fail_usage("--bodies is required");
  if (o.connections < 1 || o.connections > 4096) fail_usage("--connections: expected 1..4096");
  if (o.duration_s <= 0 || o.duration_s > 3600) fail_usage("--duration-s: expected (0, 3600]");
  if (o.warmup_s > 3600) fail_usage("--warmup-s: expected [0, 3600]");
  if (o.timeout_s <= 0) fail_usage("--timeout-s: expected > 0");
  return o;
}

// Whole requests (head and body), one per line of the bodies file.
std::vector<RequestTemplate> read_requests(const LoadOptions& o) {
  std::ifstream f(o.bodies_path);
  if (!f) fail_usage("--bodies: cannot open " + o.bodies_path);
  std::vector<RequestTemplate> requests;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    RequestTemplate t;
    t.bytes = "POST " + o.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o.port) +
              "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(line.size()) +
              "\r\n\r\n" + line;
    t.marker_at = t.bytes.find(kIdMarker);
    requests.push_back(std::move(t));
  }
  if (requests.empty()) fail_usage("--bodies: " + o.bodies_path + " holds no body");
  return requests;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// One parsed response, or how far the parse got.
struct ParsedResponse {
  enum class Kind { kIncomplete, kComplete, kMalformed } kind = Kind::kIncomplete;
  int status = 0;
  bool keep_alive = true;
  size_t consumed = 0;  // bytes of `in` that the response used
  bool body_has_predictions = false;
};

// Parses the response at the front of `in`. Bodies by Content-Length or chunked; a response with
// neither is read until the server closes (`at_eof`).
ParsedResponse parse_response(std::string_view in, bool at_eof) {
  ParsedResponse r;
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (in.size() > kHeaderBytesMax) r.kind = ParsedResponse::Kind::kMalformed;
    return r;
  }
  std::string_view head = in.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) {
    r.kind = ParsedResponse::Kind::kMalformed;
    return r;
  }
  bool http10 = status_line[7] == '0';
  r.keep_alive = !http10;
  std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status);
  int64_t content_length = -1;
  bool chunked = false;
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string_view::npos) next = head.size();
    std::string_view line = head.substr(pos, next - pos);
    pos = next + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (name.size() == 14 && iequals_prefix(name, "content-length")) {
      content_length = 0;
      std::from_chars(value.data(), value.data() + value.size(), content_length);
    } else if (name.size() == 17 && iequals_prefix(name, "transfer-encoding")) {
      chunked = iequals_prefix(value, "chunked");
    } else if (name.size() == 10 && iequals_prefix(name, "connection")) {
      if (iequals_prefix(value, "close")) r.keep_alive = false;
      if (iequals_prefix(value, "keep-alive")) r.keep_alive = true;
    }
  }
  size_t body_begin = head_end + 4;
  std::string_view body;
  if (chunked) {
    size_t p = body_begin;
    while (true) {
      size_t size_end = in.find("\r\n", p);
      if (size_end == std::string_view::npos) return r;
      size_t chunk = 0;
      auto [ptr, ec] = std::from_chars(in.data() + p, in.data() + size_end, chunk, 16);
      if (ec != std::errc() || ptr == in.data() + p) {
        r.kind = ParsedResponse::Kind::kMalformed;
        return r;
      }
      if (chunk == 0) {
        size_t trailer_end = in.find("\r\n\r\n", size_end);  // no trailers: the empty line at once
        if (trailer_end == std::string_view::npos) return r;
        r.consumed = trailer_end + 4;
        break;
      }
      if (in.size() < size_end + 2 + chunk + 2) return r;
      p = size_end + 2 + chunk + 2;
    }
    body = in.substr(body_begin, r.consumed - body_begin);  // chunk sizes included: only searched
  } else if (content_length >= 0) {
    if (in.size() < body_begin + static_cast<size_t>(content_length)) return r;
    r.consumed = body_begin + static_cast<size_t>(content_length);
    body = in.substr(body_begin, static_cast<size_t>(content_length));
  } else {
    if (!at_eof) return r;
    r.consumed = in.size();
    r.keep_alive = false;
    body = in.substr(body_begin);
  }
  r.body_has_predictions = body.find("\"predictions\"") != std::string_view::npos;
  r.kind = ParsedResponse::Kind::kComplete;
  return r;
}

class LoadRun {
 public:
  LoadRun(const LoadOptions& o, std::vector<RequestTemplate> requests)
      : o_(o), requests_(std::move(requests)), conns_(static_cast<size_t>(o.connections)) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) fail_run(std::string("epoll_create1: ") + std::strerror(errno));
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(static_cast<uint16_t>(o.port));
    addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~LoadRun() {
    for (auto& c : conns_) {
      if (c.fd >= 0) close(c.fd);
    }
    close(epoll_fd_);
  }

  void run() {
    begin_ = Clock::now();
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    id_run_ =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
    window_begin_ = begin_ + to_duration(o_.warmup_s);
    window_end_ = window_begin_ + to_duration(o_.duration_s);
    for (size_t i = 0; i < conns_.size(); ++i) open_connection(i);
    std::vector<epoll_event> events(256);
    Clock::time_point next_timeout_scan = begin_;
    while (!done_) {
      Clock::time_point now = Clock::now();
      if (now >= window_end_) break;
      int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 5);
      if (n < 0 && errno != EINTR) fail_run(std::string("epoll_wait: ") + std::strerror(errno));
      for (int k = 0; k < n && !done_; ++k) on_event(events[k].data.u32, events[k].events);
      now = Clock::now();
      if (now >= next_timeout_scan) {
        scan_timeouts(now);
        next_timeout_scan = now + std::chrono::milliseconds(50);
      }
      if (counts_.errors() > kErrorsMax) {
        fail_run("more than " + std::to_string(kErrorsMax) + " errors (" + describe_errors() + ")");
      }
    }
    Clock::time_point end = Clock::now();
    window_end_ = std::min(window_end_, end);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                   static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
    cpu_share_ = cpu_s / std::chrono::duration<double>(end - begin_).count();
  }

  void print_json() {
    std::vector<int64_t>& l = latencies_ns_;
    std::sort(l.begin(), l.end());
    auto rank_ms = [&](double p) {
      if (l.empty()) return 0.0;
      size_t idx = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(l.size())));
      return static_cast<double>(l[std::clamp<size_t>(idx, 1, l.size()) - 1]) * 1e-6;
    };
    double mean_ms = 0;
    for (int64_t v : l) mean_ms += static_cast<double>(v) * 1e-6;
    if (!l.empty()) mean_ms /= static_cast<double>(l.size());
    double window_s = std::chrono::duration<double>(window_end_ - window_begin_).count();
    std::printf(
        "{\"connections\": %d, \"window_s\": %.3f, \"warmup_s\": %.3f, \"requests\": %lld, "
        "\"throughput_rps\": %.1f, \"latency_ms\": {\"p50\": %.4f, \"p95\": %.4f, \"p99\": %.4f, "
        "\"max\": %.4f, \"mean\": %.4f}, \"errors\": %lld, \"non_2xx\": %lld, \"bad_body\": %lld, "
        "\"resets\": %lld, \"timeouts\": %lld, \"reconnects\": %lld, \"bodies\": %zu, "
        "\"client_cpu_share\": %.3f}\n",
        o_.connections, window_s, o_.warmup_s, static_cast<long long>(counts_.good),
        window_s > 0 ? static_cast<double>(counts_.good) / window_s : 0.0, rank_ms(50), rank_ms(95),
        rank_ms(99), l.empty() ? 0.0 : static_cast<double>(l.back()) * 1e-6, mean_ms,
        static_cast<long long>(counts_.errors()), static_cast<long long>(counts_.non_2xx),
        static_cast<long long>(counts_.bad_body), static_cast<long long>(counts_.resets),
        static_cast<long long>(counts_.timeouts), static_cast<long long>(counts_.reconnects),
        requests_.size(), cpu_share_);
  }

 private:
  static void write_hex(uint64_t v, char* out, int digits) {
    for (int k = digits - 1; k >= 0; --k, v >>= 4) out[k] = "0123456789abcdef"[v & 15];
  }

  static Clock::duration to_duration(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  std::string describe_errors() const {
    return "non-2xx " + std::to_string(counts_.non_2xx) + ", bad body " + std::to_string(counts_.bad_body) +
           ", resets " + std::to_string(counts_.resets) + ", timeouts " + std::to_string(counts_.timeouts);
  }

  // Asks epoll for `events` on connection i; no system call when they are already the ones asked for.
  void watch(size_t i, uint32_t events, int op) {
    Connection& c = conns_[i];
    if (op == EPOLL_CTL_MOD && c.watched == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u32 = static_cast<uint32_t>(i);
    if (epoll_ctl(epoll_fd_, op, c.fd, &ev) != 0) {
      fail_run(std::string("epoll_ctl: ") + std::strerror(errno));
    }
    c.watched = events;
  }

  void open_connection(size_t i) {
    Connection& c = conns_[i];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) fail_run(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.in.clear();
    int rc = connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
    if (rc != 0 && errno != EINPROGRESS) {
      if (errno == ECONNREFUSED && counts_.good == 0) {
        fail_run("nothing listens on 127.0.0.1:" + std::to_string(o_.port));
      }
      ++counts_.resets;
      close(c.fd);
      c.fd = -1;
      c.state = ConnState::kIdle;
      return;
    }
    c.state = ConnState::kConnecting;
    c.started = Clock::now();
    watch(i, EPOLLOUT | EPOLLIN, EPOLL_CTL_ADD);
  }

  void reopen_connection(size_t i) {
    Connection& c = conns_[i];
    if (c.fd >= 0) close(c.fd);  // close() also takes it out of the epoll set
    c.fd = -1;
    if (Clock::now() < window_end_) open_connection(i);
  }

  void send_next(size_t i) {
    Connection& c = conns_[i];
    if (o_.requests_max > 0 && counts_.good >= o_.requests_max) {
      done_ = true;
      return;
    }
    const RequestTemplate& t = requests_[next_request_ % requests_.size()];
    if (t.marker_at == std::string::npos) {
      c.request = &t.bytes;
    } else {
      c.out.assign(t.bytes);
      write_hex(id_run_, c.out.data() + t.marker_at, 12);
      write_hex(next_request_, c.out.data() + t.marker_at + 12, 12);
      c.request = &c.out;
    }
    ++next_request_;
    c.sent = 0;
    c.in.clear();
    c.state = ConnState::kSending;
    c.started = Clock::now();  // after the copy: the latency is the server's and the wire's
    write_some(i);
  }

  void write_some(size_t i) {
    Connection& c = conns_[i];
    while (c.sent < c.request->size()) {
      ssize_t w = send(c.fd, c.request->data() + c.sent, c.request->size() - c.sent, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN) {
          watch(i, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
          return;
        }
        ++counts_.resets;
        reopen_connection(i);
        return;
      }
      c.sent += static_cast<size_t>(w);
    }
    c.state = ConnState::kReceiving;
    watch(i, EPOLLIN, EPOLL_CTL_MOD);
  }

  void on_event(uint32_t i, uint32_t events) {
    Connection& c = conns_[i];
    if (c.fd < 0) return;
    if (c.state == ConnState::kConnecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        if (err == ECONNREFUSED && counts_.good == 0) {
          fail_run("nothing listens on 127.0.0.1:" + std::to_string(o_.port));
        }
        ++counts_.resets;
        reopen_connection(i);
        return;
      }
      send_next(i);
      return;
    }
    if (c.state == ConnState::kSending && (events & EPOLLOUT)) {
      write_some(i);
      if (c.fd < 0 || c.state != ConnState::kReceiving) return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_some(i);
  }

  void read_some(size_t i) {
    Connection& c = conns_[i];
    bool at_eof = false;
    char buf[65536];
    while (true) {
      ssize_t r = read(c.fd, buf, sizeof buf);
      if (r > 0) {
        c.in.append(buf, static_cast<size_t>(r));
        continue;
      }
      if (r == 0) {
        at_eof = true;
      } else if (errno != EAGAIN) {
        ++counts_.resets;
        reopen_connection(i);
        return;
      }
      break;
    }
    if (c.state != ConnState::kReceiving) {
      if (at_eof) reopen_connection(i);  // closed while idle between requests
      return;
    }
    ParsedResponse r = parse_response(c.in, at_eof);
    if (r.kind == ParsedResponse::Kind::kIncomplete) {
      if (at_eof) {
        ++counts_.resets;
        reopen_connection(i);
      }
      return;
    }
    if (r.kind == ParsedResponse::Kind::kMalformed) {
      ++counts_.bad_body;
      reopen_connection(i);
      return;
    }
    finish_request(i, r);
    if (!r.keep_alive || at_eof) {
      ++counts_.reconnects;
      reopen_connection(i);
      return;
    }
    if (Clock::now() < window_end_) send_next(i);
  }

  // See Note [Counted responses].
  void finish_request(size_t i, const ParsedResponse& r) {
    Connection& c = conns_[i];
    Clock::time_point now = Clock::now();
    c.state = ConnState::kIdle;
    bool in_window = now >= window_begin_ && now < window_end_;
    if (r.status < 200 || r.status > 299) {
      ++counts_.non_2xx;
    } else if (!r.body_has_predictions) {
      ++counts_.bad_body;
    } else if (in_window) {
      ++counts_.good;
      latencies_ns_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count());
    }
    c.in.erase(0, r.consumed);
  }

  void scan_timeouts(Clock::time_point now) {
    Clock::duration limit = to_duration(o_.timeout_s);
    for (size_t i = 0; i < conns_.size(); ++i) {
      Connection& c = conns_[i];
      if (c.fd < 0) {
        reopen_connection(i);  // a connect that failed outright: try again, at most every 50 ms
      } else if (c.state != ConnState::kIdle && now - c.started > limit) {
        ++counts_.timeouts;
        reopen_connection(i);
      }
    }
  }

  const LoadOptions& o_;
  std::vector<RequestTemplate> requests_;
  std::vector<Connection> conns_;
  sockaddr_in addr_{};
  int epoll_fd_ = -1;
  uint64_t next_request_ = 0;
  uint64_t id_run_ = 0;
  double cpu_share_ = 0;
  bool done_ = false;
  LoadCounts counts_;
  std::vector<int64_t> latencies_ns_;
  Clock::time_point begin_, window_begin_, window_end_;
};

}  // namespace

int main(int argc, char** argv) {
  LoadOptions o = parse_options(argc, argv);
  LoadRun run(o, read_requests(o));
  run.run();
  run.print_json();
  return 0;
}
