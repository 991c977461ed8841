// dpeval audit: load, scan, run every check, gates; see audit.h and docs/AUDIT.md.
#include "dpeval/govern/audit.h"

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "dpeval/core/error.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/data/idx.h"
#include "dpeval/data/npy.h"
#include "dpeval/data/source.h"
#include "dpeval/govern/pii.h"

namespace dpeval::govern {
namespace {

using nlohmann::json;

// PiiCellScanner over govern/pii.h's scanner: entity names and masked samples.
class PiiAdapter final : public PiiCellScanner {
 public:
  bool dob_column(std::string_view column) const override { return is_dob_column(column); }
  void scan(bool dob_column, std::string_view cell,
            std::vector<std::pair<std::string, std::string>>& out) const override {
    thread_local std::vector<PiiMatch> matches;
    matches.clear();
    scanner_.scan(cell, dob_column, matches);
    for (const PiiMatch& m : matches) {
      out.emplace_back(std::string(pii_entity_name(m.entity)), mask_pii(cell.substr(m.begin, m.end - m.begin), m.entity));
    }
  }

 private:
  PiiScanner scanner_;
};

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// A table (.csv, .tsv, .txt, and .csv.gz / .tsv.gz, which the table reader
// inflates) rather than an NPY or IDX array.
bool is_csv(const std::string& path) {
  std::string lower = path;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.ends_with(".csv.gz") || lower.ends_with(".tsv.gz")) return true;
  const std::string ext = lower_extension(path);
  return ext == ".csv" || ext == ".tsv" || ext == ".txt";
}

// An NPY or IDX feature file (and optional labels) as a Dataset.
data::Dataset load_array(const std::string& path, const std::string& labels_path, bool* has_labels) {
  const std::string ext = lower_extension(path);
  std::vector<int64_t> dims;
  std::vector<uint8_t> u8;
  std::vector<float> f32;
  if (ext == ".npy") {
    data::NpyArray a = data::read_npy(path);
    dims = a.shape;
    if (a.dtype == data::NpyArray::DType::kU8) {
      u8.assign(reinterpret_cast<const uint8_t*>(a.data.data()), reinterpret_cast<const uint8_t*>(a.data.data()) + a.data.size());
    } else if (a.dtype == data::NpyArray::DType::kF32 || a.dtype == data::NpyArray::DType::kF64) {
      // Not npy_to_f32: it rejects NaN and infinity, which the audit counts instead.
      const size_t n = static_cast<size_t>(a.numel());
      f32.resize(n);
      if (a.dtype == data::NpyArray::DType::kF32) {
        std::memcpy(f32.data(), a.data.data(), n * sizeof(float));
      } else {
        for (size_t i = 0; i < n; ++i) {
          double v;
          std::memcpy(&v, a.data.data() + i * sizeof v, sizeof v);
          f32[i] = static_cast<float>(v);
        }
      }
    } else {
      f32 = data::npy_to_f32(a, path);
    }
  } else if (ext == ".gz" || ext == ".idx" || path.ends_with("-ubyte")) {
    data::IdxArray a = data::read_idx(path);
    dims = a.dims;
    u8 = std::move(a.data);
  } else {
    throw ConfigError(fmt::format("{}: unknown data file type, expected .csv, .tsv, .npy, .idx/.gz/-ubyte or "
                                  "fashion-mnist", path));
  }
  if (dims.empty() || dims[0] < 1) throw InputError(fmt::format("{}: expected an array of shape [N, ...] with N >= 1", path));
  const size_t n = static_cast<size_t>(dims[0]);
  std::vector<int64_t> rest(dims.begin() + 1, dims.end());
  if (rest.empty()) rest.push_back(1);
  if (rest.size() == 2) rest.insert(rest.begin(), 1);  // [N, H, W] images: one channel
  std::vector<int32_t> labels(n, 0);
  int classes = 1;
  *has_labels = !labels_path.empty();
  if (*has_labels) {
    std::vector<int64_t> l;
    if (lower_extension(labels_path) == ".npy") {
      l = data::npy_to_i64(data::read_npy(labels_path), labels_path);
    } else {
      const data::IdxArray a = data::read_idx(labels_path);
      l.assign(a.data.begin(), a.data.end());
    }
    if (l.size() != n) throw InputError(fmt::format("{}: {} labels for the {} rows of {}", labels_path, l.size(), n, path));
    int64_t max_label = 0;
    for (size_t i = 0; i < n; ++i) {
      if (l[i] < 0 || l[i] > 1048575) throw InputError(fmt::format("{}: element {}: label {} outside 0..1048575", labels_path, i, l[i]));
      labels[i] = static_cast<int32_t>(l[i]);
      max_label = std::max(max_label, l[i]);
    }
    classes = static_cast<int>(max_label + 1);
  }
  data::Dataset d = u8.empty() && !f32.empty()
                        ? data::Dataset::from_f32(path, Shape(rest), std::move(f32), std::move(labels), classes)
                        : data::Dataset::from_u8(path, Shape(rest), std::move(u8), 1.0f, std::move(labels), classes);
  return d;
}

TableScan scan_path(const std::string& path, const std::string& labels_path, const ScanOptions& options) {
  if (is_csv(path)) return scan_csv_file(path, options);
  bool has_labels = false;
  const data::Dataset d = load_array(path, labels_path, &has_labels);
  TableScan scan = scan_dataset(d, options);
  if (!has_labels) {
    scan.columns.pop_back();
    scan.label_column = -1;
    scan.labels.clear();
    scan.label_values.clear();
    scan.sample.labels.clear();
    const size_t cols = scan.columns.size();
    // Drop the label column from the sample too.
    std::vector<double> numbers;
    std::vector<uint64_t> cells;
    for (size_t i = 0; i < scan.sample.rows.size(); ++i) {
      for (size_t c = 0; c < cols; ++c) {
        numbers.push_back(scan.sample.numbers[i * (cols + 1) + c]);
        cells.push_back(scan.sample.cells[i * (cols + 1) + c]);
      }
    }
    scan.sample.numbers = std::move(numbers);
    scan.sample.cells = std::move(cells);
  }
  return scan;
}

json column_json(const ColumnStats& c) {
  json j = {{"name", c.name}, {"type", c.inferred_type()}, {"missing", c.missing}, {"inf", c.inf},
            {"numbers", c.numeric}, {"texts", c.text}};
  if (c.numeric > 0) {
    j["min"] = c.min;
    j["max"] = c.max;
  }
  if (c.track_values) j["distinct"] = c.untracked > 0 ? json(nullptr) : json(c.values.size());
  return j;
}

json table_json(const TableScan& t) {
  json j = {{"source", t.source}, {"rows", t.rows}, {"columns", t.columns.size()}};
  if (t.is_image) {
    j["image_shape"] = t.image_shape;
  } else {
    json cols = json::array();
    for (const ColumnStats& c : t.columns) cols.push_back(column_json(c));
    j["column_profile"] = cols;
  }
  j["label_column"] = t.label_column >= 0 ? json(t.columns[t.label_column].name) : json(nullptr);
  return j;
}

}  // namespace

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "info";
}

