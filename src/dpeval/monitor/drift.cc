// Per-column drift, the dataset verdict and the drift document (drift.h).
#include "dpeval/monitor/drift.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "dpeval/core/error.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/core/version.h"
#include "dpeval/monitor/domain_classifier.h"
#include "dpeval/stats/binned.h"
#include "dpeval/stats/distributions.h"
#include "dpeval/stats/multiple_testing.h"
#include "dpeval/stats/two_sample.h"

namespace dpeval::monitor {
namespace {

using json = nlohmann::json;

// The largest sample for which the KS decision uses the exact p-value (scipy's 'auto').
constexpr uint64_t kMaxExactKs = 10000;
// Evidently's rule: reference rows at most this -> tests, above -> distances.
constexpr uint64_t kSmallReference = 1000;
// Numeric columns with at most this many distinct values (both sides) are categories.
constexpr uint64_t kMaxNumericAsCategories = 5;
constexpr double kMinNormStd = 0.001;
constexpr size_t kHistogramBins = 20;
constexpr size_t kShownCategories = 20;
// Note [Negligible exact p-values]
// scipy's exact two-sample KS p-value costs up to a second for coprime sizes
// near 10000 and a large D, where the answer is astronomically small. When the
// asymptotic p-value is below kNegligibleP the exact one is below 1e-12 as
// well (both are tails of the same statistic, many orders of magnitude past
// it), so the asymptotic value stands in: equal to scipy's exact value within
// the 1e-12 absolute tolerance of the contract (docs/DRIFT.md), with a note.
constexpr double kNegligibleP = 1e-30;
// Samples at least this large (both sides together) are walked for KS and Wasserstein in two halves.
constexpr uint64_t kConcurrentStatistics = 200000;

enum class Kind : uint8_t { kNumeric, kCategorical, kBinary };
constexpr EnumText<Kind> kKindTexts[] = {
    {Kind::kNumeric, "numeric"}, {Kind::kCategorical, "categorical"}, {Kind::kBinary, "binary"}};
constexpr const auto& enum_texts(Kind) { return kKindTexts; }

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
json num(const std::optional<double>& v) { return v ? num(*v) : json(nullptr); }

bool gives_p_value(DriftMethod m) {
  return m == DriftMethod::kKs || m == DriftMethod::kChiSquare || m == DriftMethod::kZ;
}

double default_threshold(DriftMethod m) { return gives_p_value(m) ? 0.05 : 0.1; }

bool applies(DriftMethod m, Kind k) {
  switch (m) {
    case DriftMethod::kKs:
    case DriftMethod::kWasserstein:
      return k == Kind::kNumeric;
    case DriftMethod::kChiSquare:
      return k != Kind::kNumeric;
    case DriftMethod::kZ:
      return k == Kind::kBinary;
    case DriftMethod::kPsi:
    case DriftMethod::kJs:
    case DriftMethod::kKl:
      return true;
    case DriftMethod::kAuto:
    case DriftMethod::kDomainClassifier:
      return false;
  }
  return false;
}

// Note [Default method].
DriftMethod auto_method(Kind k, uint64_t reference_values) {
  if (reference_values <= kSmallReference) {
    switch (k) {
      case Kind::kNumeric:
        return DriftMethod::kKs;
      case Kind::kCategorical:
        return DriftMethod::kChiSquare;
      case Kind::kBinary:
        return DriftMethod::kZ;
    }
  }
  return k == Kind::kNumeric ? DriftMethod::kWasserstein : DriftMethod::kJs;
}

// Category counts of both sides over the union of their values, ascending by value.
struct Categories {
  std::vector<std::string> values;
  std::vector<double> ref, cur;
};

Categories union_categories(const ColumnProfile& r, const ColumnProfile& c) {
  std::map<std::string, std::pair<double, double>> merged;
  for (const auto& [v, n] : r.categories) merged[v].first += static_cast<double>(n);
  for (const auto& [v, n] : c.categories) merged[v].second += static_cast<double>(n);
  Categories out;
  for (const auto& [v, n] : merged) {
    out.values.push_back(v);
    out.ref.push_back(n.first);
    out.cur.push_back(n.second);
  }
  return out;
}

double sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

struct Figures {
  json metrics = json::object();
  std::map<DriftMethod, double> statistic;  // what each method's verdict reads
  std::map<DriftMethod, double> p_value;
  std::vector<std::string> notes;
  json distribution = nullptr;
};

json histogram(std::span<const double> a, std::span<const double> b) {
  const double lo = std::min(a.front(), b.front()), hi = std::max(a.back(), b.back());
  const size_t bins = hi > lo ? kHistogramBins : 1;
  std::vector<double> edges(bins + 1);
  for (size_t i = 0; i <= bins; ++i)
    edges[i] = i == bins ? hi : lo + (hi - lo) * static_cast<double>(i) / bins;
  auto shares = [&](std::span<const double> v) {
    std::vector<double> s(bins);
    size_t below = 0;
    for (size_t i = 0; i < bins; ++i) {
      const size_t upto =
          i + 1 == bins ? v.size()
                        : static_cast<size_t>(std::lower_bound(v.begin(), v.end(), edges[i + 1]) - v.begin());
      s[i] = static_cast<double>(upto - below) / static_cast<double>(v.size());
      below = upto;
    }
    return s;
  };
  return {{"type", "histogram"}, {"edges", edges}, {"reference", shares(a)}, {"current", shares(b)}};
}

json category_bars(const Categories& cats) {
  const double nr = sum(cats.ref), nc = sum(cats.cur);
  std::vector<size_t> order(cats.values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto weight = [&](size_t i) {
    return std::max(nr > 0 ? cats.ref[i] / nr : 0, nc > 0 ? cats.cur[i] / nc : 0);
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return weight(x) > weight(y); });
  json bars = json::array();
  double other_r = 0, other_c = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    const double sr = nr > 0 ? cats.ref[i] / nr : 0, sc = nc > 0 ? cats.cur[i] / nc : 0;
    if (k < kShownCategories) {
      bars.push_back({{"value", cats.values[i]}, {"reference", sr}, {"current", sc}});
    } else {
      other_r += sr;
      other_c += sc;
    }
  }
  json out = {{"type", "categories"}, {"categories", bars}};
  if (order.size() > kShownCategories) out["other"] = {{"reference", other_r}, {"current", other_c}};
  return out;
}

void numeric_figures(const ColumnProfile& r, const ColumnProfile& c, Figures& f) {
  const std::span<const double> a = r.values, b = c.values;
  const uint64_t m = a.size(), n = b.size();
  // One walk over both samples gives KS and Wasserstein; large ones in two halves on two threads.
  const stats::KsWasserstein kw = stats::ks_and_wasserstein(a, b, m + n >= kConcurrentStatistics);
  const double d = kw.ks, w = kw.wasserstein;
  const double p_asymp = stats::ks_2samp_pvalue_asymp(d, m, n);
  std::optional<double> p_exact;
  if (std::max(m, n) <= kMaxExactKs) {
    // See Note [Negligible exact p-values].
    p_exact = p_asymp < kNegligibleP ? p_asymp : stats::ks_2samp_pvalue_exact(d, m, n);
    if (p_asymp < kNegligibleP) {
      f.notes.push_back(
          fmt::format("ks_pvalue_exact: the asymptotic p-value is below {:g}, so the exact one is far "
                      "below 1e-12 too; the asymptotic value stands in for it",
                      kNegligibleP));
    }
  }
  const double norm = std::max(r.std, kMinNormStd);
  if (r.std < kMinNormStd) {
    f.notes.push_back(fmt::format("reference std {:.3g} is below {}: wasserstein_normed divides by {}", r.std,
                                  kMinNormStd, kMinNormStd));
  }
  const std::vector<double> cur_counts = stats::sorted_bin_counts(b, r.decile_edges);
  const std::vector<double> pr = stats::floored_shares(r.decile_counts),
                            pc = stats::floored_shares(cur_counts);
  const double psi = stats::psi(pr, pc), js = stats::js_distance(pr, pc), kl = stats::kl_divergence(pr, pc);
  f.metrics["ks_statistic"] = num(d);
  f.metrics["ks_pvalue"] = num(p_asymp);
  f.metrics["ks_pvalue_exact"] = num(p_exact);
  f.metrics["wasserstein"] = num(w);
  f.metrics["wasserstein_normed"] = num(w / norm);
  f.metrics["psi"] = num(psi);
  f.metrics["js_distance"] = num(js);
  f.metrics["kl_divergence"] = num(kl);
  f.statistic[DriftMethod::kKs] = d;
  f.p_value[DriftMethod::kKs] = p_exact ? *p_exact : p_asymp;
  f.statistic[DriftMethod::kWasserstein] = w / norm;
  f.statistic[DriftMethod::kPsi] = psi;
  f.statistic[DriftMethod::kJs] = js;
  f.statistic[DriftMethod::kKl] = kl;
  if (r.sampled) {
    f.notes.push_back(
        fmt::format("the reference has {} values; KS and Wasserstein compare a seeded sample of {} of them "
                    "(the deciles, mean and std are over all)",
                    r.values_total, m));
  }
  f.distribution = histogram(a, b);
}

void categorical_figures(const Categories& cats, Kind kind, Figures& f) {
  const stats::ChiSquared chi = stats::chi2_homogeneity(cats.ref, cats.cur);
  const double js = stats::js_distance(cats.ref, cats.cur);
  const std::vector<double> pr = stats::floored_shares(cats.ref), pc = stats::floored_shares(cats.cur);
  const double psi = stats::psi(pr, pc);
  f.metrics["chi2_statistic"] = num(chi.statistic);
  f.metrics["chi2_pvalue"] = num(chi.p_value);
  f.metrics["js_distance"] = num(js);
  f.metrics["psi"] = num(psi);
  f.statistic[DriftMethod::kChiSquare] = chi.statistic;
  f.p_value[DriftMethod::kChiSquare] = chi.p_value;
  f.statistic[DriftMethod::kJs] = js;
  f.statistic[DriftMethod::kPsi] = psi;
  f.statistic[DriftMethod::kKl] = stats::kl_divergence(pr, pc);
  f.metrics["kl_divergence"] = num(f.statistic[DriftMethod::kKl]);
  if (kind == Kind::kBinary) {
    const stats::ZTest z = stats::two_proportion_z(cats.ref.empty() ? 0 : cats.ref[0], sum(cats.ref),
                                                   cats.cur.empty() ? 0 : cats.cur[0], sum(cats.cur));
    f.metrics["z_pvalue"] = num(z.p_value);
    f.statistic[DriftMethod::kZ] = z.z;
    f.p_value[DriftMethod::kZ] = z.p_value;
  }
  if (chi.dof == 0)
    f.notes.push_back(
        "fewer than two categories in all: the chi-squared test has nothing to compare (p = 1)");
  f.distribution = category_bars(cats);
}

struct Sides {
  const Profile& reference;
  const Profile& current;
};

std::string known_columns(const Profile& p) {
  std::string out;
  for (const ColumnProfile& c : p.columns) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

std::string where(const Profile& p) { return p.from_profile_file ? p.profile_path : p.source; }

// The type check: both sides numbers, or both categories.
void check_same_type(const Sides& s, const ColumnProfile& r, const ColumnProfile& c) {
  if (r.count == 0 || c.count == 0 || r.numeric == c.numeric) return;
  const ColumnProfile& text_side = r.numeric ? c : r;
  const Profile& text_profile = r.numeric ? s.current : s.reference;
  const std::string line =
      text_side.first_text_line ? fmt::format(", first at line {}", text_side.first_text_line) : "";
  throw InputError(fmt::format(
      "column '{}' is {} in the reference ({}) but {} in the current ({}): its type differs between the two "
      "(text cells in {}{}); fix the data, or declare it with --categorical {}",
      r.name, r.numeric ? "numeric" : "categorical (text)", where(s.reference),
      c.numeric ? "numeric" : "categorical (text)", where(s.current), where(text_profile), line, r.name));
}

// `cats`: the union of both sides' categories, or null when a side kept none.
Kind column_kind(const ColumnProfile& r, const ColumnProfile& c, const Categories* cats) {
  const bool numeric = (r.count == 0 || r.numeric) && (c.count == 0 || c.numeric);
  if (numeric && (r.distinct > kMaxNumericAsCategories || c.distinct > kMaxNumericAsCategories))
    return Kind::kNumeric;
  if (!cats) return Kind::kNumeric;  // cannot count the union: many values
  const size_t n_values = cats->values.size();
  if (numeric && n_values > kMaxNumericAsCategories) return Kind::kNumeric;
  if (n_values <= 2) return Kind::kBinary;
  return Kind::kCategorical;
}

json compare_column(const Sides& s, const ColumnProfile& r, const ColumnProfile& c,
                    const DriftOptions& options) {
  check_same_type(s, r, c);
  json entry = {{"name", r.name}, {"role", enum_text(r.role)}};
  Figures f;
  // Values compared: finite numbers, or category cells (+-inf cells are in neither).
  const uint64_t nr = r.numeric ? r.values_total : r.count - r.non_finite;
  const uint64_t nc = c.numeric ? c.values_total : c.count - c.non_finite;
  Kind kind = Kind::kNumeric;
  DriftMethod method = options.method;
  std::optional<double> statistic, p_value;
  if (nr == 0 || nc == 0) {
    kind = r.numeric ? Kind::kNumeric : Kind::kCategorical;
    if (method == DriftMethod::kAuto || method == DriftMethod::kDomainClassifier)
      method = auto_method(kind, nr);
    f.notes.push_back(
        fmt::format("no values in the {}: nothing to compare, no statistic",
                    nr == 0 && nc == 0 ? "reference or the current" : (nr == 0 ? "reference" : "current")));
  } else {
    // Numeric columns of many values keep no categories: no union to build then.
    const bool few_numbers = r.distinct <= kMaxNumericAsCategories && c.distinct <= kMaxNumericAsCategories;
    std::optional<Categories> cats;
    if (r.has_categories && c.has_categories && (!r.numeric || !c.numeric || few_numbers))
      cats = union_categories(r, c);
    kind = column_kind(r, c, cats ? &*cats : nullptr);
    const bool both_numbers = r.numeric && c.numeric;
    if (both_numbers) numeric_figures(r, c, f);
    if (kind != Kind::kNumeric) {
      Figures cat;
      categorical_figures(*cats, kind, cat);
      for (auto& [k, v] : cat.metrics.items()) f.metrics[k] = v;  // the category view decides
      for (auto& [k, v] : cat.statistic) f.statistic[k] = v;
      for (auto& [k, v] : cat.p_value) f.p_value[k] = v;
      f.notes.insert(f.notes.end(), cat.notes.begin(), cat.notes.end());
      f.distribution = cat.distribution;
      if (both_numbers) {
        f.notes.push_back(
            fmt::format("{} distinct values in all: compared as categories (numeric metrics also given)",
                        cats->values.size()));
      }
    }
    const DriftMethod chosen = auto_method(kind, nr);
    if (method == DriftMethod::kAuto || method == DriftMethod::kDomainClassifier) {
      method = chosen;
    } else if (!applies(method, kind)) {
      f.notes.push_back(fmt::format("{} does not apply to a {} column: the default, {}, decides",
                                    enum_text(method), enum_text(kind), enum_text(chosen)));
      method = chosen;
    }
    statistic = f.statistic[method];
    if (gives_p_value(method)) p_value = f.p_value[method];
  }
  const double threshold = options.threshold ? *options.threshold : default_threshold(method);
  bool drift = false;
  if (statistic) drift = p_value ? *p_value < threshold : *statistic >= threshold;
  entry["kind"] = enum_text(kind);
  entry["method"] = enum_text(method);
  entry["statistic"] = num(statistic);
  entry["p_value"] = num(p_value);
  entry["p_value_adjusted"] = nullptr;
  entry["threshold"] = threshold;
  entry["drift"] = drift;
  entry["drift_after_correction"] = nullptr;
  entry["n_reference"] = nr;
  entry["n_current"] = nc;
  entry["missing_reference"] = r.missing;
  entry["missing_current"] = c.missing;
  if (r.non_finite + c.non_finite > 0) {
    f.notes.push_back(fmt::format("+-inf cells left out: {} in the reference, {} in the current",
                                  r.non_finite, c.non_finite));
  }
  for (const auto& [name, value] : f.metrics.items()) {
    if (!value.is_null()) continue;
    if (name == "ks_pvalue_exact") {
      f.notes.push_back(
          fmt::format("ks_pvalue_exact is null: more than {} values on a side, where scipy's 'auto' "
                      "uses the asymptotic p-value too",
                      kMaxExactKs));
    } else {
      f.notes.push_back(fmt::format("{} is null: not defined for these samples", name));
    }
  }
  entry["metrics"] = f.metrics;
  entry["notes"] = f.notes;
  entry["distribution"] = f.distribution;
  return entry;
}

const ColumnProfile& current_column(const Sides& s, const std::string& name, std::string_view what) {
  const ColumnProfile* c = s.current.find(name);
  if (!c) {
    throw InputError(fmt::format("{}: no column '{}' ({} in the reference {}); the current has: {}",
                                 where(s.current), name, what, where(s.reference), known_columns(s.current)));
  }
  return *c;
}

// The rows of an image dataset the domain classifier draws for `side` (its own
// subsample_rows, so it draws them all again and nothing changes), as float32
// in [0, 1], row-major: 10,000 rows, not the 60,000 of a full Fashion-MNIST.
std::vector<float> feature_rows(const data::Dataset& d, const DomainClassifierOptions& dc, uint64_t side) {
  const std::vector<size_t> rows = subsample_rows(d.size(), dc.max_rows_per_side, dc.seed, side);
  const std::vector<uint32_t> index(rows.begin(), rows.end());
  std::vector<float> out(index.size() * static_cast<size_t>(d.sample_numel()));
  d.gather(index, out.data(), nullptr);
  return out;
}

json source_json(const Profile& p) {
  return {{"source", p.source},
          {"kind", enum_text(p.from_profile_file ? SourceKind::kProfile : p.kind)},
          {"sha256", p.sha256},
          {"rows", p.rows},
          {"profile", p.from_profile_file ? json(p.profile_path) : json(nullptr)}};
}

}  // namespace

json drift_document(const Profile& reference, const Profile& current, const DriftOptions& options,
                    const data::Dataset* reference_images, const data::Dataset* current_images) {
  const Sides s{reference, current};
  // Which columns: the named ones, or every feature (and image summary) column of the reference.
  std::vector<const ColumnProfile*> features;
  if (!options.columns.empty()) {
    for (const std::string& name : options.columns) {
      const ColumnProfile* r = reference.find(name);
      if (!r) {
        throw InputError(fmt::format("{}: no column '{}' (--columns); the reference has: {}",
                                     where(reference), name, known_columns(reference)));
      }
      features.push_back(r);
    }
  } else if (!options.predictions_only) {
    for (const ColumnProfile& r : reference.columns) {
      if (r.role == ColumnRole::kFeature || r.role == ColumnRole::kImageSummary) features.push_back(&r);
    }
  }
  for (const std::string& name : options.categorical) {
    if (!reference.find(name)) {
      throw InputError(fmt::format("{}: no column '{}' (--categorical); the reference has: {}",
                                   where(reference), name, known_columns(reference)));
    }
  }
  // Every column is compared on its own: in parallel, one column per task.
  std::vector<json> entries(features.size());
  {
    ThreadPool pool(options.threads);
    std::vector<const ColumnProfile*> currents;
    for (const ColumnProfile* r : features) currents.push_back(&current_column(s, r->name, "a feature"));
    pool.parallel_for(features.size(), [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i)
        entries[i] = compare_column(s, *features[i], *currents[i], options);
    });
  }
  // Benjamini-Hochberg over the columns whose method gives a p-value.
  std::vector<double> ps;
  std::vector<size_t> tested;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i]["p_value"].is_number()) {
      ps.push_back(entries[i]["p_value"].get<double>());
      tested.push_back(i);
    }
  }
  const std::vector<double> adjusted = stats::benjamini_hochberg_adjusted(ps);
  json after = json::array();
  for (size_t k = 0; k < tested.size(); ++k) {
    json& e = entries[tested[k]];
    e["p_value_adjusted"] = adjusted[k];
    e["drift_after_correction"] = adjusted[k] < e["threshold"].get<double>();
    if (e["drift_after_correction"].get<bool>()) after.push_back(e["name"]);
  }
  size_t drifted = 0;
  json drifted_names = json::array();
  for (const json& e : entries) {
    if (e["drift"].get<bool>()) {
      ++drifted;
      drifted_names.push_back(e["name"]);
    }
  }
  const double share =
      entries.empty() ? 0.0 : static_cast<double>(drifted) / static_cast<double>(entries.size());
  // Label and predictions.
  json label = nullptr;
  for (const ColumnProfile& r : reference.columns) {
    if (r.role != ColumnRole::kLabel) continue;
    const ColumnProfile* c = current.find(r.name);
    if (!c) {
      if (options.label_col.empty())
        continue;  // an image set's own labels, absent from an array: nothing to say
      current_column(s, r.name, "--label-col");
    }
    label = compare_column(s, r, *c, options);
  }
  if (!options.label_col.empty() && label.is_null()) current_column(s, options.label_col, "--label-col");
  json predictions = json::array();
  for (const ColumnProfile& r : reference.columns) {
    if (r.role != ColumnRole::kPrediction) continue;
    const ColumnProfile* c = current.find(r.name);
    if (!c) {
      if (r.name != options.prediction_col) continue;
      current_column(s, r.name, "--prediction-col");
    }
    predictions.push_back(compare_column(s, r, *c, options));
  }
  // Images: the domain classifier.
  json model = nullptr;
  std::vector<std::string> notes;
  const bool images =
      reference_images && current_images && reference_images->size() > 0 && current_images->size() > 0;
  if (options.method == DriftMethod::kDomainClassifier && !images) {
    throw UsageError(
        "--method domain-classifier needs images on both sides (fashion-mnist, fashion-mnist-test or .npy "
        "arrays, or a profile of one)");
  }
  if (images) {
    DomainClassifierOptions dc;
    dc.threshold = options.domain_threshold;
    dc.seed = options.seed;
    dc.threads = options.threads;
    const size_t width = static_cast<size_t>(reference_images->sample_numel());
    if (static_cast<size_t>(current_images->sample_numel()) != width) {
      throw InputError(fmt::format(
          "{} has images of {} values, {} of {}: the domain classifier compares images of one size",
          where(reference), width, where(current), current_images->sample_numel()));
    }
    if (std::min(reference_images->size(), current_images->size()) < kDomainClassifierRowsMin) {
      notes.push_back(
          fmt::format("the domain classifier needs at least {} images on each side ({} reference, {} "
                      "current): not run",
                      kDomainClassifierRowsMin, reference_images->size(), current_images->size()));
    } else {
      const std::vector<float> ref_rows = feature_rows(*reference_images, dc, 0);
      const std::vector<float> cur_rows = feature_rows(*current_images, dc, 1);
      model = to_json(domain_classifier_drift({ref_rows, width}, {cur_rows, width}, dc));
    }
  }
  const bool model_drift = model.is_object() && model["drift"].get<bool>();
  json doc = {{"schema", kDriftSchema},
              {"dpeval_version", kVersion},
              {"reference", source_json(reference)},
              {"current", source_json(current)},
              {"n_reference", reference.rows},
              {"n_current", current.rows},
              {"method", enum_text(options.method)},
              {"drift_share", options.drift_share},
              {"columns", entries},
              {"n_columns", entries.size()},
              {"n_drifted", drifted},
              {"share_drifted", share},
              {"dataset_drift", (!entries.empty() && share >= options.drift_share) || model_drift},
              {"drifted_columns", drifted_names},
              {"multiple_testing",
               {{"method", "benjamini-hochberg"},
                {"alpha", options.threshold ? *options.threshold : 0.05},
                {"columns_tested", tested.size()},
                {"drifted_after_correction", after}}},
              {"label", label},
              {"predictions", predictions},
              {"model_drift", model},
              {"notes", notes}};
  if (reference.model) doc["reference_model"] = *reference.model;
  return doc;
}

