// Header -> PredictionPlan for CSV prediction files (prediction_plan.h).
#include "dpeval/eval/internal/prediction_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "dpeval/core/error.h"
#include "dpeval/data/text.h"

namespace dpeval::eval::internal {
namespace {

using data::quote_excerpt;

constexpr size_t kNone = std::numeric_limits<size_t>::max();

class PlanBuilder {
 public:
  PlanBuilder(std::string_view source, const ReadOptions& options, std::vector<std::string> names,
              uint64_t header_line)
      : source_(source), options_(options) {
    plan_.task = options.task;
    plan_.header_line = header_line;
    plan_.names = std::move(names);
    plan_.roles.resize(plan_.width());
    plan_.key_of.assign(plan_.width(), -1);
  }

  PredictionPlan build() {
    const PredictionColumns& c = options_.columns;
    assign(require(c.label, "label"), {ColumnDest::kLabel, label_kind(), 0}, "the label");
    switch (options_.task) {
      case Task::binary:
        assign(require(c.score, "score"), {ColumnDest::kValue, CellKind::kProbability, 0}, "the score");
        break;
      case Task::regression:
        assign(require(c.prediction, "prediction"), {ColumnDest::kValue, CellKind::kFinite, 0},
               "the prediction");
        break;
      case Task::multiclass:
        plan_multiclass();
        break;
    }
    for (const std::string& name : options_.keep_columns) {
      if (std::find(plan_.keys.begin(), plan_.keys.end(), name) != plan_.keys.end()) continue;
      const size_t j = find(name);
      if (j == kNone) {
        throw InputError(at() + fmt::format("no column {} to keep for slicing; the header has {}",
                                            quote_excerpt(name), header_list()));
      }
      plan_.key_of[j] = static_cast<int32_t>(plan_.keys.size());
      plan_.keys.push_back(name);
    }
    return std::move(plan_);
  }

 private:
  std::string at() const { return fmt::format("{}:{}: ", source_, plan_.header_line); }

  CellKind label_kind() const {
    switch (options_.task) {
      case Task::binary:
        return CellKind::kBinaryLabel;
      case Task::multiclass:
        return CellKind::kClassLabel;
      case Task::regression:
        return CellKind::kFinite;
    }
    return CellKind::kFinite;
  }

  void plan_multiclass() {
    const PredictionColumns& c = options_.columns;
    const std::vector<size_t> probs = find_indexed(c.prob_prefix, "probability");
    std::vector<size_t> logits;
    if (options_.want_logits) logits = find_indexed(c.logit_prefix, "logit");
    if (probs.empty() && logits.empty()) {
      const std::string want = options_.want_logits
                                   ? fmt::format(
                                         "logit columns {0}0, {0}1, ... (or probability columns "
                                         "{1}0, {1}1, ... beside them)",
                                         c.logit_prefix, c.prob_prefix)
                                   : fmt::format("class probability columns {0}0, {0}1, ...", c.prob_prefix);
      throw_missing(want,
                    fmt::format("--prob-prefix chooses another prefix than {}", quote_excerpt(c.prob_prefix)),
                    true);
    }
    if (options_.want_logits && logits.empty()) {
      throw InputError(at() + fmt::format("no logit columns {0}0, {0}1, ...; the header has {1} (logits "
                                          "were asked for, for recalibration)",
                                          c.logit_prefix, header_list()));
    }
    if (!probs.empty() && !logits.empty() && probs.size() != logits.size()) {
      throw InputError(at() + fmt::format("{} probability columns but {} logit columns; expected one of each "
                                          "per class",
                                          probs.size(), logits.size()));
    }
    plan_.num_classes = std::max(probs.size(), logits.size());
    plan_.has_probs = !probs.empty();
    plan_.has_logits = !logits.empty();
    for (size_t k = 0; k < probs.size(); ++k) {
      assign(probs[k], {ColumnDest::kProb, CellKind::kProbability, static_cast<uint32_t>(k)},
             "a probability");
    }
    for (size_t k = 0; k < logits.size(); ++k) {
      assign(logits[k], {ColumnDest::kLogit, CellKind::kFinite, static_cast<uint32_t>(k)}, "a logit");
    }
    if (plan_.has_probs) {
      plan_.prob_columns =
          quote_excerpt(plan_.names[probs.front()]) + ".." + quote_excerpt(plan_.names[probs.back()]);
    }
  }

  // Index of the column called `name`, kNone when there is none. Throws when
  // two columns have that name.
  size_t find(std::string_view name) const {
    size_t found = kNone;
    for (size_t j = 0; j < plan_.width(); ++j) {
      if (plan_.names[j] != name) continue;
      if (found != kNone) {
        throw InputError(at() + fmt::format("column name {} appears twice (columns {} and {}); expected "
                                            "it once",
                                            quote_excerpt(name), found + 1, j + 1));
      }
      found = j;
    }
    return found;
  }

  size_t require(std::string_view name, std::string_view role) const {
    const size_t j = find(name);
    if (j == kNone) {
      const std::string hint = role == "label"   ? "--label-col names another label column"
                               : role == "score" ? "--score-col names another score column"
                                                 : "regression reads the columns 'label' and 'prediction'";
      throw_missing(fmt::format("{} column {}", role, quote_excerpt(name)), hint, role != "label");
    }
    return j;
  }

