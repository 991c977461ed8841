// Gates: parsing, judging against a result document, and the usage errors for
// targets the document does not have.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/eval/gates.h"

namespace dpeval::eval {
namespace {

using nlohmann::json;

json sample_doc() {
  return json::parse(R"({
    "task": "binary", "n": 1000,
    "metrics": {"accuracy": 0.9, "recall": 0.75, "roc_auc": null},
    "calibration": {"bins": 15, "ece": 0.04, "mce": 0.2,
                    "brier_decomposition": {"reliability": 0.01, "resolution": 0.1, "uncertainty": 0.25}},
    "slices": {"min_slice_size": 30, "columns": {
      "region": [{"value": "north", "n": 400, "metrics": {"recall": 0.6}},
                 {"value": "south", "n": 600, "metrics": {"recall": 0.85}}],
      "region\u00d7device": [{"value": "north\u00d7ios", "n": 100, "metrics": {"recall": 0.5}}]}},
    "fairness": {"sensitive": "sex", "equalized_odds_difference": 0.12, "demographic_parity_ratio": null}
  })");
}

std::vector<GateResult> judge(std::vector<std::string> exprs) { return evaluate_gates(sample_doc(), exprs); }

TEST(Gates, ParsesEveryOperatorAndScope) {
  EXPECT_EQ(parse_gate("accuracy < 0.85").op, GateOp::kLess);
  EXPECT_EQ(parse_gate("accuracy<=0.85").op, GateOp::kLessEqual);
  EXPECT_EQ(parse_gate(" ece > 0.05 ").op, GateOp::kGreater);
  EXPECT_EQ(parse_gate("ece >= 5e-2").threshold, 0.05);
  EXPECT_EQ(parse_gate("n == 10").op, GateOp::kEqual);
  EXPECT_EQ(parse_gate("n != 10").op, GateOp::kNotEqual);
  const GateExpr s = parse_gate("slice:region=north:recall < 0.7");
  EXPECT_EQ(s.scope, GateExpr::Scope::kSlice);
  ASSERT_EQ(s.slice.size(), 1u);
  EXPECT_EQ(s.slice[0].first, "region");
  EXPECT_EQ(s.slice[0].second, "north");
  EXPECT_EQ(s.metric, "recall");
  EXPECT_EQ(parse_gate("slice:region=north&device=ios:recall < 0.7").slice.size(), 2u);
  const GateExpr f = parse_gate("fairness:equalized_odds_difference > 0.1");
  EXPECT_EQ(f.scope, GateExpr::Scope::kFairness);
  EXPECT_EQ(f.metric, "equalized_odds_difference");
}

TEST(Gates, MalformedExpressionsAreUsageErrors) {
  for (const char* bad : {"accuracy", "accuracy <", "accuracy < high", "< 0.5", "accuracy = 0.5", "accuracy < nan",
                          "accuracy < 0x10", "accuracy < 0x1p3", "accuracy < 1,5", "accuracy < inf",
                          "slice:north:recall < 0.5", "slice:region=north < 0.5", "acc uracy < 0.5"}) {
    EXPECT_THROW(parse_gate(bad), UsageError) << bad;
  }
}

TEST(Gates, AGateFailsWhenItsExpressionHolds) {
  const auto r = judge({"accuracy < 0.85", "accuracy < 0.95", "ece > 0.05", "mce > 0.1", "resolution < 0.05",
                        "n >= 1000", "slice:region=north:recall < 0.7", "slice:region=south:recall < 0.7",
                        "slice:region=north&device=ios:recall < 0.7", "slice:region=south:n < 500",
                        "fairness:equalized_odds_difference > 0.1"});
  const std::vector<bool> passed = {true, false, true, false, true, false, false, true, false, true, false};
  ASSERT_EQ(r.size(), passed.size());
  for (size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r[i].passed, passed[i]) << r[i].expression;
  EXPECT_DOUBLE_EQ(*r[0].value, 0.9);
  EXPECT_DOUBLE_EQ(*r[6].value, 0.6);
  EXPECT_DOUBLE_EQ(*r[8].value, 0.5);
}

TEST(Gates, AnUndefinedValueFailsTheGate) {
  const auto r = judge({"roc_auc < 0.5", "fairness:demographic_parity_ratio < 0.8"});
  for (const GateResult& g : r) {
    EXPECT_FALSE(g.value.has_value());
    EXPECT_FALSE(g.passed) << g.expression;
  }
  const json j = gates_to_json(r);
  EXPECT_TRUE(j[0]["value"].is_null());
  EXPECT_EQ(j[0]["expression"], "roc_auc < 0.5");
  EXPECT_EQ(j[0]["passed"], false);
}

TEST(Gates, UnknownTargetsAreUsageErrorsNamingWhatExists) {
  const auto message = [](const std::string& expr) {
    try {
      judge({expr});
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("rmse > 1").find("known: accuracy, recall, roc_auc"), std::string::npos) << message("rmse > 1");
  EXPECT_NE(message("slice:city=paris:recall < 1").find("sliced by: region"), std::string::npos);
  EXPECT_NE(message("slice:region=east:recall < 1").find("no slice with value 'east'"), std::string::npos);
  EXPECT_NE(message("slice:region=north:f1 < 1").find("no metric 'f1'"), std::string::npos);
  EXPECT_NE(message("fairness:nope > 1").find("fairness figure 'nope'"), std::string::npos);
  const json bare = json::parse(R"({"task": "binary", "n": 3, "metrics": {"accuracy": 1}})");
  const std::vector<std::string> slice_gate = {"slice:region=north:recall < 0.7"};
  EXPECT_THROW(evaluate_gates(bare, slice_gate), UsageError);
  const std::vector<std::string> fair_gate = {"fairness:equalized_odds_difference > 0.1"};
  EXPECT_THROW(evaluate_gates(bare, fair_gate), UsageError);
}

}  // namespace
}  // namespace dpeval::eval
