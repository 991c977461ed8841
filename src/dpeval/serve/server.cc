// See server.h.
#include "dpeval/serve/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/eval/recalibrate.h"
#include "dpeval/govern/manifest.h"
#include "dpeval/monitor/window_drift.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/run/checkpoint_model.h"
#include "dpeval/serve/batcher.h"
#include "dpeval/serve/http_error.h"
#include "dpeval/serve/http_server.h"
#include "dpeval/serve/prometheus.h"
#include "dpeval/serve/request.h"
#include "dpeval/serve/store.h"

namespace dpeval::serve {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

enum Endpoint {
  kPredict,
  kFeedback,
  kMetrics,
  kHealthz,
  kReadyz,
  kMonitor,
  kRecalibrate,
  kOther,
  kEndpoints
};
constexpr std::array<const char*, kEndpoints> kEndpointNames = {
    "/v1/predict", "/v1/feedback", "/metrics",        "/healthz",
    "/readyz",     "/v1/monitor",  "/v1/recalibrate", "other"};

Endpoint endpoint_of(const std::string& path) {
  for (int e = 0; e < kOther; ++e)
    if (path == kEndpointNames[static_cast<size_t>(e)]) return static_cast<Endpoint>(e);
  return kOther;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256_of(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

// Posts alarms to --on-alarm, one at a time, off the request path; at most
// kMaxPending wait (older ones are dropped with a count).
class AlarmNotifier {
 public:
  explicit AlarmNotifier(const std::string& url) {
    // http://host[:port][/path]
    const std::string rest = url.substr(7);
    const size_t slash = rest.find('/');
    base_ = "http://" + rest.substr(0, slash);
    path_ = slash == std::string::npos ? "/" : rest.substr(slash);
    thread_ = std::thread([this] { run(); });
  }
  ~AlarmNotifier() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(json doc) {
    {
      std::lock_guard lock(mu_);
      if (pending_.size() >= kMaxPending) pending_.pop_front();
      pending_.push_back(doc.dump());
    }
    cv_.notify_all();
  }

 private:
  static constexpr size_t kMaxPending = 100;
  void run() {
    httplib::Client client(base_);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(2, 0);
    client.set_write_timeout(2, 0);
    for (;;) {
      std::string body;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
        if (pending_.empty()) return;
        body = std::move(pending_.front());
        pending_.pop_front();
      }
      const auto r = client.Post(path_, body, "application/json");
      if (!r || r->status >= 300) {
        fmt::print(stderr, "dpeval serve: --on-alarm {}{}: {}\n", base_, path_,
                   r ? fmt::format("answered {}", r->status) : httplib::to_string(r.error()));
      }
    }
  }
  std::string base_, path_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> pending_;
  bool stop_ = false;
  std::thread thread_;
};

std::vector<double> batch_bounds(size_t max_batch) {
  std::vector<double> b;
  for (size_t v = 1; v < max_batch; v *= 2) b.push_back(static_cast<double>(v));
  b.push_back(static_cast<double>(max_batch));
  return b;
}

const std::vector<double> kLatencyBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};

void append_floats(std::string& out, const float* p, size_t k) {
  out.push_back('[');
  for (size_t c = 0; c < k; ++c) {
    if (c) out.push_back(',');
    fmt::format_to(std::back_inserter(out), "{}", p[c]);
  }
  out.push_back(']');
}

}  // namespace

struct PendingPredict;

struct Server::Impl {
  ServerOptions o;
  parallel::TrainState state;
  std::vector<std::string> class_names;
  std::string model_sha256, profile_sha256;
  std::optional<monitor::Profile> profile;
  std::unique_ptr<monitor::WindowDrift> drift;
  std::unique_ptr<Batcher> batcher;
  std::unique_ptr<Store> store;
  std::unique_ptr<AlarmNotifier> notifier;
  size_t f = 0, k = 0;

  // Guarded by mu: the ledger (id -> its prediction), the monitors and the
  // open label-free window's inputs. Store sequence numbers are taken under
  // it too, so the store's order is the monitors' order.
  std::mutex mu;
  // id -> index below of the latest prediction with that id; index = the
  // prediction's store seq - 1.
  std::unordered_map<std::string, uint64_t> ledger;
  std::vector<float> served, raw;
  std::vector<double> temperature;
  std::vector<uint8_t> labelled;
  std::unique_ptr<monitor::OnlineMonitor> monitor;
  std::vector<float> window_features, window_probs;
  size_t window_rows = 0;