  // The columns <prefix>0 .. <prefix>{K-1}, by class; empty when no header
  // name is <prefix><digits>. Throws for a gap, a leading zero or K = 1.
  std::vector<size_t> find_indexed(std::string_view prefix, std::string_view what) const {
    std::vector<size_t> by_class;
    for (size_t j = 0; j < plan_.width(); ++j) {
      const std::string_view name = plan_.names[j];
      if (!name.starts_with(prefix) || name.size() == prefix.size()) continue;
      const std::string_view digits = name.substr(prefix.size());
      if (!std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        continue;
      if ((digits.size() > 1 && digits[0] == '0') || digits.size() > 6) {
        throw InputError(at() + fmt::format("column {}: expected {} columns named {}0, {}1, ... without "
                                            "leading zeros (at most 999999)",
                                            quote_excerpt(name), what, prefix, prefix));
      }
      const size_t k = std::stoul(std::string(digits));
      if (k >= by_class.size()) by_class.resize(k + 1, kNone);
      if (by_class[k] != kNone) {
        throw InputError(at() +
                         fmt::format("column name {} appears twice (columns {} and {}); expected it once",
                                     quote_excerpt(name), by_class[k] + 1, j + 1));
      }
      by_class[k] = j;
    }
    for (size_t k = 0; k < by_class.size(); ++k) {
      if (by_class[k] == kNone) {
        throw InputError(at() +
                         fmt::format("{} columns {}0..{}{} are not contiguous: {} is missing; expected "
                                     "{}0 .. {}{{K-1}}",
                                     what, prefix, prefix, by_class.size() - 1,
                                     quote_excerpt(fmt::format("{}{}", prefix, k)), prefix, prefix));
      }
    }
    if (by_class.size() == 1) {
      throw InputError(at() + fmt::format("only one {} column {}; expected K >= 2 columns {}0 .. {}{{K-1}}",
                                          what, quote_excerpt(plan_.names[by_class[0]]), prefix, prefix));
    }
    return by_class;
  }

  void assign(size_t j, ColumnRole role, std::string_view what) {
    if (plan_.roles[j].dest != ColumnDest::kSkip) {
      throw ConfigError(fmt::format("{}: column {} is asked to be both {} and {}; check the column options",
                                    source_, quote_excerpt(plan_.names[j]), role_name(plan_.roles[j]), what));
    }
    plan_.roles[j] = role;
  }

  static std::string_view role_name(const ColumnRole& role) {
    switch (role.dest) {
      case ColumnDest::kLabel:
        return "the label";
      case ColumnDest::kValue:
        return "the score or prediction";
      case ColumnDest::kProb:
        return "a probability";
      case ColumnDest::kLogit:
        return "a logit";
      case ColumnDest::kSkip:
        break;
    }
    return "skipped";
  }

  std::string header_list() const {
    std::string out;
    for (size_t j = 0; j < plan_.width() && j < 20; ++j)
      out += (j ? ", " : "") + quote_excerpt(plan_.names[j]);
    if (plan_.width() > 20) out += fmt::format(", ... ({} in all)", plan_.width());
    return out;
  }

  // "no score column 'score'; the header has 'label', 'prob_0', 'prob_1' (is
  // this --task multiclass? ...)".
  // `guess_task`: whether another task's columns may explain the absence.
  [[noreturn]] void throw_missing(std::string_view what, std::string_view option_hint,
                                  bool guess_task) const {
    const PredictionColumns& c = options_.columns;
    std::string hint;
    if (plan_.width() == 1) {
      for (char d : {';', '\t', '|'}) {
        if (plan_.names[0].find(d) != std::string::npos) {
          hint = fmt::format("the header has a single column: is the file delimited by {}? Only ',' is read",
                             quote_excerpt(std::string_view(&d, 1)));
          break;
        }
      }
    }
    const auto has = [&](const std::string& name) {
      return std::find(plan_.names.begin(), plan_.names.end(), name) != plan_.names.end();
    };
    if (hint.empty() && guess_task) {
      const bool probs = has(c.prob_prefix + "0"), score = has(c.score), prediction = has(c.prediction);
      const char* guess = nullptr;
      if (options_.task != Task::multiclass && probs) guess = "multiclass";
      if (options_.task != Task::binary && score && !probs) guess = "binary";
      if (options_.task != Task::regression && prediction && !score && !probs) guess = "regression";
      if (guess != nullptr) {
        hint = fmt::format("the columns look like --task {} predictions, and this is --task {}", guess,
                           task_name(options_.task));
      }
    }
    if (hint.empty()) hint = option_hint;
    throw InputError(at() + fmt::format("no {}; the header has {} ({})", what, header_list(), hint));
  }

  std::string_view source_;
  const ReadOptions& options_;
  PredictionPlan plan_;
};

}  // namespace

PredictionPlan make_prediction_plan(std::string_view source, const ReadOptions& options,
                                    std::vector<std::string> names, uint64_t header_line) {
  return PlanBuilder(source, options, std::move(names), header_line).build();
}

}  // namespace dpeval::eval::internal
