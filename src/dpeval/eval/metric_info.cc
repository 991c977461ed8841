// The table of metric keys: direction, range, degenerate-input behaviour.
#include "dpeval/eval/metric_info.h"

#include <array>
#include <limits>
#include <span>

namespace dpeval::eval {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::string_view kEmptyNull = "null on empty input";
constexpr std::string_view kCountOneClass = "null on empty input; defined with one class";
constexpr std::string_view kZeroDivision =
    "null on empty input; 0.0 with a warning when its denominator is 0 (sklearn zero_division)";
constexpr std::string_view kMcc =
    "null on empty input; 0.0 with a warning when prediction or target is constant";
constexpr std::string_view kKappa = "null on empty input, and when target and prediction are one same class";
constexpr std::string_view kRanking = "null on empty input or when the labels hold one class only";

constexpr std::array kInfos = {
    MetricInfo{"accuracy", true, 0, 1, kCountOneClass},
    MetricInfo{"balanced_accuracy", true, 0, 1,
               "null on empty input; mean recall over classes in the labels"},
    MetricInfo{"precision", true, 0, 1, kZeroDivision},
    MetricInfo{"recall", true, 0, 1, kZeroDivision},
    MetricInfo{"f1", true, 0, 1, kZeroDivision},
    MetricInfo{"precision_macro", true, 0, 1, kZeroDivision},
    MetricInfo{"recall_macro", true, 0, 1, kZeroDivision},
    MetricInfo{"f1_macro", true, 0, 1, kZeroDivision},
    MetricInfo{"f1_weighted", true, 0, 1, kZeroDivision},
    MetricInfo{"mcc", true, -1, 1, kMcc},
    MetricInfo{"cohen_kappa", true, -1, 1, kKappa},
    MetricInfo{"roc_auc", true, 0, 1, kRanking},
    MetricInfo{"roc_auc_ovr_macro", true, 0, 1,
               "null on empty input or when any class is absent from the labels"},
    MetricInfo{"average_precision", true, 0, 1,
               "null on empty input; 0.0 with a warning without positives (sklearn)"},
    MetricInfo{"log_loss", false, 0, kInf, kCountOneClass},
    MetricInfo{"brier", false, 0, 1, kCountOneClass},
    MetricInfo{"top2_accuracy", true, 0, 1, "null on empty input; 1.0 with a warning when K <= 2"},
    MetricInfo{"mse", false, 0, kInf, kEmptyNull},
    MetricInfo{"rmse", false, 0, kInf, kEmptyNull},
    MetricInfo{"mae", false, 0, kInf, kEmptyNull},
    MetricInfo{"r2", true, -kInf, 1, "null on empty input and on a constant target"},
    MetricInfo{"median_absolute_error", false, 0, kInf, kEmptyNull},
    MetricInfo{"max_error", false, 0, kInf, kEmptyNull},
    MetricInfo{"mape", false, 0, kInf,
               "null on empty input; huge (divided by float64 eps) where a target is 0"},
    MetricInfo{"ece", false, 0, 1, kCountOneClass},
    MetricInfo{"mce", false, 0, 1, kCountOneClass},
    MetricInfo{"reliability", false, 0, 1, kCountOneClass},
    MetricInfo{"resolution", true, 0, 0.25, kCountOneClass},
    MetricInfo{"uncertainty", false, 0, 0.25, "null on empty input; 0 with one class"},
};

}  // namespace

std::span<const MetricInfo> metric_infos() { return kInfos; }

const MetricInfo* find_metric_info(std::string_view name) {
  for (const MetricInfo& info : kInfos) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace dpeval::eval