std::vector<eval::GateResult> evaluate_drift_gates(const json& doc,
                                                   std::span<const std::string> expressions) {
  std::vector<const json*> entries;
  for (const json& e : doc["columns"]) entries.push_back(&e);
  if (doc["label"].is_object()) entries.push_back(&doc["label"]);
  for (const json& e : doc["predictions"]) entries.push_back(&e);
  static const std::vector<std::string> kTop = {"dataset_drift", "share_drifted", "n_drifted",
                                                "n_columns",     "n_reference",   "n_current"};
  static const std::vector<std::string> kFigures = {"drift", "statistic", "p_value", "p_value_adjusted",
                                                    "threshold"};
  auto value_of = [](const json& v) -> std::optional<double> {
    if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
    if (v.is_number()) return v.get<double>();
    return std::nullopt;
  };
  auto valid_names = [&] {
    std::string out;
    for (const std::string& t : kTop) out += t + ", ";
    if (doc["model_drift"].is_object()) out += "auc, ";
    out +=
        "<figure>.<column> with figure one of drift, statistic, p_value, p_value_adjusted, threshold or a "
        "metric "
        "(ks_statistic, ks_pvalue, ks_pvalue_exact, wasserstein, wasserstein_normed, psi, js_distance, "
        "kl_divergence, "
        "chi2_statistic, chi2_pvalue, z_pvalue) and column one of: ";
    for (size_t i = 0; i < entries.size(); ++i)
      out += (i ? ", " : "") + (*entries[i])["name"].get<std::string>();
    return out;
  };
  auto lookup = [&](const eval::GateExpr& g) -> std::optional<double> {
    if (g.scope != eval::GateExpr::Scope::kOverall) {
      throw UsageError(
          fmt::format("--fail-if '{}': drift gates name a figure; valid names: {}", g.text, valid_names()));
    }
    const std::string& name = g.metric;
    if (std::find(kTop.begin(), kTop.end(), name) != kTop.end()) return value_of(doc[name]);
    if (name == "auc" && doc["model_drift"].is_object()) return value_of(doc["model_drift"]["auc"]);
    const size_t dot = name.find('.');
    if (dot != std::string::npos) {
      const std::string figure = name.substr(0, dot), column = name.substr(dot + 1);
      for (const json* e : entries) {
        if ((*e)["name"] != column) continue;
        if (std::find(kFigures.begin(), kFigures.end(), figure) != kFigures.end())
          return value_of((*e)[figure]);
        if ((*e)["metrics"].contains(figure)) return value_of((*e)["metrics"][figure]);
      }
    }
    throw UsageError(
        fmt::format("--fail-if '{}': unknown name '{}'; valid names: {}", g.text, name, valid_names()));
  };
  return eval::evaluate_gates(expressions, lookup);
}

}  // namespace dpeval::monitor
