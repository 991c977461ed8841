// Checked reads of the drift document and its reading order (see drift_data.h).
#include "dpeval/report/internal/drift_data.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>

#include "dpeval/core/error.h"

namespace dpeval::report::internal {
namespace {

const DocumentReader& R = kDriftDocument;

// ColumnEntry.metrics keys in reading order: the tests' statistics and p-values, then the distances.
constexpr std::array kMetricOrder = {"ks_statistic", "ks_pvalue",   "ks_pvalue_exact", "chi2_statistic",
                                     "chi2_pvalue",  "z_pvalue",    "wasserstein",     "wasserstein_normed",
                                     "psi",          "js_distance", "kl_divergence"};

constexpr std::array kPValueMethods = {"ks", "chisquare", "z"};
constexpr std::array kDistanceMethods = {"wasserstein", "psi", "js", "kl"};

template <size_t N>
bool contains(const std::array<const char*, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

size_t metric_rank(const std::string& key) {
  return static_cast<size_t>(std::find(kMetricOrder.begin(), kMetricOrder.end(), key) - kMetricOrder.begin());
}

// A number that must be there (an element of a share or edge list).
double required_number(const Json& value, const std::string& path) {
  if (!value.is_number()) R.throw_bad_part(path, "a number", value);
  return value.get<double>();
}

std::vector<double> number_list(const Json& object, std::string_view key, const std::string& path) {
  const Json* list = R.array_member(object, key, path);
  std::string list_path = join_path(path, key);
  if (!list) R.throw_bad_part(list_path, "an array of numbers", Json());
  std::vector<double> out;
  for (size_t i = 0; i < list->size(); ++i)
    out.push_back(required_number((*list)[i], index_path(list_path, i)));
  return out;
}

std::vector<std::string> string_list(const Json& object, std::string_view key, const std::string& path) {
  std::vector<std::string> out;
  const Json* list = R.array_member(object, key, path);
  if (!list) return out;
  std::string list_path = join_path(path, key);
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& entry = (*list)[i];
    if (!entry.is_string()) R.throw_bad_part(index_path(list_path, i), "a string", entry);
    out.push_back(entry.get<std::string>());
  }
  return out;
}

DriftSource read_source(const Json& doc, std::string_view key) {
  DriftSource source;
  const Json* entry = R.object_member(doc, key, "");
  if (!entry) return source;
  std::string path(key);
  source.source = R.string_member(*entry, "source", path);
  source.kind = R.string_member(*entry, "kind", path);
  source.sha256 = R.string_member(*entry, "sha256", path);
  source.rows = R.number_member(*entry, "rows", path);
  return source;
}

DriftCategory read_share_pair(const Json& entry, const std::string& path, std::string value) {
  return {std::move(value), R.number_member(entry, "reference", path).value_or(0),
          R.number_member(entry, "current", path).value_or(0)};
}

// distribution: null, a histogram or categories.
void read_distribution(const Json& entry, const std::string& path, DriftColumn& column) {
  const Json* distribution = R.object_member(entry, "distribution", path);
  if (!distribution) return;
  std::string d_path = join_path(path, "distribution");
  std::string type = R.string_member(*distribution, "type", d_path);
  if (type == "histogram") {
    DriftHistogram h{number_list(*distribution, "edges", d_path),
                     number_list(*distribution, "reference", d_path),
                     number_list(*distribution, "current", d_path)};
    if (h.edges.size() < 2 || h.reference.size() != h.edges.size() - 1 ||
        h.current.size() != h.reference.size()) {
      throw InputError("drift document: " + d_path +
                       ": expected reference and current shares for each of the " + "edges - 1 bins, got " +
                       std::to_string(h.edges.size()) + " edges, " + std::to_string(h.reference.size()) +
                       " reference and " + std::to_string(h.current.size()) + " current shares");
    }
    column.histogram = std::move(h);
  } else if (type == "categories") {
    DriftCategories c;
    const Json* list = R.array_member(*distribution, "categories", d_path);
    std::string list_path = join_path(d_path, "categories");
    for (size_t i = 0; list && i < list->size(); ++i) {
      std::string item_path = index_path(list_path, i);
      const Json& item = (*list)[i];
      if (!item.is_object()) R.throw_bad_part(item_path, "an object", item);
      const Json* value = R.member(item, "value", item_path);
      c.categories.push_back(read_share_pair(item, item_path, value ? scalar_text(*value) : "(missing)"));
    }
    if (const Json* other = R.object_member(*distribution, "other", d_path))
      c.other = read_share_pair(*other, join_path(d_path, "other"), "(other)");
    column.categories = std::move(c);
  } else {
    R.throw_bad_part(join_path(d_path, "type"), "\"histogram\" or \"categories\"",
                     distribution->value("type", Json()));
  }
}

DriftColumn read_column(const Json& entry, const std::string& path, size_t index) {
  if (!entry.is_object()) R.throw_bad_part(path, "an object", entry);
  DriftColumn c;
  c.index = index;
  c.name = R.string_member(entry, "name", path);
  c.kind = R.string_member(entry, "kind", path);
  c.role = R.string_member(entry, "role", path);
  c.method = R.string_member(entry, "method", path);
  c.statistic = R.number_member(entry, "statistic", path);
  c.p_value = R.number_member(entry, "p_value", path);
  c.p_value_adjusted = R.number_member(entry, "p_value_adjusted", path);
  c.threshold = R.number_member(entry, "threshold", path);
  c.drift = R.bool_member(entry, "drift", path).value_or(false);
  c.drift_after_correction = R.bool_member(entry, "drift_after_correction", path);
  c.n_reference = R.number_member(entry, "n_reference", path);
  c.n_current = R.number_member(entry, "n_current", path);
  c.missing_reference = R.number_member(entry, "missing_reference", path);
  c.missing_current = R.number_member(entry, "missing_current", path);
  if (contains(kDistanceMethods, c.method)) {
    c.test = DriftTest::kDistance;
  } else if (!contains(kPValueMethods, c.method) && !c.p_value) {
    c.test = DriftTest::kDistance;
  }
  if (const Json* metrics = R.object_member(entry, "metrics", path)) {
    std::string m_path = join_path(path, "metrics");
    for (const auto& [key, value] : metrics->items())
      c.metrics.push_back({key, R.number_member(*metrics, key, m_path)});
    std::stable_sort(c.metrics.begin(), c.metrics.end(), [](const DriftMetric& a, const DriftMetric& b) {
      return metric_rank(a.key) < metric_rank(b.key);
    });
  }
  c.notes = string_list(entry, "notes", path);
  read_distribution(entry, path, c);
  return c;
}

std::vector<DriftColumn> read_column_list(const Json& doc, std::string_view key) {
  std::vector<DriftColumn> out;
  const Json* list = R.array_member(doc, key, "");
  for (size_t i = 0; list && i < list->size(); ++i)
    out.push_back(read_column((*list)[i], index_path(key, i), i));
  return out;
}

std::optional<ModelDrift> read_model_drift(const Json& doc) {
  const Json* entry = R.object_member(doc, "model_drift", "");
  if (!entry) return std::nullopt;
  const std::string path = "model_drift";
  ModelDrift m;
  m.method = R.string_member(*entry, "method", path);
  m.model = R.string_member(*entry, "model", path);
  m.auc = R.number_member(*entry, "auc", path);
  m.confidence = R.number_member(*entry, "confidence", path);
  m.threshold = R.number_member(*entry, "threshold", path);
  if (const Json* ci = R.array_member(*entry, "auc_ci", path)) {
    std::string ci_path = join_path(path, "auc_ci");
    if (ci->size() != 2) R.throw_bad_part(ci_path, "[lo, hi]", *ci);
    if (!(*ci)[0].is_null() && !(*ci)[1].is_null())
      m.auc_interval = Interval{required_number((*ci)[0], index_path(ci_path, 0)),
                                required_number((*ci)[1], index_path(ci_path, 1))};
  }
  m.drift = R.bool_member(*entry, "drift", path);
  m.n_train = R.number_member(*entry, "n_train", path);
  m.n_test = R.number_member(*entry, "n_test", path);
  m.n_reference = R.number_member(*entry, "n_reference", path);
  m.n_current = R.number_member(*entry, "n_current", path);
  m.seed = R.number_member(*entry, "seed", path);
  m.bootstrap_resamples = R.number_member(*entry, "bootstrap_resamples", path);
  m.epochs = R.number_member(*entry, "epochs", path);
  return m;
}

std::optional<MultipleTesting> read_multiple_testing(const Json& doc) {
  const Json* entry = R.object_member(doc, "multiple_testing", "");
  if (!entry) return std::nullopt;
  const std::string path = "multiple_testing";
  return MultipleTesting{R.string_member(*entry, "method", path), R.number_member(*entry, "alpha", path),
                         R.number_member(*entry, "columns_tested", path),
                         string_list(*entry, "drifted_after_correction", path)};
}

std::vector<Gate> read_drift_gates(const Json& doc) {
  std::vector<Gate> gates;
  const Json* list = R.array_member(doc, "gates", "");
  for (size_t i = 0; list && i < list->size(); ++i) {
    std::string path = index_path("gates", i);
    const Json& entry = (*list)[i];
    if (!entry.is_object()) R.throw_bad_part(path, "an object", entry);
    std::optional<bool> passed = R.bool_member(entry, "passed", path);
    if (!passed) R.throw_bad_part(join_path(path, "passed"), "true or false", Json());
    gates.push_back(
        {R.string_member(entry, "expression", path), R.number_member(entry, "value", path), *passed});
  }
  return gates;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether `word` stands in `note` as a whole word ("ks_pvalue" is not in "ks_pvalue_exact").
bool has_word(std::string_view note, std::string_view word) {
  for (size_t at = note.find(word); at != std::string_view::npos; at = note.find(word, at + 1)) {
    size_t end = at + word.size();
    if ((at == 0 || !word_char(note[at - 1])) && (end == note.size() || !word_char(note[end]))) return true;
  }
  return false;
}

// "p_value" names itself, "p value" and "p-value" too.
bool names_key(std::string_view note, std::string_view key) {
  std::string spaced(key), hyphened(key);
  std::replace(spaced.begin(), spaced.end(), '_', ' ');
  std::replace(hyphened.begin(), hyphened.end(), '_', '-');
  return has_word(note, key) || has_word(note, spaced) || has_word(note, hyphened);
}

}  // namespace

DriftDocument read_drift_document(const Json& doc) {
  if (!doc.is_object()) R.throw_bad_part("", "an object", doc);
  const Json* schema = R.member(doc, "schema", "");
  if (!schema || !schema->is_string() || schema->get<std::string>() != kDriftSchema) {
    throw InputError("drift document: schema: expected \"" + std::string(kDriftSchema) + "\", got " +
                     (schema ? schema->dump() : std::string("nothing")) + " (not a `dpeval drift` document)");
  }
  const Json* columns = R.member(doc, "columns", "");
  if (!columns || !columns->is_array())
    R.throw_bad_part("columns", "an array of column entries", columns ? *columns : Json());

  DriftDocument d;
  d.version = R.string_member(doc, "dpeval_version", "");
  d.method = R.string_member(doc, "method", "");
  d.reference = read_source(doc, "reference");
  d.current = read_source(doc, "current");
  d.n_reference = R.number_member(doc, "n_reference", "");
  d.n_current = R.number_member(doc, "n_current", "");
  d.drift_share = R.number_member(doc, "drift_share", "");
  d.share_drifted = R.number_member(doc, "share_drifted", "");
  d.dataset_drift = R.bool_member(doc, "dataset_drift", "");
  d.drifted_columns = string_list(doc, "drifted_columns", "");
  d.multiple_testing = read_multiple_testing(doc);
  d.columns = read_column_list(doc, "columns");
  sort_drift_columns(d.columns);
  double drifted = static_cast<double>(
      std::count_if(d.columns.begin(), d.columns.end(), [](const DriftColumn& c) { return c.drift; }));
  d.n_columns = R.number_member(doc, "n_columns", "").value_or(static_cast<double>(d.columns.size()));
  d.n_drifted = R.number_member(doc, "n_drifted", "").value_or(drifted);
  if (const Json* label = R.member(doc, "label", "")) d.label = read_column(*label, "label", 0);
  d.predictions = read_column_list(doc, "predictions");
  d.model_drift = read_model_drift(doc);
  d.gates = read_drift_gates(doc);
  return d;
}

std::optional<double> drift_excess(const DriftColumn& column) {
  if (column.test == DriftTest::kPValue) {
    if (!column.p_value || !column.threshold || *column.threshold <= 0) return std::nullopt;
    if (*column.p_value <= 0) return std::numeric_limits<double>::infinity();
    return *column.threshold / *column.p_value;
  }
  if (!column.statistic || !column.threshold || *column.threshold <= 0) return std::nullopt;
  return *column.statistic / *column.threshold;
}

void sort_drift_columns(std::vector<DriftColumn>& columns) {
  std::stable_sort(columns.begin(), columns.end(), [](const DriftColumn& a, const DriftColumn& b) {
    if (a.drift != b.drift) return a.drift;
    std::optional<double> x = drift_excess(a), y = drift_excess(b);
    if (x.has_value() != y.has_value()) return x.has_value();
    return x && *x > *y;
  });
}

std::string drift_null_reason(const DriftColumn& column, std::string_view key) {
  std::string out;
  for (const std::string& note : column.notes)
    if (names_key(note, key)) out += (out.empty() ? "" : "; ") + note;
  return out;
}

std::string sha256_prefix(std::string_view sha256) { return std::string(sha256.substr(0, 12)); }

}  // namespace dpeval::report::internal
