// See store.h.
#include "dpeval/serve/store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval::serve {

struct Store::Batch {
  std::vector<StoredPrediction> predictions;
  std::vector<StoredFeedback> feedback;
  std::vector<StoredEvent> events;
  std::vector<std::pair<std::string, std::string>> meta;
  bool empty() const { return predictions.empty() && feedback.empty() && events.empty() && meta.empty(); }
};

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS predictions(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, time REAL NOT NULL,
  input_hash TEXT NOT NULL, label INTEGER NOT NULL, probs BLOB NOT NULL, raw_probs BLOB NOT NULL,
  temperature REAL NOT NULL, model_sha256 TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS predictions_id ON predictions(id);
CREATE TABLE IF NOT EXISTS feedback(seq INTEGER PRIMARY KEY, id TEXT NOT NULL,
  prediction_seq INTEGER NOT NULL UNIQUE REFERENCES predictions(seq), label INTEGER NOT NULL, time REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, time REAL NOT NULL, kind TEXT NOT NULL,
  window INTEGER NOT NULL, doc TEXT NOT NULL);
)";

[[noreturn]] void fail(sqlite3* db, const std::filesystem::path& path, const std::string& what) {
  throw IoError(fmt::format("{}: {}: {}", path.string(), what, db ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const std::filesystem::path& path, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, path, sql);
}

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::filesystem::path& path, const char* sql) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) fail(db, path, sql);
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& integer(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Statement& real(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Statement& floats(int i, const std::vector<float>& v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size() * sizeof(float)), SQLITE_TRANSIENT);
    return *this;
  }
  void run() {
    if (sqlite3_step(s_) != SQLITE_DONE) fail(db_, path_, "write");
    sqlite3_reset(s_);
  }
  bool next() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail(db_, path_, "read");
    return false;
  }
  std::string column_text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, i))) : std::string();
  }
  int64_t column_int(int i) const { return sqlite3_column_int64(s_, i); }
  double column_real(int i) const { return sqlite3_column_double(s_, i); }
  std::vector<float> column_floats(int i, size_t expected, const char* what) const {
    const size_t bytes = static_cast<size_t>(sqlite3_column_bytes(s_, i));
    if (bytes != expected * sizeof(float)) {
      throw InputError(fmt::format("{}: a stored {} of {} bytes; expected {} float32", path_.string(), what,
                                   bytes, expected));
    }
    std::vector<float> out(expected);
    if (bytes) std::memcpy(out.data(), sqlite3_column_blob(s_, i), bytes);
    return out;
  }

 private:
  sqlite3* db_;
  std::filesystem::path path_;
  sqlite3_stmt* s_ = nullptr;
};

sqlite3* open_db(const std::filesystem::path& path, int flags) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw IoError(fmt::format("{}: cannot open the serving store: {}", path.string(), why));
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

std::map<std::string, std::string> read_meta(sqlite3* db, const std::filesystem::path& path) {
  std::map<std::string, std::string> meta;
  Statement s(db, path, "SELECT key, value FROM meta");
  while (s.next()) meta[s.column_text(0)] = s.column_text(1);
  return meta;
}

}  // namespace

// Note [Commit window]
// Predictions are committed in groups: the writer, woken by the first, waits
// up to kCommitWindow (or kCommitRowsMax rows) for more before it commits.
// Labels and flush() end the window at once: they are waited for.
constexpr auto kCommitWindow = std::chrono::milliseconds(2);
constexpr size_t kCommitRowsMax = 1024;

std::filesystem::path Store::db_path(const std::filesystem::path& dir) { return dir / "serve.db"; }