// Note [Row key sort]
// RowKey compares hash.lo first, and the feature hashes are XXH3 output, so the
// top kSortBucketBits of hash.lo spread the keys evenly over buckets whose
// order is the sorted order. One counting pass and one scatter place every key
// in its bucket; each bucket is then sorted on its own: with 2^18 buckets, ~19
// keys each on 5M rows, by insertion sort (a larger bucket, such as many equal
// rows make, by std::sort). The result is the same as one std::sort of all
// keys (keys are distinct: the row number is in them) at a fraction of the
// cost (one random write per key instead of ~log2(n) passes). All three steps
// run in parallel: each thread counts and scatters its own contiguous range of
// rows, into the slots after those of the threads before it in every bucket, so
// the keys land where a serial scatter would put them whatever the thread
// count. Tables with few rows take std::sort. (These buckets are finer than
// kRowKeyBuckets, which only needs the same order.)
constexpr int kSortBucketBits = 18;
constexpr size_t kSortBuckets = size_t{1} << kSortBucketBits;
constexpr size_t kInsertionSortMax = 48;

std::vector<RowKey> sorted_row_keys(const TableScan& scan, size_t threads) {
  const size_t n = scan.rows;
  auto key_of = [&](size_t i) {
    return RowKey{scan.feature_hashes[i], scan.labels.empty() ? 0u : scan.labels[i], static_cast<uint32_t>(i)};
  };
  // The defaulted <=> in order, spelled out so that the bucket sorts inline it.
  auto less = [](const RowKey& a, const RowKey& b) {
    if (a.hash.lo != b.hash.lo) return a.hash.lo < b.hash.lo;
    if (a.hash.hi != b.hash.hi) return a.hash.hi < b.hash.hi;
    if (a.label != b.label) return a.label < b.label;
    return a.row < b.row;
  };
  std::vector<RowKey> keys(n);
  if (n < (1u << 16)) {
    for (size_t i = 0; i < n; ++i) keys[i] = key_of(i);
    std::sort(keys.begin(), keys.end(), less);
    return keys;
  }
  ThreadPool pool(threads);
  const size_t parts = pool.size();
  auto rows_of = [&](size_t t) { return std::pair{n * t / parts, n * (t + 1) / parts}; };
  auto bucket_of = [](const Hash128& h) { return static_cast<size_t>(h.lo >> (64 - kSortBucketBits)); };
  // next[t][b]: where thread t writes its next key of bucket b.
  std::vector<std::vector<size_t>> next(parts, std::vector<size_t>(kSortBuckets, 0));
  pool.parallel_for(parts, [&](size_t tb, size_t te) {
    for (size_t t = tb; t < te; ++t) {
      const auto [r0, r1] = rows_of(t);
      for (size_t i = r0; i < r1; ++i) ++next[t][bucket_of(scan.feature_hashes[i])];
    }
  });
  std::vector<size_t> starts(kSortBuckets + 1, 0);
  for (size_t b = 0, at = 0; b < kSortBuckets; ++b) {
    starts[b] = at;
    for (size_t t = 0; t < parts; ++t) {
      const size_t count = next[t][b];
      next[t][b] = at;
      at += count;
    }
  }
  starts[kSortBuckets] = n;
  pool.parallel_for(parts, [&](size_t tb, size_t te) {
    for (size_t t = tb; t < te; ++t) {
      const auto [r0, r1] = rows_of(t);
      for (size_t i = r0; i < r1; ++i) keys[next[t][bucket_of(scan.feature_hashes[i])]++] = key_of(i);
    }
  });
  pool.parallel_for(kSortBuckets, [&](size_t b, size_t e) {
    for (size_t k = b; k < e; ++k) {
      RowKey* const first = keys.data() + starts[k];
      RowKey* const last = keys.data() + starts[k + 1];
      if (static_cast<size_t>(last - first) > kInsertionSortMax) {
        std::sort(first, last, less);
        continue;
      }
      for (RowKey* i = first + 1; i < last; ++i) {
        const RowKey key = *i;
        RowKey* j = i;
        for (; j > first && less(key, j[-1]); --j) *j = j[-1];
        *j = key;
      }
    }
  }, 4096);
  return keys;
}

