// See http_server.h.
#include "dpeval/serve/http_server.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "dpeval/core/error.h"

namespace dpeval::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kHeaderLimit = size_t{64} << 10;
constexpr size_t kReadBuffer = size_t{64} << 10;

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  HttpServerOptions o;
  Handler handler;
  Refusal refusal;
  Logger logger;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  tcp::acceptor acceptor{ioc};
  int bound_port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connections{0};
  std::mutex sessions_mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

  Impl(const HttpServerOptions& options, Handler h, Refusal r, Logger l)
      : o(options),
        handler(std::move(h)),
        refusal(std::move(r)),
        logger(std::move(l)),
        ioc(static_cast<int>(options.threads)) {}
  void accept();
  void close_idle();
};

// One connection, its handlers serialised on a strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpServer::Impl> server, tcp::socket socket, bool over_limit)
      : server_(std::move(server)), stream_(std::move(socket)), over_limit_(over_limit) {
    // Beast reads as much as the buffer has room for, at least 512 bytes:
    // from an empty buffer a 9 KB request took 18 reads, each after a trip
    // through epoll.
    buffer_.reserve(kReadBuffer);
  }
  ~Session() {
    server_->connections.fetch_sub(1);
    std::lock_guard lock(server_->sessions_mu);
    server_->sessions.erase(this);
  }

  void start() {
    {
      std::lock_guard lock(server_->sessions_mu);
      server_->sessions.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // From stop(), on any thread: a connection waiting for a request is closed.
  void stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->state_ == State::kReading || self->state_ == State::kDraining) self->stream_.cancel();
    });
  }

 private:
  enum class State { kReading, kHandling, kWriting, kDraining };

  void read() {
    if (server_->stopping) return close();
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(server_->o.max_body_bytes);
    stream_.expires_after(server_->o.timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec) return read_failed(ec);
    started_ = Clock::now();
    const auto& head = parser_->get();
    if (iequals(view(head[http::field::expect]), "100-continue") && !parser_->is_done()) {
      // curl waits a second for this before it sends a body of over 1 KiB.
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue),
                        [self = shared_from_this()](beast::error_code e, size_t) {
                          if (e) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_read({}, 0);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void read_failed(beast::error_code ec) {
    // The client went away or stayed silent (a closed or idle keep-alive
    // connection, a timeout, a stop): nothing to answer. What is left is the
    // parser's verdict on a malformed or oversized request.
    const bool parse_error = ec.category() == http::make_error_code(http::error::body_limit).category();
    if (!parse_error || ec == http::error::end_of_stream || ec == http::error::partial_message)
      return close();
    request_ = head_of_request();
    started_ = Clock::now();
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return refuse(413,
                    ec == http::error::header_limit ? "request head over 64 KiB" : "body over the limit");
    }
    refuse(400, ec.message());
  }

  // What was read of the request so far.
  HttpRequest head_of_request() {
    HttpRequest r;
    if (!parser_ || !parser_->is_header_done()) return r;
    const auto& h = parser_->get();
    r.method = std::string(view(h.method_string()));
    const std::string_view target = view(h.target());
    r.path = std::string(target.substr(0, target.find('?')));
    r.content_type = std::string(view(h[http::field::content_type]));
    r.authorization = std::string(view(h[http::field::authorization]));
    return r;
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec) return read_failed(ec);
    request_ = head_of_request();
    auto& message = parser_->get();
    request_.body = std::move(message.body());
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    if (over_limit_) return refuse(429, "too many connections");
    state_ = State::kHandling;
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto guard = asio::make_work_guard(server_->ioc);  // run() waits for this answer
    Respond respond = [self = shared_from_this(), answered, guard](HttpResponse r) {
      if (answered->exchange(true)) return;
      asio::post(self->stream_.get_executor(),
                 [self, r = std::move(r)]() mutable { self->write(std::move(r)); });
    };
    HttpRequest request = request_;  // the logger's copy keeps no body
    request_.body.clear();
    server_->handler(std::move(request), std::move(respond));
  }

  void refuse(int status, const std::string& what) {
    HttpResponse r = server_->refusal(status, request_, what);
    r.close = true;
    refusing_ = true;
    write(std::move(r));
  }

  void write(HttpResponse r) {
    state_ = State::kWriting;
    const bool keep = keep_alive_ && !r.close && !refusing_ && !server_->stopping;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res->set(name, value);
    res->keep_alive(keep);
    res->body() = std::move(r.body);
    res->prepare_payload();
    response_ = std::move(r);
    response_.body.clear();
    stream_.expires_after(server_->o.timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep](beast::error_code ec, size_t) {
      if (self->server_->logger) self->server_->logger(self->request_, self->response_, self->started_);
      if (ec) return self->close();
      if (self->refusing_) return self->drain();
      if (!keep) return self->close();
      self->read();
    });
  }

  // After a refusal: read and drop what the client still sends, until it
  // closes or the timeout, so that it reads the refusal instead of a reset.
  void drain() {
    state_ = State::kDraining;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(server_->o.timeout);
    drain_more();
  }
  void drain_more() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->close();
                              self->drain_more();
                            });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  std::shared_ptr<HttpServer::Impl> server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool over_limit_ = false;
  bool refusing_ = false;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  State state_ = State::kReading;
  HttpRequest request_;
  HttpResponse response_;
  Clock::time_point started_ = Clock::now();
  std::array<char, 16384> discard_{};
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc),
                        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                          if (ec == asio::error::operation_aborted || !self->acceptor.is_open())
                            return;  // stop()
                          if (!ec) {
                            beast::error_code ignored;
                            socket.set_option(tcp::no_delay(true), ignored);
                            const bool over = self->connections.fetch_add(1) >= self->o.max_connections;
                            std::make_shared<Session>(self, std::move(socket), over)->start();
                          }
                          // A failed accept (out of descriptors, say) must not end the server.
                          self->accept();
                        });
}

void HttpServer::Impl::close_idle() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mu);
    for (auto& [ptr, weak] : sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->stop();
}

HttpServer::HttpServer(const HttpServerOptions& options, Handler handler, Refusal refusal, Logger logger)
    : impl_(std::make_shared<Impl>(options, std::move(handler), std::move(refusal), std::move(logger))) {
  Impl& s = *impl_;
  const auto fail = [&](const std::string& why) {
    return IoError(options.port == 0 ? fmt::format("--host {}: cannot bind any port: {}", options.host, why)
                                     : fmt::format("--host {} --port {}: cannot bind ({}): in use, or not an "
                                                   "address of this machine",
                                                   options.host, options.port, why));
  };
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) throw fail(fmt::format("not an IP address: {}", ec.message()));
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw fail(ec.message());
  s.bound_port = s.acceptor.local_endpoint().port();
  s.guard.emplace(s.ioc.get_executor());
}

HttpServer::~HttpServer() = default;

int HttpServer::port() const { return impl_->bound_port; }

void HttpServer::run() {
  Impl& s = *impl_;
  s.accept();
  std::vector<std::thread> others;
  for (size_t i = 1; i < s.o.threads; ++i) others.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (std::thread& t : others) t.join();
}

void HttpServer::stop() {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) return;
  asio::post(s.ioc, [self = impl_] {
    beast::error_code ignored;
    self->acceptor.close(ignored);
    self->close_idle();
    self->guard.reset();  // run() returns once the answers in flight are written
  });
}

void HttpServer::post(std::function<void()> work) { asio::post(impl_->ioc, std::move(work)); }

}  // namespace dpeval::serve
