// Quality gates for CI/CD: `--fail-if "accuracy < 0.85"` and friends, judged
// against an evaluation's result document (docs/EVAL.md).
//
// Grammar (spaces around the parts are ignored):
//   gate    := target op number
//   target  := metric                      an overall metric, or ece / mce /
//                                          reliability / resolution /
//                                          uncertainty (calibration), or n
//            | "slice:" key ":" metric     key: col=value, or col=value&col2=value2
//                                          for a --slice-cross slice
//            | "fairness:" name            e.g. equalized_odds_difference
//   op      := "<" | "<=" | ">" | ">=" | "==" | "!="
//   number  := a finite decimal ("0.85", "-1", "+.5", "1e-3"), read by the one
//              number parser (data/number.h); "0x10", "1,5", "nan" and "inf"
//              are usage errors
// A gate FAILS when its expression is true ("fail if accuracy < 0.85").
// A gate whose metric is undefined (null) for this data fails too: a gate
// that cannot be judged must not pass silently. A malformed expression, or
// one naming a metric, slice column, slice value or fairness figure the
// document does not have, throws UsageError naming what exists instead.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dpeval::eval {

enum class GateOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

struct GateExpr {
  enum class Scope { kOverall, kSlice, kFairness };
  std::string text;  // as the user wrote it
  Scope scope = Scope::kOverall;
  // kSlice: the (column, value) pairs of the slice, one pair unless crossed.
  std::vector<std::pair<std::string, std::string>> slice;
  std::string metric;
  GateOp op = GateOp::kLess;
  double threshold = 0;
};

struct GateResult {
  std::string expression;
  std::optional<double> value;  // nullopt: undefined for this data
  bool passed = false;
};

// Throws UsageError ("--fail-if 'accuracy <': expected <metric> <op> <number>").
GateExpr parse_gate(std::string_view text);

// Judges every gate against `doc`; throws UsageError for an unknown target.
std::vector<GateResult> evaluate_gates(const nlohmann::json& doc, std::span<const std::string> expressions);

// The same judging against any set of numbers (dpeval audit's findings):
// `lookup` returns the value a parsed gate names (nullopt when undefined: the
// gate fails) or throws UsageError for a name it does not know.
std::vector<GateResult> evaluate_gates(std::span<const std::string> expressions,
                                       const std::function<std::optional<double>(const GateExpr&)>& lookup);

// [{"expression", "value", "passed"}, ...]
nlohmann::json gates_to_json(std::span<const GateResult> results);

}  // namespace dpeval::eval