std::vector<size_t> row_key_bucket_starts(std::span<const RowKey> keys) {
  // Keys are sorted, so their buckets ascend: one binary search per bucket
  // instead of a pass over every key.
  std::vector<size_t> starts(kRowKeyBuckets + 1, keys.size());
  for (size_t b = 0; b < kRowKeyBuckets; ++b) {
    const auto first = std::partition_point(keys.begin(), keys.end(),
                                            [&](const RowKey& k) { return row_key_bucket(k.hash) < b; });
    starts[b] = static_cast<size_t>(first - keys.begin());
  }
  return starts;
}

json check_result_json(const CheckResult& r) {
  json j = {{"id", r.id},
            {"severity", severity_name(r.severity)},
            {"count", r.count},
            {"value", r.value ? json(*r.value) : json(nullptr)},
            {"message", r.message},
            {"examples", r.examples}};
  if (r.skipped) {
    j["skipped"] = true;
    j["value"] = nullptr;
  }
  if (!r.figures.empty()) j["figures"] = r.figures;
  if (!r.details.is_null()) j["details"] = r.details;
  return j;
}

json run_audit(const AuditOptions& o) {
  if (o.train.empty()) throw UsageError("--train FILE or --train fashion-mnist is required");
  const bool fmnist = o.train == "fashion-mnist";
  if (fmnist && !o.test.empty()) throw UsageError("--train fashion-mnist audits its own test split; drop --test");
  if (o.text_cols.size() > 0 && !is_csv(o.train) ) throw UsageError("--text-cols needs CSV data");
  std::optional<AuditSchema> schema;
  if (!o.schema.empty()) schema = read_audit_schema(o.schema);
  std::optional<PiiAdapter> pii;
  if (o.pii) pii.emplace();
  ScanOptions scan_options;
  scan_options.label_col = o.label_col;
  scan_options.group_col = o.group_col;
  scan_options.schema = schema ? &*schema : nullptr;
  scan_options.pii = pii ? &*pii : nullptr;
  scan_options.text_cols = o.text_cols;
  scan_options.threads = o.threads;

  std::optional<TableScan> train, test;
  if (fmnist) {
    if (!o.group_col.empty() || schema) throw UsageError("--group-col and --schema need CSV data");
    data::TrainTest tt = data::load_fashion_mnist(data::fashion_mnist_dir());
    tt.train.set_name("fashion-mnist/train");
    tt.test.set_name("fashion-mnist/test");
    train = scan_dataset(tt.train, scan_options);
    test = scan_dataset(tt.test, scan_options);
  } else {
    train = scan_path(o.train, o.train_labels, scan_options);
    if (!o.test.empty()) test = scan_path(o.test, o.test_labels, scan_options);
  }
  if (test && train->columns.size() != test->columns.size()) {
    throw InputError(fmt::format("{}: {} columns, but {} has {}; expected the same columns in both sets",
                                 test->source, test->columns.size(), train->source, train->columns.size()));
  }
  if (test) {
    for (size_t c = 0; c < train->columns.size(); ++c) {
      if (train->columns[c].name != test->columns[c].name) {
        throw InputError(fmt::format("{}: column {} is '{}', but in {} it is '{}'; expected the same columns in "
                                     "the same order", test->source, c + 1, test->columns[c].name, train->source,
                                     train->columns[c].name));
      }
    }
  }
  std::optional<eval::Predictions> predictions;
  if (!o.predictions.empty()) {
    if (train->label_column < 0) throw UsageError("--predictions needs a labelled --train set");
    eval::ReadOptions read;
    read.task = eval::Task::multiclass;
    read.threads = o.threads;
    predictions = eval::read_predictions(o.predictions, read);
    if (predictions->n != train->rows) {
      throw InputError(fmt::format("{}: {} rows, but {} has {}; expected out-of-fold predictions row-aligned with "
                                   "--train", predictions->source, predictions->n, train->source, train->rows));
    }
  }
  AuditContext ctx(*train);
  ctx.test = test ? &*test : nullptr;
  ctx.predictions = predictions ? &*predictions : nullptr;
  ctx.train_keys = sorted_row_keys(*train, o.threads);
  ctx.thresholds = o.thresholds;
  ctx.schema_given = schema.has_value();
  ctx.threads = o.threads;
  if (!o.pii) {
    ctx.skip_pii_reason = "--no-pii";
  } else if (train->is_image) {
    ctx.skip_pii_reason = "image data has no text columns";
  } else if (fmnist || !is_csv(o.train)) {
    ctx.skip_pii_reason = "array data has no text columns";
  }

  json doc;
  doc["schema"] = kAuditSchema;
  doc["tool"] = "dpeval audit";
  doc["rows"] = {{"train", train->rows}, {"test", test ? json(test->rows) : json(nullptr)}};
  doc["train"] = table_json(*train);
  if (test) doc["test"] = table_json(*test);
  doc["thresholds"] = {{"near_constant_share", o.thresholds.near_constant_share},
                       {"rare_class_share", o.thresholds.rare_class_share},
                       {"single_feature_accuracy", o.thresholds.single_feature_accuracy},
                       {"near_duplicate_bits", o.thresholds.near_duplicate_bits},
                       {"near_duplicate_hash", "dHash-364 (gradients of a 14x14 grid of block sums)"},
                       {"shift_p_value", o.thresholds.shift_p_value}};
  // The checks only read ctx and do not depend on one another: they run side
  // by side, each into its own slot, taken in turn by whichever thread is free
  // (the costly ones take tens of milliseconds on 5M rows), and are reported in
  // the registry's order whatever the timing.
  const std::vector<std::unique_ptr<Check>> all = make_audit_checks();
  std::vector<CheckResult> results(all.size());
  {
    ThreadPool pool(o.threads);
    std::atomic<size_t> next{0};
    pool.parallel_for(pool.size(), [&](size_t, size_t) {
      for (size_t i; (i = next.fetch_add(1)) < all.size();) results[i] = all[i]->run(ctx);
    });
  }
  json checks = json::array();
  for (const CheckResult& r : results) checks.push_back(check_result_json(r));
  doc["checks"] = checks;
  return doc;
}