  // Metrics (Note [Serving limits] counts rejected connections).
  std::mutex requests_mu;
  std::map<std::pair<int, int>, uint64_t> requests;  // (endpoint, status) -> count
  std::vector<std::unique_ptr<Histogram>> latency;
  std::unique_ptr<Histogram> batch_size;
  std::atomic<int64_t> in_flight{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> predictions_total{0}, feedback_total{0};

  std::unique_ptr<HttpServer> http;
  std::atomic<bool> stopping{false};
  std::atomic<bool> listening{false};
  int bound_port = 0;
  std::string id_prefix;
  std::atomic<uint64_t> next_id{0};
  std::optional<std::array<unsigned char, SHA256_DIGEST_LENGTH>> token_digest;

  explicit Impl(const ServerOptions& options);
  void rebuild_from_store();
  void handle(HttpRequest&& req, Respond respond);
  void predict(HttpRequest&& req, Respond respond);
  std::string finish_predict(PendingPredict& pending);
  // respond(make()), or the JSON error for what make() threw.
  void answer(const Respond& respond, const std::function<HttpResponse()>& make);
  std::string feedback(const HttpRequest& req);
  std::string metrics_text();
  json monitor_document();
  json recalibrate(const char* why);
  void after_window(std::optional<size_t> unlabelled, std::optional<size_t> labelled,
                    std::unique_lock<std::mutex>& lock);
};

Server::Impl::Impl(const ServerOptions& options) : o(options) {
  monitor::check_online_options(o.online);
  state = parallel::load_train_state(o.checkpoint);
  nn::Model model = run::build_checkpoint_model(state, o.checkpoint.string());
  k = static_cast<size_t>(state.num_classes);
  f = static_cast<size_t>(model.sample_shape().numel());
  class_names = state.class_names;
  if (class_names.size() != k) {
    class_names.clear();
    for (size_t c = 0; c < k; ++c) class_names.push_back(std::to_string(c));
  }
  uint64_t size = 0;
  model_sha256 = govern::sha256_file(o.checkpoint, size);
  monitor::OnlineReference reference;
  if (!o.profile.empty()) {
    profile = monitor::read_profile(o.profile);
    profile_sha256 = govern::sha256_file(o.profile, size);
    monitor::WindowDriftInputs inputs;
    inputs.feature_names = state.feature_names;
    inputs.num_features = f;
    inputs.num_classes = k;
    drift = std::make_unique<monitor::WindowDrift>(*profile, inputs);
    if (profile->model && (*profile->model)["accuracy"].is_number()) {
      reference.accuracy = (*profile->model)["accuracy"].get<double>();
      if ((*profile->model)["ece"].is_number()) reference.ece = (*profile->model)["ece"].get<double>();
      reference.source = fmt::format("{} (the model on the profiled data)", o.profile.string());
    }
  }
  if (!reference.accuracy && !state.history.empty()) {
    reference.accuracy = state.history.back().test_accuracy;
    reference.source =
        fmt::format("{} (test accuracy of epoch {})", o.checkpoint.string(), state.history.back().epoch);
  }
  if (!reference.accuracy) reference.source = "none: the decay and feedback-loop tests are off";
  monitor = std::make_unique<monitor::OnlineMonitor>(k, reference, o.online);

  BatcherOptions bo;
  bo.max_batch = o.max_batch;
  bo.max_delay = o.max_delay;
  batch_size = std::make_unique<Histogram>(batch_bounds(o.max_batch));
  bo.on_batch = [this](size_t rows) { batch_size->observe(static_cast<double>(rows)); };
  // Batches run on the HTTP threads (http exists before the first request).
  bo.post = [this](std::function<void()> task) { http->post(std::move(task)); };
  batcher = std::make_unique<Batcher>(std::move(model), bo);
  for (int e = 0; e < kEndpoints; ++e) latency.push_back(std::make_unique<Histogram>(kLatencyBounds));

  StoreIdentity identity{model_sha256, profile_sha256, k, class_names};
  store = std::make_unique<Store>(o.store, identity);
  rebuild_from_store();
  const json doc = monitor->document();
  store->set_meta("reference", doc["reference"].dump());
  store->set_meta("online_options", json{{"window", o.online.window},
                                         {"alpha", o.online.alpha},
                                         {"decay_margin", o.online.decay_margin},
                                         {"feedback_loop_margin", o.online.loop_margin},
                                         {"ece_threshold", o.online.ece_threshold},
                                         {"drift_share_threshold", o.online.drift_share}}
                                        .dump());
  if (!o.on_alarm_url.empty()) notifier = std::make_unique<AlarmNotifier>(o.on_alarm_url);
  if (!o.token.empty()) token_digest = sha256_of(o.token);
  std::random_device rd;
  id_prefix = fmt::format("p{:08x}{:04x}", rd(), static_cast<uint32_t>(getpid()) & 0xffff);
}

void Server::Impl::rebuild_from_store() {
  const StoreContents c = read_store(o.store);
  for (const StoredPrediction& p : c.predictions) {
    ledger.emplace(p.id, temperature.size());
    served.insert(served.end(), p.probs.begin(), p.probs.end());
    raw.insert(raw.end(), p.raw.begin(), p.raw.end());
    temperature.push_back(p.temperature);
    labelled.push_back(0);
  }
  for (const StoredFeedback& fb : c.feedback) labelled[static_cast<size_t>(fb.prediction_seq - 1)] = 1;
  replay_store(c, *monitor);
  if (c.meta.count("temperature")) {
    const double t = std::strtod(c.meta.at("temperature").c_str(), nullptr);
    if (t > 0 && std::isfinite(t)) batcher->set_temperature(t);
  }
  predictions_total = c.predictions.size();
  feedback_total = c.feedback.size();
  if (!c.predictions.empty()) {
    fmt::print(stderr, "dpeval serve: rebuilt the monitors from {}: {} predictions, {} feedback labels\n",
               Store::db_path(o.store).string(), c.predictions.size(), c.feedback.size());
  }
}

// A predict request from parsing to its answer: the rows wait in the
// batcher, and the answer is built back on the HTTP server's threads.
struct PendingPredict {
  PredictRows rows;
  std::vector<std::string> ids;
  std::vector<float> probs_raw, probs_served;
  std::vector<double> temps;
};

void Server::Impl::predict(HttpRequest&& req, Respond respond) {
  batcher->announce_arrival(1);
  auto pending = std::make_shared<PendingPredict>();
  try {
    RequestLimits limits;
    limits.num_features = f;
    limits.max_rows = o.max_request_rows;
    pending->rows = parse_predict_body(req.body, req.content_type, limits);
    pending->ids = pending->rows.ids;
    for (std::string& id : pending->ids) {
      if (id.empty()) id = fmt::format("{}-{}", id_prefix, next_id.fetch_add(1));
    }
  } catch (...) {
    batcher->announce_arrival(-1);
    throw;
  }
  const size_t n = pending->rows.n;
  pending->probs_raw.resize(n * k);
  pending->probs_served.resize(n * k);
  pending->temps.resize(n);
  batcher->submit(pending->rows.values, n, pending->probs_raw, pending->probs_served, pending->temps,
                  [this, pending, respond](bool ok) {
                    // On the batcher's thread: the rest goes back to the HTTP threads.
                    http->post([this, pending, respond, ok] {
                      answer(respond, [&] {
                        if (!ok) {
                          throw Error("inference failed for this request's batch (see the server's log)");
                        }
                        return http_response(200, finish_predict(*pending));
                      });
                    });
                  });
}

std::string Server::Impl::finish_predict(PendingPredict& p) {
  const PredictRows& rows = p.rows;
  const std::vector<std::string>& ids = p.ids;
  const std::vector<float>& probs_raw = p.probs_raw;
  const std::vector<float>& probs_served = p.probs_served;
  const std::vector<double>& temps = p.temps;
  const size_t n = rows.n;
  const double now = unix_now();
  std::vector<StoredPrediction> stored(n);
  std::string out = "{\"predictions\":[";
  for (size_t i = 0; i < n; ++i) {
    const float* p = probs_served.data() + i * k;
    size_t best = 0;
    for (size_t c = 1; c < k; ++c)
      if (p[c] > p[best]) best = c;
    StoredPrediction& s = stored[i];
    s.id = ids[i];
    s.time = now;
    s.input_hash = hex64(hash64(std::as_bytes(std::span(rows.values.data() + i * f, f))));
    s.label = static_cast<int32_t>(best);
    s.probs.assign(p, p + k);
    s.raw.assign(probs_raw.data() + i * k, probs_raw.data() + (i + 1) * k);
    s.temperature = temps[i];
    if (i) out.push_back(',');
    out += "{\"id\":";
    out += json(ids[i]).dump();
    fmt::format_to(std::back_inserter(out), ",\"label\":{},\"class\":{},\"probabilities\":", best,
                   json(class_names[best]).dump());
    append_floats(out, p, k);
    out.push_back('}');
  }
  out += "]}";
  std::unique_lock lock(mu);
  std::optional<size_t> closed;
  const size_t first_index = temperature.size();
  for (size_t i = 0; i < n; ++i) {
    ledger[ids[i]] = temperature.size();  // a reused id now names this prediction
    served.insert(served.end(), stored[i].probs.begin(), stored[i].probs.end());
    raw.insert(raw.end(), stored[i].raw.begin(), stored[i].raw.end());
    temperature.push_back(temps[i]);
    labelled.push_back(0);
    if (drift) {
      window_features.insert(window_features.end(), rows.values.begin() + static_cast<ptrdiff_t>(i * f),
                             rows.values.begin() + static_cast<ptrdiff_t>((i + 1) * f));
      window_probs.insert(window_probs.end(), stored[i].probs.begin(), stored[i].probs.end());
      ++window_rows;
    }
    if (const auto w = monitor->add_prediction(stored[i].probs)) {
      // A window closed: its drift is measured below, after this request's
      // later rows start the next window.
      closed = w;
      if (drift && i + 1 < n) {
        // Rows past the window's end belong to the next one; measure now.
        after_window(closed, std::nullopt, lock);
        closed.reset();
      }
    }
  }
  const int64_t first_seq = store->append_predictions(std::move(stored));
  DPEVAL_CHECK(first_seq == static_cast<int64_t>(first_index) + 1)
      << "store seq " << first_seq << " for prediction index " << first_index;
  predictions_total.fetch_add(n, std::memory_order_relaxed);
  if (closed) after_window(closed, std::nullopt, lock);
  return out;
}

// A window closed (with `lock` held): measure a label-free window's drift,
// recalibrate after a labelled one when asked to, post alarms.
void Server::Impl::after_window(std::optional<size_t> unlabelled, std::optional<size_t> labelled_window,
                                std::unique_lock<std::mutex>& lock) {
  std::vector<json> alarms;
  if (unlabelled && drift) {
    json doc = nullptr;
    if (window_rows >= 2) doc = drift->measure(window_features, window_probs, window_rows);
    window_features.clear();
    window_probs.clear();
    window_rows = 0;
    if (!doc.is_null()) {
      monitor->attach_drift(*unlabelled, doc);
      store->append_event({unix_now(), "drift", static_cast<int64_t>(*unlabelled), doc});
      const monitor::UnlabelledWindow& w = monitor->unlabelled()[*unlabelled];
      if (w.drift_alarm)
        alarms.push_back({{"kind", "drift"}, {"window", w.number}, {"drift_share", *w.drift_share}});
    }
  }
  if (labelled_window) {
    const monitor::LabelledWindow& w = monitor->labelled()[*labelled_window];
    if (w.decay) alarms.push_back({{"kind", "decay"}, {"window", w.number}, {"accuracy", w.accuracy}});
    if (w.feedback_loop)
      alarms.push_back({{"kind", "feedback_loop"}, {"window", w.number}, {"accuracy", w.accuracy}});
    if (w.recalibrate && o.auto_recalibrate && !w.feedback_loop) {
      recalibrate("auto: the window's ECE is above --ece-threshold");
    }
  }
  if (alarms.empty()) return;
  const std::vector<std::string> reasons = monitor->retrain_reasons();
  for (json& a : alarms) {
    a["retrain_recommended"] = !reasons.empty();
    a["retrain_reasons"] = reasons;
    a["model_sha256"] = model_sha256;
    store->append_event({unix_now(), "alarm", a["window"].get<int64_t>(), a});
    fmt::print(stderr, "dpeval serve: alarm {}\n", a.dump());
    if (notifier) notifier->post(a);
  }
  (void)lock;
}

// With mu held. Fits a temperature on the last closed labelled window's raw
// probabilities and swaps it in.
json Server::Impl::recalibrate(const char* why) {
  if (monitor->labelled().empty()) {
    throw HttpError(409, "window",
                    fmt::format("no labelled window has closed yet ({} of {} labels): nothing to fit "
                                "a temperature on",
                                monitor->feedback() % o.online.window, o.online.window));
  }
  if (monitor->labelled().back().feedback_loop) {
    throw HttpError(
        409, "window",
        fmt::format("labelled window {} raised the feedback-loop alarm: its labels look model-generated, "
                    "and a temperature fitted on them would only make the model surer of itself",
                    monitor->labelled().back().number));
  }
  const auto& labels = monitor->last_window_labels();
  const eval::Recalibrator r =
      eval::fit_multiclass(eval::RecalibrationMethod::kTemperature, labels, monitor->last_window_raw(), k,
                           eval::ScoreScale::kProbability);
  const double before = batcher->temperature();
  batcher->set_temperature(r.temperature);
  const monitor::LabelledWindow& w = monitor->labelled().back();
  json doc = {{"window", w.number},
              {"temperature", r.temperature},
              {"temperature_before", before},
              {"ece_window", w.ece ? json(*w.ece) : json(nullptr)},
              {"why", why}};
  store->set_meta("temperature", fmt::format("{}", r.temperature));
  store->append_event({unix_now(), "recalibration", static_cast<int64_t>(w.number), doc});
  fmt::print(stderr, "dpeval serve: recalibrated: temperature {} -> {} ({})\n", before, r.temperature, why);
  return doc;
}

std::string Server::Impl::feedback(const HttpRequest& req) {
  std::vector<FeedbackItem> items = parse_feedback_body(req.body, class_names, o.max_request_rows);
  std::vector<uint64_t> index(items.size());
  std::unique_lock lock(mu);
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& field = items[i].id_field;
    const auto it = ledger.find(items[i].id);
    auto undo = [&] {
      for (size_t j = 0; j < i; ++j) labelled[index[j]] = 0;
    };
    if (it == ledger.end()) {
      undo();
      throw HttpError(404, field, fmt::format("no prediction has id '{}'", items[i].id));
    }
    if (labelled[it->second]) {
      undo();
      throw HttpError(409, field, fmt::format("prediction '{}' already has its label", items[i].id));
    }
    index[i] = it->second;
    labelled[it->second] = 1;
  }
  std::vector<StoredFeedback> rows;
  const double now = unix_now();
  for (size_t i = 0; i < items.size(); ++i) {
    rows.push_back({0, items[i].id, static_cast<int64_t>(index[i]) + 1, items[i].label, now});
  }
  // Queued and counted in store order under mu; the answer waits for the
  // commit outside it. A commit that fails (a full disk) is answered 500 and
  // leaves the labels counted here but not on disk: the server says so on
  // stderr, and a restart rebuilds the monitors from what is on disk.
  const uint64_t ticket = store->enqueue_feedback(std::move(rows));
  for (size_t i = 0; i < items.size(); ++i) {
    const uint64_t j = index[i];
    if (const auto w = monitor->add_feedback({served.data() + j * k, k}, {raw.data() + j * k, k},
                                             temperature[j], items[i].label)) {
      after_window(std::nullopt, w, lock);
    }
  }
  feedback_total.fetch_add(items.size(), std::memory_order_relaxed);
  lock.unlock();
  try {
    store->wait_committed(ticket);
  } catch (const std::exception& e) {
    fmt::print(stderr, "dpeval serve: the store did not commit {} feedback labels: {}\n", items.size(),
               e.what());
    throw;
  }
  return json{{"accepted", items.size()}}.dump();
}

