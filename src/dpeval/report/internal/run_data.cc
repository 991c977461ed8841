// Checked reads of the run summary and the audit headline (see run_data.h).
#include "dpeval/report/internal/run_data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

const DocumentReader& S = kRunSummary;

std::optional<std::string> count_text(std::optional<double> value) {
  if (!value) return std::nullopt;
  return format_count_value(*value);
}

// A setting (learning rate, momentum, eps) as it was typed: 0.05, 0.9, 1e-08.
std::string setting(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

std::optional<std::string> nonempty(std::string text) {
  if (text.empty()) return std::nullopt;
  return text;
}

// A scalar member of any JSON type as text (strings as they are); nullopt when
// absent. Objects and arrays are not scalars: InputError.
std::optional<std::string> scalar_member(const DocumentReader& reader, const Json& object,
                                         std::string_view key, std::string_view path) {
  const Json* found = reader.member(object, key, path);
  if (!found) return std::nullopt;
  if (found->is_structured())
    reader.throw_bad_part(join_path(path, key), "a string, number or boolean", *found);
  if (found->is_number()) return format_number(found->get<double>());
  return scalar_text(*found);
}

// "a, b, c" of the non-empty parts.
std::string joined(const std::vector<std::string>& parts, std::string_view separator = ", ") {
  std::string out;
  for (const std::string& part : parts) {
    if (part.empty()) continue;
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

std::optional<std::string> data_text(const Json& summary) {
  std::string data = S.string_member(summary, "data", "");
  if (data.empty()) return std::nullopt;
  return data;
}

std::optional<std::string> workers_text(const Json& summary) {
  std::optional<double> workers = read_workers(summary);
  std::string backend = S.string_member(summary, "backend", "");
  if (!workers && backend.empty()) return std::nullopt;
  std::string text = workers ? format_count_value(*workers) : "?";
  return backend.empty() ? text : text + " (" + backend + " backend)";
}

// "256 = 64 per worker x 2 accumulated x 2 workers".
std::optional<std::string> global_batch_text(const Json& summary) {
  std::optional<double> batch = S.number_member(summary, "batch", ""),
                        accumulate = S.number_member(summary, "accumulate", ""),
                        workers = read_workers(summary),
                        global = S.number_member(summary, "global_batch", "");
  if (!global && batch && workers) global = *batch * accumulate.value_or(1) * *workers;
  if (!global) return std::nullopt;
  std::string text = format_count_value(*global);
  if (batch && workers) {
    text += " = " + format_count_value(*batch) + " per worker × " +
            format_count_value(accumulate.value_or(1)) + " accumulated × " + format_count_value(*workers) +
            " workers";
  }
  return text;
}

const Json* config_of(const Json& summary) { return S.object_member(summary, "config", ""); }

// "sgd, momentum 0.9 (Nesterov), weight decay 0.0005" from summary.config.optimizer.
std::optional<std::string> optimizer_text(const Json& summary) {
  const Json* config = config_of(summary);
  const Json* optimizer = config ? S.object_member(*config, "optimizer", "config") : nullptr;
  if (!optimizer) return std::nullopt;
  const char* path = "config.optimizer";
  std::string name = S.string_member(*optimizer, "name", path);
  std::vector<std::string> parts = {name.empty() ? "?" : name};
  if (name == "adamw" || name == "lamb") {
    auto beta1 = S.number_member(*optimizer, "beta1", path),
         beta2 = S.number_member(*optimizer, "beta2", path);
    if (beta1 && beta2) parts.push_back("betas (" + setting(*beta1) + ", " + setting(*beta2) + ")");
    if (auto eps = S.number_member(*optimizer, "eps", path)) parts.push_back("eps " + setting(*eps));
  } else if (auto momentum = S.number_member(*optimizer, "momentum", path)) {
    bool nesterov = S.bool_member(*optimizer, "nesterov", path).value_or(false);
    parts.push_back("momentum " + setting(*momentum) + (nesterov ? " (Nesterov)" : ""));
  }
  if (name == "lars" || name == "lamb") {
    if (auto trust = S.number_member(*optimizer, "trust_coefficient", path))
      parts.push_back("trust coefficient " + setting(*trust));
  }
  if (auto decay = S.number_member(*optimizer, "weight_decay", path))
    parts.push_back("weight decay " + setting(*decay));
  return joined(parts);
}

// "0.05 (linear scaling rule), cosine to 0, 100 warm-up steps, 1 warm-up epoch".
std::optional<std::string> schedule_text(const Json& summary) {
  const Json* config = config_of(summary);
  if (!config) return std::nullopt;
  std::vector<std::string> parts;
  if (auto lr = S.number_member(*config, "lr", "config")) parts.push_back("base " + setting(*lr));
  std::string scaling = scalar_member(S, *config, "lr_scaling", "config").value_or("");
  if (!scaling.empty() && scaling != "none" && scaling != "false") parts.push_back(scaling + " LR scaling");
  if (const Json* schedule = S.object_member(*config, "schedule", "config")) {
    const char* path = "config.schedule";
    std::string kind = S.string_member(*schedule, "kind", path);
    if (kind == "step") {
      auto size = S.number_member(*schedule, "step_size", path),
           gamma = S.number_member(*schedule, "gamma", path);
      // step_size 0: one epoch's worth of steps (parallel/train_config.h).
      std::string every = !size        ? ""
                          : *size == 0 ? " every epoch"
                                       : " every " + format_count_value(*size) + " steps";
      parts.push_back("step" + every + (gamma ? " × " + setting(*gamma) : std::string()));
    } else if (kind == "cosine") {
      auto min_lr = S.number_member(*schedule, "min_lr", path);
      parts.push_back("cosine" + (min_lr ? " to " + setting(*min_lr) : std::string()));
    } else if (!kind.empty()) {
      parts.push_back(kind);
    }
    auto warmup = S.number_member(*schedule, "warmup_steps", path);
    if (warmup && *warmup > 0) parts.push_back(format_count_value(*warmup) + " warm-up steps");
  }
  auto warmup_epochs = S.number_member(*config, "warmup_epochs", "config");
  if (warmup_epochs && *warmup_epochs > 0) parts.push_back(setting(*warmup_epochs) + " warm-up epochs");
  if (parts.empty()) return std::nullopt;
  return joined(parts);
}

std::optional<std::string> manifest_text(const Json& summary) {
  const Json* manifest = S.object_member(summary, "manifest", "");
  if (!manifest) return std::nullopt;
  std::string sha = S.string_member(*manifest, "sha256", "manifest");
  std::string path = S.string_member(*manifest, "path", "manifest");
  if (sha.empty()) return nonempty(path);
  return path.empty() ? sha : sha + " (" + path + ")";
}

// summary.cpu: a string, or an object whose scalar members are listed "key value".
std::optional<std::string> cpu_text(const Json& summary) {
  const Json* cpu = S.member(summary, "cpu", "");
  if (!cpu) return std::nullopt;
  if (cpu->is_string()) return nonempty(cpu->get<std::string>());
  if (!cpu->is_object()) S.throw_bad_part("cpu", "a string or an object", *cpu);
  std::string model = S.string_member(*cpu, "model", "cpu");
  std::vector<std::string> parts = {model};
  for (const auto& [key, value] : cpu->items()) {
    if (key == "model" || value.is_null()) continue;
    parts.push_back(key + " " + scalar_member(S, *cpu, key, "cpu").value_or(""));
  }
  return nonempty(joined(parts));
}

std::optional<std::string> wall_text(const Json& summary) {
  if (auto wall = S.number_member(summary, "wall_seconds", "")) return format_seconds(*wall);
  auto train = S.number_member(summary, "train_seconds", ""),
       eval = S.number_member(summary, "eval_seconds", "");
  if (!train && !eval) return std::nullopt;
  return format_seconds(train.value_or(0) + eval.value_or(0)) +
         " (training + evaluation; no wall time recorded)";
}

std::string shell_quoted(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                              "-_./=:,+@%") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::optional<StepBreakdown> read_breakdown(const Json& object, std::string_view key,
                                            const std::string& path) {
  const Json* parts = S.object_member(object, key, path);
  if (!parts) return std::nullopt;
  std::string at = join_path(path, key);
  return StepBreakdown{S.number_member(*parts, "data", at).value_or(0),
                       S.number_member(*parts, "compute", at).value_or(0),
                       S.number_member(*parts, "comm_wait", at).value_or(0),
                       S.number_member(*parts, "optimizer", at).value_or(0)};
}

namespace {

std::string breakdown_text(const StepBreakdown& b) {
  return "data " + format_number(b.data) + " ms, compute " + format_number(b.compute) +
         " ms, exposed communication wait " + format_number(b.comm_wait) + " ms, optimizer " +
         format_number(b.optimizer) + " ms";
}

std::optional<std::string> step_ms_text(const Json& summary) {
  const Json* step_ms = S.object_member(summary, "step_ms", "");
  if (!step_ms) return std::nullopt;
  auto p50 = S.number_member(*step_ms, "p50", "step_ms"), p90 = S.number_member(*step_ms, "p90", "step_ms");
  if (!p50 && !p90) return std::nullopt;
  return "p50 " + (p50 ? format_number(*p50) : "—") + " ms, p90 " + (p90 ? format_number(*p90) : "—") + " ms";
}

// "12,345 samples/s (steady state)", or the all-steps figure when the run was too short.
std::optional<std::string> throughput_text(const Json& summary) {
  auto steady = S.number_member(summary, "samples_per_s", "");
  auto all = S.number_member(summary, "samples_per_s_all_steps", "");
  auto steady_steps = S.number_member(summary, "steady_steps", "");
  if (steady && (!steady_steps || *steady_steps > 0)) {
    std::string text = format_number(*steady) + " samples/s (steady state)";
    return all ? text + "; " + format_number(*all) + " over all steps" : text;
  }
  if (all) return format_number(*all) + " samples/s over all steps (too few for the steady state)";
  return std::nullopt;
}

std::optional<std::string> buckets_text(const Json& summary) {
  auto count = S.number_member(summary, "buckets", "");
  std::vector<double> sizes = read_bucket_bytes(summary);
  if (!count && sizes.empty()) return std::nullopt;
  std::string text = format_count_value(count.value_or(static_cast<double>(sizes.size())));
  if (sizes.empty()) return text;
  double total = 0, largest = 0;
  for (double b : sizes) {
    total += b;
    largest = std::max(largest, b);
  }
  return text + " (first " + format_bytes(sizes.front()) + ", largest " + format_bytes(largest) + ", total " +
         format_bytes(total) + ")";
}

std::optional<std::string> bytes_text(std::optional<double> bytes) {
  if (!bytes) return std::nullopt;
  return format_bytes(*bytes);
}

std::optional<std::string> efficiency_text(const Json& summary) {
  auto efficiency = S.number_member(summary, "scaling_efficiency", "");
  if (!efficiency) return std::nullopt;
  std::string text = format_coord(*efficiency * 100) + "%";
  auto workers = read_workers(summary);
  if (auto baseline = S.number_member(summary, "baseline_samples_per_s", "")) {
    text += " of " + (workers ? format_count_value(*workers) + " × " : std::string()) + "the baseline " +
            format_number(*baseline) + " samples/s";
  }
  return text;
}

// ---- Audit headline from the audit document (docs/AUDIT.md).

const DocumentReader& A = kAuditDocument;

struct CheckView {
  bool present = false, skipped = false;
  std::optional<double> count, value;
};

CheckView find_check(const Json& audit, std::string_view id) {
  CheckView view;
  const Json* checks = A.array_member(audit, "checks", "");
  if (!checks) return view;
  for (size_t i = 0; i < checks->size(); ++i) {
    std::string path = index_path("checks", i);
    const Json& check = (*checks)[i];
    if (A.string_member(check, "id", path) != id) continue;
    view.present = true;
    view.skipped = A.bool_member(check, "skipped", path).value_or(false);
    view.count = A.number_member(check, "count", path);
    view.value = A.number_member(check, "value", path);
    return view;
  }
  return view;
}

std::optional<std::string> check_count_text(const CheckView& check, std::string_view what) {
  if (!check.present) return std::nullopt;
  if (check.skipped) return "not checked";
  std::string text = format_count_value(check.count.value_or(0)) + " " + std::string(what);
  if (check.value && check.count && *check.count > 0) text += " (" + format_coord(*check.value * 100) + "%)";
  return text;
}

std::optional<std::string> leakage_text(const Json& audit) {
  CheckView exact = find_check(audit, "leakage.exact");
  if (!exact.present) return std::nullopt;
  if (exact.skipped) return "not checked (no test set)";
  return format_count_value(exact.count.value_or(0)) + " test rows equal to a train row (test share " +
         format_number(exact.value.value_or(0)) + ")";
}

std::optional<std::string> balance_text(const Json& audit) {
  CheckView classes = find_check(audit, "imbalance.classes");
  if (!classes.present) return std::nullopt;
  if (classes.skipped) return "not checked (no labels)";
  std::string text = classes.value ? "largest / smallest class " + format_number(*classes.value) : "";
  double rare = classes.count.value_or(0);
  text += std::string(text.empty() ? "" : ", ") +
          (rare > 0 ? format_count_value(rare) + " classes under 1% of train" : "no class under 1% of train");
  return text;
}

std::optional<std::string> pii_text(const Json& audit) {
  const Json* checks = A.array_member(audit, "checks", "");
  if (!checks) return std::nullopt;
  double total = 0;
  bool any = false, any_ran = false;
  for (size_t i = 0; i < checks->size(); ++i) {
    std::string path = index_path("checks", i);
    if (!A.string_member((*checks)[i], "id", path).starts_with("pii.")) continue;
    any = true;
    if (A.bool_member((*checks)[i], "skipped", path).value_or(false)) continue;
    any_ran = true;
    total += A.number_member((*checks)[i], "count", path).value_or(0);
  }
  if (!any) return std::nullopt;
  if (!any_ran) return "not scanned (no text columns)";
  return format_count_value(total) + " matches";
}

std::optional<std::string> rows_text(const Json& audit) {
  const Json* rows = A.object_member(audit, "rows", "");
  if (!rows) return std::nullopt;
  auto train = A.number_member(*rows, "train", "rows"), test = A.number_member(*rows, "test", "rows");
  if (!train && !test) return std::nullopt;
  std::string text = train ? format_count_value(*train) + " train" : "";
  if (test) text += (text.empty() ? "" : ", ") + format_count_value(*test) + " test";
  return text;
}

std::optional<std::string> findings_text(const Json& audit) {
  const Json* checks = A.array_member(audit, "checks", "");
  if (!checks) return std::nullopt;
  size_t errors = 0, warnings = 0;
  for (size_t i = 0; i < checks->size(); ++i) {
    std::string path = index_path("checks", i);
    if (A.bool_member((*checks)[i], "skipped", path).value_or(false)) continue;
    std::string severity = A.string_member((*checks)[i], "severity", path);
    errors += severity == "error";
    warnings += severity == "warning";
  }
  auto counted = [](size_t n, const char* noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
  };
  return counted(checks->size(), "check") + ": " + counted(errors, "error") + ", " +
         counted(warnings, "warning");
}

std::vector<Fact> audit_document_facts(const Json& audit) {
  if (!audit.is_object()) A.throw_bad_part("", "an object", audit);
  CheckView near = find_check(audit, "leakage.near_duplicates");
  std::optional<std::string> near_text = check_count_text(near, "test images near a train image");
  return {{"audit_rows", "rows", rows_text(audit)},
          {"audit_findings", "findings", findings_text(audit)},
          {"audit_duplicates", "duplicate train rows",
           check_count_text(find_check(audit, "quality.duplicates"), "rows")},
          {"audit_leakage", "train/test leakage", leakage_text(audit)},
          {"audit_near_duplicates", "near-duplicate images", near_text},
          {"audit_class_balance", "class balance", balance_text(audit)},
          {"audit_pii", "PII", pii_text(audit)}};
}

}  // namespace

std::optional<double> read_workers(const Json& summary) { return S.number_member(summary, "workers", ""); }

std::vector<Fact> read_run_facts(const Json& summary) {
  if (!summary.is_object()) S.throw_bad_part("", "an object", summary);
  return {
      {"model", "model", nonempty(S.string_member(summary, "model", ""))},
      {"params", "parameters", count_text(S.number_member(summary, "params", ""))},
      {"data", "data", data_text(summary), true},
      {"dataset_hash", "dataset hash", nonempty(S.string_member(summary, "dataset_hash", "")), true},
      {"manifest", "manifest sha256", manifest_text(summary), true},
      {"workers", "workers", workers_text(summary)},
      {"global_batch", "global batch", global_batch_text(summary)},
      {"optimizer", "optimizer", optimizer_text(summary)},
      {"lr_schedule", "learning rate", schedule_text(summary)},
      {"seed", "seed", count_text(S.number_member(summary, "seed", ""))},
      {"config_hash", "config hash", nonempty(S.string_member(summary, "config_hash", "")), true},
      {"blas", "BLAS", scalar_member(S, summary, "blas", "")},
      {"cpu", "CPU", cpu_text(summary)},
      {"wall_seconds", "wall time", wall_text(summary)},
      {"dpeval_version", "dpeval version", nonempty(S.string_member(summary, "dpeval_version", ""))},
  };
}

std::string read_command(const Json& summary) {
  const Json* command = S.member(summary, "command", "");
  if (!command) return "";
  if (command->is_string()) return command->get<std::string>();
  if (!command->is_array()) S.throw_bad_part("command", "a string or an array of strings", *command);
  std::vector<std::string> words;
  for (size_t i = 0; i < command->size(); ++i) {
    const Json& word = (*command)[i];
    if (!word.is_string()) S.throw_bad_part(index_path("command", i), "a string", word);
    words.push_back(shell_quoted(word.get<std::string>()));
  }
  return joined(words, " ");
}

std::vector<EpochRow> read_epochs(const Json& summary) {
  std::vector<EpochRow> rows;
  const Json* epochs = S.array_member(summary, "epochs", "");
  if (!epochs) return rows;
  for (size_t i = 0; i < epochs->size(); ++i) {
    const Json& e = (*epochs)[i];
    std::string path = index_path("epochs", i);
    if (!e.is_object()) S.throw_bad_part(path, "an object", e);
    EpochRow row;
    row.epoch = S.number_member(e, "epoch", path).value_or(static_cast<double>(i + 1));
    row.train_loss = S.number_member(e, "train_loss", path);
    row.test_loss = S.number_member(e, "test_loss", path);
    row.test_accuracy = S.number_member(e, "test_accuracy", path);
    row.seconds = S.number_member(e, "seconds", path);
    row.samples_per_s = S.number_member(e, "samples_per_s", path);
    row.steps = S.number_member(e, "steps", path);
    row.breakdown = read_breakdown(e, "step_breakdown_ms", path);
    rows.push_back(row);
  }
  return rows;
}

std::vector<CurvePoint> read_lr(const Json& summary) {
  std::vector<CurvePoint> points;
  const Json* lr = S.array_member(summary, "lr", "");
  if (!lr) return points;
  for (size_t i = 0; i < lr->size(); ++i) {
    std::string path = index_path("lr", i);
    if (!(*lr)[i].is_object()) S.throw_bad_part(path, "an object", (*lr)[i]);
    auto step = S.number_member((*lr)[i], "step", path), value = S.number_member((*lr)[i], "lr", path);
    if (step && value) points.push_back({*step, *value});
  }
  return points;
}

std::vector<double> read_bucket_bytes(const Json& summary) {
  std::vector<double> sizes;
  const Json* list = S.array_member(summary, "bucket_bytes", "");
  if (!list) return sizes;
  for (size_t i = 0; i < list->size(); ++i) {
    if (!(*list)[i].is_number()) S.throw_bad_part(index_path("bucket_bytes", i), "a number", (*list)[i]);
    sizes.push_back((*list)[i].get<double>());
  }
  return sizes;
}

std::vector<Fact> read_parallel_facts(const Json& summary) {
  std::optional<StepBreakdown> p50 = read_breakdown(summary, "step_breakdown_ms_p50", "");
  auto gbps = S.number_member(summary, "allreduce_gbps", "");
  std::optional<double> zero = S.number_member(summary, "zero", "");
  std::string update = S.string_member(summary, "optimizer_update", "");
  std::string sharding;
  if (zero) sharding = *zero == 0 ? "not sharded" : "ZeRO-" + format_count_value(*zero) + " sharded";
  // Note [Update plan] in parallel/trainer.h: replicated, zero1 or split;
  // zero1 is what "ZeRO-1 sharded" already says.
  if (update == "zero1") update = zero && *zero != 0 ? "" : "ZeRO-1";
  if (!update.empty()) sharding += (sharding.empty() ? "" : ", ") + update + " update";
  return {
      {"samples_per_s", "throughput", throughput_text(summary)},
      {"step_ms", "step time", step_ms_text(summary)},
      {"step_breakdown_p50", "step breakdown (p50)",
       p50 ? std::optional(breakdown_text(*p50)) : std::nullopt},
      {"buckets", "allreduce buckets", buckets_text(summary)},
      {"bytes_reduced_per_step", "bytes reduced per step",
       bytes_text(S.number_member(summary, "bytes_reduced_per_step", ""))},
      {"allreduce_gbps", "allreduce bandwidth",
       gbps ? std::optional(format_number(*gbps) + " GB/s (measured)") : std::nullopt},
      {"grad_dtype", "gradient dtype", nonempty(S.string_member(summary, "grad_dtype", ""))},
      {"sharding", "optimizer state", nonempty(sharding)},
      {"scaling_efficiency", "scaling efficiency", efficiency_text(summary)},
  };
}

std::string scaling_note(const Json& summary) {
  auto workers = read_workers(summary);
  if (workers && *workers == 1)
    return "One worker: no gradients are exchanged, so there is no communication and no scaling to measure.";
  if (S.number_member(summary, "scaling_efficiency", "")) return "";
  return "Scaling efficiency not recorded: run `dpeval scale` for a study over worker counts and pass its "
         "scale.json to `dpeval train` as `--baseline-scale`, or pass `--baseline-samples-per-s` (the "
         "one-worker throughput).";
}

AuditHeadline read_audit_headline(const Json& summary, const Json* audit) {
  AuditHeadline out;
  const Json* recorded = S.object_member(summary, "audit", "");
  if (recorded) out.skipped = S.string_member(*recorded, "skipped", "audit");
  if (audit) {
    out.facts = audit_document_facts(*audit);
    out.recorded = true;
    return out;
  }
  const Json* headline = recorded ? S.member(*recorded, "headline", "audit") : nullptr;
  if (!headline) return out;
  if (!headline->is_object()) S.throw_bad_part("audit.headline", "an object", *headline);
  for (const auto& [key, value] : headline->items()) {
    std::string label = key;
    std::replace(label.begin(), label.end(), '_', ' ');
    out.facts.push_back({"audit_" + key, label, scalar_member(S, *headline, key, "audit.headline")});
  }
  out.recorded = true;
  return out;
}

std::string format_bytes(double bytes) {
  if (!std::isfinite(bytes)) return "—";
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t unit = 0;
  double value = bytes;
  while (std::fabs(value) >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return format_count_value(value) + " B";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f %s", value, kUnits[unit]);
  return buffer;
}

std::string format_seconds(double seconds) {
  std::string text = format_number(seconds) + " s";
  if (seconds < 120) return text;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, " (%.1f min)", seconds / 60);
  return text + buffer;
}

}  // namespace dpeval::report::internal