std::map<std::string, std::optional<double>> audit_gate_values(const json& doc) {
  std::map<std::string, std::optional<double>> values;
  std::map<std::string, std::optional<double>> groups;
  for (const json& c : doc.at("checks")) {
    const std::string id = c.at("id").get<std::string>();
    const bool skipped = c.value("skipped", false);
    auto number = [&](double v) -> std::optional<double> { return skipped ? std::nullopt : std::optional(v); };
    values[id + ".count"] = number(c.at("count").get<double>());
    values[id + ".value"] = c.at("value").is_number() ? number(c.at("value").get<double>()) : std::nullopt;
    if (c.contains("figures")) {
      for (const auto& [name, v] : c["figures"].items()) values[id + "." + name] = number(v.get<double>());
    }
    const std::string group = id.substr(0, id.find('.'));
    auto& g = groups[group + ".count"];
    if (!skipped) g = g.value_or(0) + c.at("count").get<double>();
  }
  for (auto& [name, v] : groups) values.emplace(name, v);
  values["leakage.test_share"] = values["leakage.exact.test_share"];
  values["rows.train"] = doc.at("rows").at("train").get<double>();
  const json& t = doc.at("rows").at("test");
  values["rows.test"] = t.is_number() ? std::optional(t.get<double>()) : std::nullopt;
  return values;
}

std::vector<eval::GateResult> evaluate_audit_gates(const json& doc, std::span<const std::string> expressions) {
  const auto values = audit_gate_values(doc);
  return eval::evaluate_gates(expressions, [&](const eval::GateExpr& gate) -> std::optional<double> {
    if (gate.scope != eval::GateExpr::Scope::kOverall) {
      throw UsageError(fmt::format("--fail-if '{}': audit gates name a check figure such as "
                                   "quality.duplicates.count, not slice: or fairness:", gate.text));
    }
    auto it = values.find(gate.metric);
    if (it == values.end()) {
      // A bare check id means its count.
      it = values.find(gate.metric + ".count");
    }
    if (it == values.end()) {
      std::string known;
      for (const auto& [name, v] : values) {
        if (name.ends_with(".count") || name.find('.') == name.rfind('.')) known += (known.empty() ? "" : ", ") + name;
      }
      throw UsageError(fmt::format("--fail-if '{}': no audit figure '{}' (known: {}; and <check>.value, "
                                   "<check>.<figure>)", gate.text, gate.metric, known));
    }
    return it->second;
  });
}

}  // namespace dpeval::govern
