// Gate parsing and judging; see gates.h.
#include "dpeval/eval/gates.h"

#include <cmath>
#include <cstdlib>

#include "dpeval/core/error.h"
#include "dpeval/data/number.h"
#include "dpeval/eval/slices.h"

namespace dpeval::eval {
namespace {

using nlohmann::json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad_gate(std::string_view text, const std::string& what) {
  throw UsageError("--fail-if '" + std::string(text) + "': " + what);
}

// The operator in `text` outside any slice key: the first of < > = ! after
// the target's last ':' (a slice value may hold any character but ':').
struct OpAt {
  size_t at = std::string_view::npos;
  size_t length = 0;
  GateOp op = GateOp::kLess;
};

OpAt find_op(std::string_view text) {
  const size_t colon = text.rfind(':');
  const size_t from = colon == std::string_view::npos ? 0 : colon + 1;
  const size_t at = text.find_first_of("<>=!", from);
  if (at == std::string_view::npos) return {};
  const bool equals_next = at + 1 < text.size() && text[at + 1] == '=';
  switch (text[at]) {
    case '<': return {at, equals_next ? 2u : 1u, equals_next ? GateOp::kLessEqual : GateOp::kLess};
    case '>': return {at, equals_next ? 2u : 1u, equals_next ? GateOp::kGreaterEqual : GateOp::kGreater};
    case '=': return equals_next ? OpAt{at, 2, GateOp::kEqual} : OpAt{};
    default: return equals_next ? OpAt{at, 2, GateOp::kNotEqual} : OpAt{};
  }
}

double parse_threshold(std::string_view whole, std::string_view text) {
  // The one number parser (data/number.h): plain decimal only, so "0x10",
  // "1,5" and "nan" are refused rather than read as something else.
  const std::string s(trim(text));
  double v = 0;
  if (!data::parse_finite_number(std::string_view(s), &v)) {
    bad_gate(whole, "expected a finite decimal number after the operator, got '" + s + "'");
  }
  return v;
}

// "region=north" or "region=north&device=mobile".
std::vector<std::pair<std::string, std::string>> parse_slice_key(std::string_view whole, std::string_view key) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (true) {
    const size_t amp = key.find('&');
    const std::string_view part = key.substr(0, amp);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos || trim(part.substr(0, eq)).empty()) {
      bad_gate(whole, "expected slice:<column>=<value>:<metric>, got slice key '" + std::string(part) + "'");
    }
    pairs.emplace_back(trim(part.substr(0, eq)), trim(part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    key.remove_prefix(amp + 1);
  }
  if (pairs.size() > 2) bad_gate(whole, "a slice crosses at most two columns");
  return pairs;
}

bool holds(GateOp op, double value, double threshold) {
  switch (op) {
    case GateOp::kLess: return value < threshold;
    case GateOp::kLessEqual: return value <= threshold;
    case GateOp::kGreater: return value > threshold;
    case GateOp::kGreaterEqual: return value >= threshold;
    case GateOp::kEqual: return value == threshold;
    case GateOp::kNotEqual: return value != threshold;
  }
  return false;
}

std::string keys_of(const json& object) {
  std::string names;
  for (const auto& [key, value] : object.items()) {
    if (!value.is_number() && !value.is_null()) continue;
    names += (names.empty() ? "" : ", ") + key;
  }
  return names.empty() ? "none" : names;
}

// The number (or null) `name` in `object`, or UsageError listing what exists.
std::optional<double> number_in(const json& object, const std::string& name, const GateExpr& gate,
                                const std::string& where) {
  const auto it = object.find(name);
  if (it == object.end() || !(it->is_number() || it->is_null())) {
    bad_gate(gate.text, "no " + where + " '" + name + "' (known: " + keys_of(object) + ")");
  }
  if (it->is_null()) return std::nullopt;
  return it->get<double>();
}

std::optional<double> overall_value(const json& doc, const GateExpr& gate) {
  if (gate.metric == "n") return doc.at("n").get<double>();
  const json& metrics = doc.at("metrics");
  if (metrics.contains(gate.metric)) return number_in(metrics, gate.metric, gate, "metric");
  if (doc.contains("calibration")) {
    const json& calibration = doc["calibration"];
    if (calibration.contains(gate.metric) && gate.metric != "bins") {
      return number_in(calibration, gate.metric, gate, "calibration figure");
    }
    if (calibration.contains("brier_decomposition") && calibration["brier_decomposition"].contains(gate.metric)) {
      return number_in(calibration["brier_decomposition"], gate.metric, gate, "calibration figure");
    }
  }
  return number_in(metrics, gate.metric, gate, "metric");  // throws, listing the metrics
}

std::optional<double> slice_value(const json& doc, const GateExpr& gate) {
  if (!doc.contains("slices")) bad_gate(gate.text, "no slices were computed: add --slice-by");
  std::string column, value;
  for (const auto& [c, v] : gate.slice) {
    column += (column.empty() ? "" : std::string(kSliceCrossSeparator)) + c;
    value += (value.empty() ? "" : std::string(kSliceCrossSeparator)) + v;
  }
  const json& columns = doc["slices"].at("columns");
  if (!columns.contains(column)) {
    std::string known;
    for (const auto& [name, unused] : columns.items()) known += (known.empty() ? "" : ", ") + name;
    bad_gate(gate.text, "no slice column '" + column + "' (sliced by: " + known +
                            (gate.slice.size() > 1 ? "; crosses need --slice-cross)" : ")"));
  }
  for (const json& slice : columns[column]) {
    if (slice.at("value").get<std::string>() != value) continue;
    if (gate.metric == "n") return slice.at("n").get<double>();
    return number_in(slice.at("metrics"), gate.metric, gate, "metric");
  }
  bad_gate(gate.text, "column '" + column + "' has no slice with value '" + value + "'");
}

std::optional<double> fairness_value(const json& doc, const GateExpr& gate) {
  if (!doc.contains("fairness")) bad_gate(gate.text, "no fairness figures were computed: add --sensitive COL");
  return number_in(doc["fairness"], gate.metric, gate, "fairness figure");
}

}  // namespace

GateExpr parse_gate(std::string_view text) {
  GateExpr gate;
  gate.text = std::string(trim(text));
  const OpAt op = find_op(gate.text);
  if (op.at == std::string_view::npos) bad_gate(gate.text, "expected <metric> <op> <number> with op one of < <= > >= == !=");
  gate.op = op.op;
  gate.threshold = parse_threshold(gate.text, std::string_view(gate.text).substr(op.at + op.length));
  std::string_view target = trim(std::string_view(gate.text).substr(0, op.at));
  if (target.starts_with("slice:")) {
    target.remove_prefix(6);
    const size_t colon = target.rfind(':');
    if (colon == std::string_view::npos) bad_gate(gate.text, "expected slice:<column>=<value>:<metric>");
    gate.scope = GateExpr::Scope::kSlice;
    gate.slice = parse_slice_key(gate.text, target.substr(0, colon));
    target = trim(target.substr(colon + 1));
  } else if (target.starts_with("fairness:")) {
    gate.scope = GateExpr::Scope::kFairness;
    target = trim(target.substr(9));
  }
  if (target.empty() || target.find_first_of(" :=") != std::string_view::npos) {
    bad_gate(gate.text, "expected a metric name before the operator, got '" + std::string(target) + "'");
  }
  gate.metric = std::string(target);
  return gate;
}

std::vector<GateResult> evaluate_gates(std::span<const std::string> expressions,
                                       const std::function<std::optional<double>(const GateExpr&)>& lookup) {
  std::vector<GateResult> results;
  for (const std::string& text : expressions) {
    const GateExpr gate = parse_gate(text);
    GateResult result;
    result.expression = gate.text;
    result.value = lookup(gate);
    result.passed = result.value.has_value() && !holds(gate.op, *result.value, gate.threshold);
    results.push_back(std::move(result));
  }
  return results;
}

std::vector<GateResult> evaluate_gates(const nlohmann::json& doc, std::span<const std::string> expressions) {
  return evaluate_gates(expressions, [&doc](const GateExpr& gate) -> std::optional<double> {
    switch (gate.scope) {
      case GateExpr::Scope::kOverall: return overall_value(doc, gate);
      case GateExpr::Scope::kSlice: return slice_value(doc, gate);
      case GateExpr::Scope::kFairness: return fairness_value(doc, gate);
    }
    return std::nullopt;
  });
}

nlohmann::json gates_to_json(std::span<const GateResult> results) {
  json out = json::array();
  for (const GateResult& r : results) {
    out.push_back({{"expression", r.expression},
                   {"value", r.value ? json(*r.value) : json(nullptr)},
                   {"passed", r.passed}});
  }
  return out;
}

}  // namespace dpeval::eval