json Server::Impl::monitor_document() {
  std::lock_guard lock(mu);
  json doc = monitor->document();
  doc["schema"] = "dpeval.monitor/1";
  doc["model"] = {{"checkpoint", o.checkpoint.string()},
                  {"sha256", model_sha256},
                  {"temperature", batcher->temperature()}};
  doc["profile"] =
      o.profile.empty() ? json(nullptr) : json{{"path", o.profile.string()}, {"sha256", profile_sha256}};
  doc["store"] = Store::db_path(o.store).string();
  return doc;
}

std::string Server::Impl::metrics_text() {
  std::string out;
  out.reserve(8192);
  append_family(out, "dpeval_http_requests_total", "counter",
                "HTTP requests answered, by endpoint and status code.");
  {
    std::lock_guard lock(requests_mu);
    for (const auto& [key, count] : requests) {
      append_sample(out, "dpeval_http_requests_total",
                    fmt::format("endpoint=\"{}\",code=\"{}\"", kEndpointNames[static_cast<size_t>(key.first)],
                                key.second),
                    static_cast<double>(count));
    }
  }
  append_family(out, "dpeval_http_request_duration_seconds", "histogram",
                "Time from a request's start to its answer, by endpoint.");
  for (int e = 0; e < kEndpoints; ++e) {
    latency[static_cast<size_t>(e)]->append_series(
        out, "dpeval_http_request_duration_seconds",
        fmt::format("endpoint=\"{}\"", kEndpointNames[static_cast<size_t>(e)]));
  }
  append_family(out, "dpeval_batch_size", "histogram", "Rows per forward pass of the model (micro-batches).");
  batch_size->append_series(out, "dpeval_batch_size", "");
  append_family(out, "dpeval_http_in_flight_requests", "gauge", "Requests being handled now.");
  append_sample(out, "dpeval_http_in_flight_requests", "", static_cast<double>(in_flight.load()));
  append_family(out, "dpeval_rejected_connections_total", "counter",
                "Connections answered 429 beyond --max-connections.");
  append_sample(out, "dpeval_rejected_connections_total", "",
                static_cast<double>(rejected_connections.load()));
  const double preds = static_cast<double>(predictions_total.load());
  const double fb = static_cast<double>(feedback_total.load());
  append_family(out, "dpeval_predictions_total", "counter",
                "Rows predicted (stored), since the store began.");
  append_sample(out, "dpeval_predictions_total", "", preds);
  append_family(out, "dpeval_feedback_total", "counter", "Feedback labels joined to a prediction.");
  append_sample(out, "dpeval_feedback_total", "", fb);
  append_family(out, "dpeval_feedback_join_rate", "gauge", "Share of predictions that have their label.");
  append_sample(out, "dpeval_feedback_join_rate", "", preds > 0 ? fb / preds : 0.0);
  append_family(out, "dpeval_temperature", "gauge",
                "Temperature the served probabilities use (1: as trained).");
  append_sample(out, "dpeval_temperature", "", batcher->temperature());
  std::lock_guard lock(mu);
  const auto nan = std::nan("");
  const monitor::LabelledWindow* lw = monitor->labelled().empty() ? nullptr : &monitor->labelled().back();
  const monitor::UnlabelledWindow* uw =
      monitor->unlabelled().empty() ? nullptr : &monitor->unlabelled().back();
  auto gauge = [&](const char* name, const char* help, double v) {
    append_family(out, name, "gauge", help);
    append_sample(out, name, "", v);
  };
  gauge("dpeval_windows_labelled", "Labelled windows closed.",
        static_cast<double>(monitor->labelled().size()));
  gauge("dpeval_windows_unlabelled", "Prediction (label-free) windows closed.",
        static_cast<double>(monitor->unlabelled().size()));
  gauge("dpeval_window_accuracy", "Realised accuracy of the last labelled window.", lw ? lw->accuracy : nan);
  gauge("dpeval_window_log_loss", "Log loss of the last labelled window.", lw ? lw->log_loss : nan);
  gauge("dpeval_window_ece", "ECE (15 bins) of the last labelled window.", lw && lw->ece ? *lw->ece : nan);
  gauge("dpeval_window_estimated_accuracy_labelled",
        "Estimated accuracy (mean top-class probability) of the last labelled window's rows.",
        lw ? lw->estimated_accuracy : nan);
  gauge("dpeval_window_estimated_accuracy",
        "Estimated accuracy (mean top-class probability) of the last prediction window.",
        uw ? uw->estimated_accuracy : nan);
  gauge("dpeval_reference_accuracy", "The model's accuracy on its reference data.",
        monitor->reference().accuracy.value_or(nan));
  gauge("dpeval_window_drift_share", "Share of drifted columns in the last prediction window.",
        uw && uw->drift_share ? *uw->drift_share : nan);
  append_family(out, "dpeval_window_prediction_drift_share", "gauge",
                "Share of drifted prob_<k> columns (prediction drift) in the last prediction window.");
  append_sample(out, "dpeval_window_prediction_drift_share", "",
                uw && uw->prediction_drift_share ? *uw->prediction_drift_share : nan);
  append_family(out, "dpeval_window_feature_drift", "gauge",
                "1 when the column drifted in the last prediction window, else 0.");
  append_family(out, "dpeval_window_feature_drift_statistic", "gauge",
                "The drift statistic of the column in the last prediction window.");
  if (uw && uw->drift.is_object()) {
    std::string drift_flags, statistics;
    auto add = [&](const json& e) {
      if (!e.is_object() || !e.contains("name")) return;
      const std::string labels = fmt::format("column=\"{}\"", label_value(e["name"].get<std::string>()));
      append_sample(drift_flags, "dpeval_window_feature_drift", labels, e.value("drift", false) ? 1.0 : 0.0);
      if (e["statistic"].is_number())
        append_sample(statistics, "dpeval_window_feature_drift_statistic", labels,
                      e["statistic"].get<double>());
    };
    for (const json& e : uw->drift.value("columns", json::array())) add(e);
    for (const json& e : uw->drift.value("predictions", json::array())) add(e);
    // Samples of one family must follow their own HELP/TYPE lines.
    const size_t at = out.rfind("# HELP dpeval_window_feature_drift_statistic");
    out.insert(at, drift_flags);
    out += statistics;
  }
  const std::vector<std::string> reasons = monitor->retrain_reasons();
  gauge("dpeval_retrain_recommended", "1 when the monitors recommend retraining (see dpeval_retrain_reason).",
        reasons.empty() ? 0.0 : 1.0);
  append_family(out, "dpeval_retrain_reason", "gauge", "1 for each reason retraining is recommended now.");
  for (const char* r : {"decay", "drift", "feedback_loop"}) {
    const bool on = std::find(reasons.begin(), reasons.end(), r) != reasons.end();
    append_sample(out, "dpeval_retrain_reason", fmt::format("reason=\"{}\"", r), on ? 1.0 : 0.0);
  }
  gauge("dpeval_decay_alarm", "1 when the last labelled window raised the silent-decay alarm.",
        lw && lw->decay ? 1.0 : 0.0);
  gauge("dpeval_feedback_loop_alarm", "1 when the last labelled window raised the feedback-loop alarm.",
        lw && lw->feedback_loop ? 1.0 : 0.0);
  return out;
}