Store::Store(const std::filesystem::path& dir, const StoreIdentity& identity)
    : path_(db_path(dir)), pending_(std::make_unique<Batch>()) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir)) {
    throw IoError(fmt::format("--store {}: not a directory and cannot be made one", dir.string()));
  }
  if (std::filesystem::exists(path_) && !std::filesystem::is_regular_file(path_)) {
    throw InputError(fmt::format("{}: not a regular file", path_.string()));
  }
  db_ = open_db(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  try {
    if (sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw InputError(fmt::format("{}: not an SQLite database (a dpeval serving store): {}", path_.string(),
                                   sqlite3_errmsg(db_)));
    }
    exec(db_, path_, "PRAGMA synchronous=FULL");
    exec(db_, path_, kSchema);
    std::map<std::string, std::string> meta = read_meta(db_, path_);
    if (meta.count("model_sha256") && meta["model_sha256"] != identity.model_sha256) {
      throw InputError(fmt::format(
          "{}: holds the predictions of another model (sha256 {}, this checkpoint's is "
          "{}): serve a new model with a new --store",
          path_.string(), meta["model_sha256"].substr(0, 12), identity.model_sha256.substr(0, 12)));
    }
    Statement put(db_, path_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
    put.text(1, "model_sha256").text(2, identity.model_sha256).run();
    put.text(1, "profile_sha256").text(2, identity.profile_sha256).run();
    put.text(1, "num_classes").text(2, std::to_string(identity.num_classes)).run();
    put.text(1, "class_names").text(2, nlohmann::json(identity.class_names).dump()).run();
    Statement last(
        db_, path_,
        "SELECT (SELECT IFNULL(MAX(seq), 0) FROM predictions), (SELECT IFNULL(MAX(seq), 0) FROM feedback)");
    if (last.next()) {
      next_prediction_seq_ = last.column_int(0) + 1;
      next_feedback_seq_ = last.column_int(1) + 1;
    }
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
  thread_ = std::thread([this] { run(); });
}

Store::~Store() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  sqlite3_close(db_);
}

int64_t Store::append_predictions(std::vector<StoredPrediction> rows) {
  std::lock_guard lock(mu_);
  const int64_t first = next_prediction_seq_;
  const bool was_empty = pending_->empty();
  for (StoredPrediction& r : rows) {
    r.seq = next_prediction_seq_++;
    pending_->predictions.push_back(std::move(r));
  }
  ++queued_gen_;
  // The writer needs waking only to start a commit window or to end one early.
  if (was_empty || pending_->predictions.size() >= kCommitRowsMax) work_cv_.notify_one();
  return first;
}

void Store::append_event(StoredEvent event) {
  std::lock_guard lock(mu_);
  pending_->events.push_back(std::move(event));
  ++queued_gen_;
  work_cv_.notify_one();
}

void Store::set_meta(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  pending_->meta.emplace_back(key, value);
  ++queued_gen_;
  work_cv_.notify_one();
}

uint64_t Store::enqueue_feedback(std::vector<StoredFeedback> rows) {
  std::lock_guard lock(mu_);
  for (StoredFeedback& r : rows) {
    r.seq = next_feedback_seq_++;
    pending_->feedback.push_back(std::move(r));
  }
  urgent_ = true;
  work_cv_.notify_one();
  return ++queued_gen_;
}

void Store::wait_committed(uint64_t mine) {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return committed_gen_ >= mine || stop_; });
  if (!error_.empty()) throw IoError(error_);
  if (committed_gen_ < mine)
    throw IoError(fmt::format("{}: the store closed before the write committed", path_.string()));
}

void Store::flush() {
  std::unique_lock lock(mu_);
  const uint64_t mine = queued_gen_;
  urgent_ = true;
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return committed_gen_ >= mine; });
  if (!error_.empty()) throw IoError(error_);
}

void Store::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || urgent_ || !pending_->empty(); });
    // Note [Commit window]: predictions wait up to kCommitWindow for company,
    // so that a steady stream costs one commit (and one wake-up) per window,
    // not per request; labels and flushes are committed at once.
    if (!urgent_ && !stop_) {
      work_cv_.wait_until(lock, std::chrono::steady_clock::now() + kCommitWindow,
                          [&] { return stop_ || urgent_ || pending_->predictions.size() >= kCommitRowsMax; });
    }
    urgent_ = false;
    if (pending_->empty()) {
      committed_gen_ = queued_gen_;
      done_cv_.notify_all();
      if (stop_) return;
      continue;
    }
    std::unique_ptr<Batch> batch = std::exchange(pending_, std::make_unique<Batch>());
    const uint64_t gen = queued_gen_;
    lock.unlock();
    std::string error;
    try {
      commit(*batch);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (!error.empty()) error_ = error;
    committed_gen_ = gen;
    done_cv_.notify_all();
  }
}

