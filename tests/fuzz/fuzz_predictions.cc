// libFuzzer target for the prediction-file reader. The first byte picks the
// task, whether logits are wanted, which columns are kept and CSV or NPY; the
// rest is the file. A CSV is parsed three ways (the serial quoted-file path,
// tiny chunks on 3 threads, the defaults): all three must throw the same
// message or return bitwise the same columns, and a result must hold what
// predictions.h promises. Typed dpeval errors are the expected outcome for bad
// input; InternalError, a crash or a disagreement is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/eval/internal/prediction_csv.h"
#include "dpeval/eval/predictions.h"

namespace {

using dpeval::eval::Predictions;
using dpeval::eval::ReadOptions;
using dpeval::eval::Task;

struct Outcome {
  std::optional<Predictions> result;
  std::string error;
};

template <typename Fn>
Outcome run(Fn&& fn) {
  Outcome o;
  try {
    o.result = fn();
  } catch (const dpeval::InternalError&) {
    throw;
  } catch (const dpeval::Error& e) {
    o.error = e.what();
  }
  return o;
}

template <typename Vector>
bool bitwise_equal(const Vector& a, const Vector& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0);
}

bool same(const Outcome& a, const Outcome& b) {
  if (a.result.has_value() != b.result.has_value()) return false;
  if (!a.result) return a.error == b.error;
  const Predictions& x = *a.result;
  const Predictions& y = *b.result;
  if (x.n != y.n || x.num_classes != y.num_classes || x.keys.size() != y.keys.size()) return false;
  if (!bitwise_equal(x.labels, y.labels) || !bitwise_equal(x.scores, y.scores) ||
      !bitwise_equal(x.probs, y.probs) || !bitwise_equal(x.predictions, y.predictions) ||
      !bitwise_equal(x.logits, y.logits)) {
    return false;
  }
  for (size_t m = 0; m < x.keys.size(); ++m) {
    if (x.keys[m].values != y.keys[m].values || x.keys[m].codes != y.keys[m].codes) return false;
  }
  return true;
}

void check_invariants(const Predictions& p, const ReadOptions& options) {
  const size_t n = p.n;
  if (n == 0 || p.labels.size() != n) std::abort();
  const size_t k = p.num_classes;
  switch (p.task) {
    case Task::binary:
      if (k != 2 || p.scores.size() != n) std::abort();
      for (size_t i = 0; i < n; ++i) {
        if (!(p.labels[i] == 0 || p.labels[i] == 1) || !(p.scores[i] >= 0 && p.scores[i] <= 1)) std::abort();
      }
      break;
    case Task::multiclass:
      if (k < 2 || p.probs.size() != n * k) std::abort();
      if (options.want_logits != (p.logits.size() == n * k)) std::abort();
      for (size_t i = 0; i < n; ++i) {
        if (!(p.labels[i] >= 0 && p.labels[i] < static_cast<double>(k))) std::abort();
        double sum = 0;
        for (size_t c = 0; c < k; ++c) {
          const double v = p.probs[i * k + c];
          if (!(v >= 0 && v <= 1)) std::abort();
          sum += v;
        }
        if (!(std::abs(sum - 1) <= 1.001e-3)) std::abort();
      }
      break;
    case Task::regression:
      if (p.predictions.size() != n) std::abort();
      for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(p.labels[i]) || !std::isfinite(p.predictions[i])) std::abort();
      }
      break;
  }
  for (const auto& key : p.keys) {
    if (key.codes.size() != n) std::abort();
    for (size_t i = 1; i < key.values.size(); ++i) {
      if (!(key.values[i - 1] < key.values[i])) std::abort();  // sorted, distinct
    }
    std::vector<bool> used(key.values.size());
    for (uint32_t c : key.codes) {
      if (c >= key.values.size()) std::abort();
      used[c] = true;
    }
    for (bool u : used) {
      if (!u) std::abort();  // every value occurs
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using dpeval::eval::internal::CsvParseTuning;
  using dpeval::eval::internal::parse_csv_predictions;
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  ReadOptions options;
  options.task = static_cast<Task>((mode & 3) % 3);
  options.want_logits = options.task == Task::multiclass && (mode & 4) != 0;
  if (mode & 8) options.keep_columns.push_back("g");
  if (mode & 16) options.keep_columns.push_back("label");
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  if (mode & 32) {
    options.keep_columns.clear();
    options.want_logits = false;
    const Outcome o = run([&] {
      return dpeval::eval::parse_predictions_npy(std::as_bytes(std::span(text.data(), text.size())),
                                                 "fuzz.npy", options);
    });
    if (o.result) check_invariants(*o.result, options);
    return 0;
  }
  options.threads = 1;
  const Outcome serial = run(
      [&] { return parse_csv_predictions(text, "fuzz.csv", options, CsvParseTuning{.force_serial = true}); });
  options.threads = 3;
  const Outcome tiny = run(
      [&] { return parse_csv_predictions(text, "fuzz.csv", options, CsvParseTuning{.min_chunk_bytes = 1, .release_block_bytes = 5}); });
  const Outcome standard =
      run([&] { return dpeval::eval::parse_predictions_csv(text, "fuzz.csv", options); });
  if (!same(tiny, standard)) std::abort();
  // Without a '"' the line path must agree with the tokenizer path exactly.
  if (text.find('"') == std::string_view::npos && !same(serial, standard)) std::abort();
  if (standard.result) check_invariants(*standard.result, options);
  return 0;
}