namespace {

HttpResponse json_error(int status, const std::string& field, const std::string& what) {
  return http_response(status, json{{"error", what}, {"field", field}}.dump());
}

}  // namespace

void Server::Impl::answer(const Respond& respond, const std::function<HttpResponse()>& make) {
  HttpResponse r;
  try {
    r = make();
  } catch (const HttpError& e) {
    r = json_error(e.status(), e.field(), e.what());
  } catch (const Error& e) {
    r = json_error(stopping ? 503 : 500, "server", e.what());
  } catch (const std::exception& e) {
    r = json_error(500, "server", fmt::format("internal error: {}", e.what()));
  }
  respond(std::move(r));
}

// Every request: the token, then its endpoint. Each answer leaves the
// in-flight count; predictions answer later (Note [Micro-batching]).
void Server::Impl::handle(HttpRequest&& req, Respond respond_now) {
  in_flight.fetch_add(1);
  Respond respond = [this, respond_now = std::move(respond_now)](HttpResponse r) {
    in_flight.fetch_sub(1);
    respond_now(std::move(r));
  };
  if (token_digest && req.path != "/healthz") {
    const std::string& auth = req.authorization;
    const std::string given = auth.starts_with("Bearer ") ? auth.substr(7) : std::string();
    const auto d = sha256_of(given);
    if (given.empty() || CRYPTO_memcmp(d.data(), token_digest->data(), d.size()) != 0) {
      HttpResponse r = json_error(
          401, "Authorization",
          given.empty() ? "missing bearer token (Authorization: Bearer <token>)" : "wrong bearer token");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return respond(std::move(r));
    }
  }
  const Endpoint e = endpoint_of(req.path);
  const bool post = e == kPredict || e == kFeedback || e == kRecalibrate;
  if (e == kOther)
    return respond(json_error(404, "path", fmt::format("no endpoint {} {}", req.method, req.path)));
  if (req.method != (post ? "POST" : "GET")) {
    HttpResponse r = json_error(
        405, "method", fmt::format("{} takes {}, not {}", req.path, post ? "POST" : "GET", req.method));
    r.headers.emplace_back("Allow", post ? "POST" : "GET");
    return respond(std::move(r));
  }
  if (e == kPredict) {
    try {
      return predict(std::move(req), respond);
    } catch (...) {
      return answer(respond, []() -> HttpResponse { throw; });
    }
  }
  answer(respond, [&]() -> HttpResponse {
    switch (e) {
      case kFeedback:
        return http_response(200, feedback(req));
      case kRecalibrate: {
        std::lock_guard lock(mu);
        return http_response(200, recalibrate("POST /v1/recalibrate").dump());
      }
      case kMetrics:
        return http_response(200, metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
      case kHealthz:
        return http_response(200, "{\"status\":\"ok\"}");
      case kReadyz: {
        const bool ready = listening && !stopping;
        return http_response(ready ? 200 : 503,
                             json{{"ready", ready}, {"status", ready ? "ready" : "draining"}}.dump());
      }
      case kMonitor:
        return http_response(200, monitor_document().dump());
      default:
        throw Error(fmt::format("no handler for {}", req.path));
    }
  });
}

Server::Server(const ServerOptions& options) : impl_(std::make_unique<Impl>(options)) {
  Impl& s = *impl_;
  HttpServerOptions h;
  h.host = s.o.host;
  h.port = s.o.port;
  h.threads = s.o.threads;
  h.max_connections = s.o.max_connections;
  h.max_body_bytes = s.o.max_body_bytes;
  h.timeout = std::chrono::seconds(5);
  s.http = std::make_unique<HttpServer>(
      h, [&s](HttpRequest&& req, Respond respond) { s.handle(std::move(req), std::move(respond)); },
      [&s](int status, const HttpRequest& req, const std::string& what) {
        if (status == 429) {
          s.rejected_connections.fetch_add(1, std::memory_order_relaxed);
          HttpResponse r = json_error(
              429, "connection",
              fmt::format("too many connections (--max-connections {}); try again", s.o.max_connections));
          r.headers.emplace_back("Retry-After", "1");
          return r;
        }
        if (status == 413) {
          return json_error(413, "body",
                            what.starts_with("body")
                                ? fmt::format("body larger than --max-body-bytes {}", s.o.max_body_bytes)
                                : what);
        }
        (void)req;
        return json_error(status, "request", fmt::format("malformed HTTP request: {}", what));
      },
      [&s](const HttpRequest& req, const HttpResponse& res, Clock::time_point started) {
        const Endpoint e = endpoint_of(req.path);
        {
          std::lock_guard lock(s.requests_mu);
          ++s.requests[{e, res.status}];
        }
        s.latency[static_cast<size_t>(e)]->observe(
            std::chrono::duration<double>(Clock::now() - started).count());
      });
  s.bound_port = s.http->port();
}

Server::~Server() = default;

int Server::port() const { return impl_->bound_port; }

void Server::run() {
  Impl& s = *impl_;
  s.listening = true;
  s.http->run();
  s.listening = false;
  // See Note [Draining]: every request read has been answered.
  s.batcher->stop();
  s.store->flush();
}

void Server::stop() {
  impl_->stopping = true;
  impl_->http->stop();
}

}  // namespace dpeval::serve