void Store::commit(Batch& b) {
  // See Note [Acknowledged means durable]: a transaction holding labels is
  // fsynced before the waiters hear of it; predictions alone are committed
  // to the WAL without an fsync (they survive the process being killed, as
  // everything written to the kernel does, but not a power cut).
  exec(db_, path_, b.feedback.empty() ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
  exec(db_, path_, "BEGIN IMMEDIATE");
  try {
    if (!b.predictions.empty()) {
      Statement s(db_, path_,
                  "INSERT INTO predictions(seq, id, time, input_hash, label, probs, raw_probs, temperature, "
                  "model_sha256) VALUES(?, ?, ?, ?, ?, ?, ?, ?, (SELECT value FROM meta WHERE key = "
                  "'model_sha256'))");
      for (const StoredPrediction& p : b.predictions) {
        s.integer(1, p.seq).text(2, p.id).real(3, p.time).text(4, p.input_hash).integer(5, p.label);
        s.floats(6, p.probs).floats(7, p.raw).real(8, p.temperature).run();
      }
    }
    if (!b.feedback.empty()) {
      Statement s(db_, path_,
                  "INSERT INTO feedback(seq, id, prediction_seq, label, time) VALUES(?, ?, ?, ?, ?)");
      for (const StoredFeedback& f : b.feedback) {
        s.integer(1, f.seq)
            .text(2, f.id)
            .integer(3, f.prediction_seq)
            .integer(4, f.label)
            .real(5, f.time)
            .run();
      }
    }
    if (!b.events.empty()) {
      Statement s(db_, path_, "INSERT INTO events(time, kind, window, doc) VALUES(?, ?, ?, ?)");
      for (const StoredEvent& e : b.events)
        s.real(1, e.time).text(2, e.kind).integer(3, e.window).text(4, e.doc.dump()).run();
    }
    if (!b.meta.empty()) {
      Statement s(db_, path_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
      for (const auto& [k, v] : b.meta) s.text(1, k).text(2, v).run();
    }
    exec(db_, path_, "COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

StoreContents read_store(const std::filesystem::path& dir) {
  const std::filesystem::path path = Store::db_path(dir);
  if (!std::filesystem::is_regular_file(path)) {
    throw InputError(fmt::format("--store {}: no serving store there (expected {}, written by dpeval serve)",
                                 dir.string(), path.string()));
  }
  sqlite3* db = open_db(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  StoreContents out;
  try {
    out.meta = read_meta(db, path);
    size_t k = 0;
    try {
      k = std::stoul(out.meta.at("num_classes"));
    } catch (const std::exception&) {
      throw InputError(fmt::format("{}: meta.num_classes missing or not a number", path.string()));
    }
    if (k < 2 || k > 100000)
      throw InputError(fmt::format("{}: meta.num_classes {} out of range", path.string(), k));
    Statement p(db, path,
                "SELECT seq, id, time, input_hash, label, probs, raw_probs, temperature FROM predictions "
                "ORDER BY seq");
    while (p.next()) {
      StoredPrediction r;
      r.seq = p.column_int(0);
      r.id = p.column_text(1);
      r.time = p.column_real(2);
      r.input_hash = p.column_text(3);
      r.label = static_cast<int32_t>(p.column_int(4));
      r.probs = p.column_floats(5, k, "prediction");
      r.raw = p.column_floats(6, k, "prediction");
      r.temperature = p.column_real(7);
      if (r.seq != static_cast<int64_t>(out.predictions.size()) + 1) {
        throw InputError(fmt::format("{}: prediction seq {} where {} was expected (rows deleted by hand?)",
                                     path.string(), r.seq, out.predictions.size() + 1));
      }
      out.predictions.push_back(std::move(r));
    }
    Statement f(db, path, "SELECT seq, id, prediction_seq, label, time FROM feedback ORDER BY seq");
    while (f.next()) {
      StoredFeedback r;
      r.seq = f.column_int(0);
      r.id = f.column_text(1);
      r.prediction_seq = f.column_int(2);
      r.label = static_cast<int32_t>(f.column_int(3));
      r.time = f.column_real(4);
      if (r.prediction_seq < 1 || static_cast<size_t>(r.prediction_seq) > out.predictions.size() ||
          out.predictions[static_cast<size_t>(r.prediction_seq - 1)].seq != r.prediction_seq) {
        throw InputError(
            fmt::format("{}: feedback {} joins prediction {}, which the store does not hold in order",
                        path.string(), r.seq, r.prediction_seq));
      }
      if (r.label < 0 || static_cast<size_t>(r.label) >= k) {
        throw InputError(
            fmt::format("{}: feedback {} has label {} outside 0..{}", path.string(), r.seq, r.label, k - 1));
      }
      out.feedback.push_back(std::move(r));
    }
    Statement e(db, path, "SELECT time, kind, window, doc FROM events ORDER BY seq");
    while (e.next()) {
      StoredEvent r;
      r.time = e.column_real(0);
      r.kind = e.column_text(1);
      r.window = e.column_int(2);
      r.doc = nlohmann::json::parse(e.column_text(3), nullptr, false);
      if (r.doc.is_discarded())
        throw InputError(fmt::format("{}: an event whose document is not JSON", path.string()));
      out.events.push_back(std::move(r));
    }
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
  sqlite3_close(db);
  return out;
}

void replay_store(const StoreContents& c, monitor::OnlineMonitor& m) {
  std::map<int64_t, const nlohmann::json*> drift_docs;
  for (const StoredEvent& e : c.events) {
    if (e.kind == "drift") drift_docs[e.window] = &e.doc;
  }
  for (size_t i = 0; i < c.predictions.size(); ++i) {
    const StoredPrediction& p = c.predictions[i];
    if (const auto w = m.add_prediction(p.probs)) {
      const auto it = drift_docs.find(static_cast<int64_t>(*w));
      if (it != drift_docs.end()) m.attach_drift(*w, *it->second);
    }
  }
  for (const StoredFeedback& f : c.feedback) {
    const StoredPrediction& p =
        c.predictions[static_cast<size_t>(f.prediction_seq - 1)];  // checked by read_store
    m.add_feedback(p.probs, p.raw, p.temperature, f.label);
  }
}

namespace {

nlohmann::json meta_json(const StoreContents& c, const char* key) {
  const auto it = c.meta.find(key);
  if (it == c.meta.end()) return nullptr;
  nlohmann::json doc = nlohmann::json::parse(it->second, nullptr, false);
  return doc.is_discarded() ? nlohmann::json(nullptr) : doc;
}

}  // namespace

monitor::OnlineReference stored_reference(const StoreContents& c) {
  monitor::OnlineReference r;
  const nlohmann::json doc = meta_json(c, "reference");
  if (!doc.is_object()) return r;
  if (doc.value("accuracy", nlohmann::json()).is_number()) r.accuracy = doc["accuracy"].get<double>();
  if (doc.value("ece", nlohmann::json()).is_number()) r.ece = doc["ece"].get<double>();
  r.source = doc.value("source", "");
  return r;
}

monitor::OnlineOptions stored_online_options(const StoreContents& c) {
  monitor::OnlineOptions o;
  const nlohmann::json doc = meta_json(c, "online_options");
  if (!doc.is_object()) return o;
  o.window = doc.value("window", o.window);
  o.alpha = doc.value("alpha", o.alpha);
  o.decay_margin = doc.value("decay_margin", o.decay_margin);
  o.loop_margin = doc.value("feedback_loop_margin", o.loop_margin);
  o.ece_threshold = doc.value("ece_threshold", o.ece_threshold);
  o.drift_share = doc.value("drift_share_threshold", o.drift_share);
  return o;
}

}  // namespace dpeval::serve
