// The serving store: every prediction and every feedback label, in SQLite
// (WAL) at DIR/serve.db, so that the monitors can be rebuilt after a restart
// and recomputed offline (`dpeval monitor --store DIR`).
//
//   meta(key, value)            model_sha256, profile_sha256, num_classes,
//                               class_names (JSON), temperature (the latest)
//   predictions(seq, id, time, input_hash, label, probs, raw_probs,
//               temperature, model_sha256)   seq: 1, 2, ... in serving order;
//                               id: the client's (reused ids are allowed:
//                               feedback labels the latest); probs: the served K float32
//                               (little-endian BLOB), raw_probs: before
//                               recalibration; input_hash: xxh3-64 of the row
//   feedback(seq, id, prediction_seq, label, time)   one label per prediction
//   events(seq, time, kind, window, doc)     "drift" (a label-free window's
//                               drift document), "recalibration", "alarm"
//
// Note [Acknowledged means durable]
// Writes go through one writer thread that commits whatever is queued in one
// transaction (group commit), with synchronous=FULL (an fsync of the WAL)
// when it holds labels. append_feedback returns
// only after the transaction holding its labels (and every prediction queued
// before them, so a label's prediction is never missing) has committed: a
// feedback answered 2xx survives kill -9 and power loss. Predictions are
// queued and committed within milliseconds, without an fsync of their own,
// and not waited for: a prediction answered in the last milliseconds before
// kill -9 may be missing after a restart (its feedback is then answered 404),
// and one not yet fsynced may be lost to a power cut. That keeps disk flushes
// off the prediction path.
//
// Thread safety: every member is safe from any thread; reading (read_store)
// opens its own read-only connection and may run beside a live server.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "dpeval/monitor/online.h"

struct sqlite3;

namespace dpeval::serve {

struct StoredPrediction {
  int64_t seq = 0;  // 1-based, in serving order (set by the store)
  std::string id;
  double time = 0;  // seconds since the Unix epoch
  std::string input_hash;
  int32_t label = 0;  // argmax of probs
  std::vector<float> probs, raw;
  double temperature = 1;
};

struct StoredFeedback {
  int64_t seq = 0;
  std::string id;
  int64_t prediction_seq = 0;  // the prediction it labels: the latest one with this id when it arrived
  int32_t label = 0;
  double time = 0;
};

struct StoredEvent {
  double time = 0;
  std::string kind;
  int64_t window = -1;
  nlohmann::json doc;
};

struct StoreIdentity {
  std::string model_sha256;
  std::string profile_sha256;  // "" without a profile
  size_t num_classes = 0;
  std::vector<std::string> class_names;
};

class Store {
 public:
  // Opens or creates DIR/serve.db. Throws IoError naming the file when SQLite
  // cannot open or write it, InputError when it is not a dpeval store or
  // holds another model's predictions (model_sha256 differs: start a new
  // --store for a new model).
  Store(const std::filesystem::path& dir, const StoreIdentity& identity);
  ~Store();  // flush(), then closes
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Queued; seq is assigned in call order (the first returned).
  int64_t append_predictions(std::vector<StoredPrediction> rows);
  // Queues labels (seq assigned in call order) and returns a ticket;
  // wait_committed(ticket) blocks until they have committed (Note
  // [Acknowledged means durable]) and throws IoError when the commit failed.
  // The server queues under its own lock, so that the store's order is the
  // monitors' order, and waits outside it.
  uint64_t enqueue_feedback(std::vector<StoredFeedback> rows);
  void wait_committed(uint64_t ticket);
  void append_feedback(std::vector<StoredFeedback> rows) {
    wait_committed(enqueue_feedback(std::move(rows)));
  }
  void append_event(StoredEvent event);
  void set_meta(const std::string& key, const std::string& value);
  // Blocks until everything queued so far has committed.
  void flush();

  static std::filesystem::path db_path(const std::filesystem::path& dir);

 private:
  struct Batch;
  void run();
  void commit(Batch& batch);

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::unique_ptr<Batch> pending_;
  uint64_t queued_gen_ = 0, committed_gen_ = 0;
  std::string error_;  // the last commit's failure, reported to waiters
  int64_t next_prediction_seq_ = 1, next_feedback_seq_ = 1;
  bool stop_ = false;
  bool urgent_ = false;  // labels or a flush wait: commit now (Note [Commit window])
  std::thread thread_;
};

// Everything in a store, in seq order, for rebuilding monitors (the server at
// start, `dpeval monitor`). Throws IoError / InputError as Store's constructor;
// InputError when there is no store at DIR.
struct StoreContents {
  std::map<std::string, std::string> meta;
  std::vector<StoredPrediction> predictions;
  std::vector<StoredFeedback> feedback;
  std::vector<StoredEvent> events;
};
StoreContents read_store(const std::filesystem::path& dir);

// Feeds a store's contents to `monitor` as the server saw them: predictions
// in seq order (each closed label-free window gets its stored drift
// document), then feedback labels in seq order joined to their predictions.
void replay_store(const StoreContents& contents, monitor::OnlineMonitor& monitor);

// The monitors' reference and options as the server stored them in meta
// ("reference", "online_options"); defaults where absent.
monitor::OnlineReference stored_reference(const StoreContents& contents);
monitor::OnlineOptions stored_online_options(const StoreContents& contents);

}  // namespace dpeval::serve
