// Building, writing and reading reference profiles (Note [Profile contents]).
#include "dpeval/monitor/profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>

#include "dpeval/core/base64.h"
#include "dpeval/core/document_schema.h"
#include "dpeval/core/error.h"
#include "dpeval/core/mapped_file.h"
#include "dpeval/core/rng.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/core/version.h"
#include "dpeval/data/number.h"
#include "dpeval/monitor/domain_classifier.h"
#include "dpeval/stats/binned.h"

namespace dpeval::monitor {
namespace {

constexpr uint64_t kSamplePurpose = 0x70726f66696c65;  // "profile": the sample's own stream

// Sum of f(v) over the values, in blocks of 4096 summed in 8 lanes and the
// block sums added in order: pairwise-like accuracy (numpy's sums are pairwise)
// at the speed of a vector loop.
template <typename F>
double blocked_sum(std::span<const double> values, F f) {
  constexpr size_t kBlock = 4096, kLanes = 8;
  double total = 0;
  for (size_t start = 0; start < values.size(); start += kBlock) {
    const size_t end = std::min(values.size(), start + kBlock);
    double lane[kLanes] = {};
    size_t i = start;
    for (; i + kLanes <= end; i += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) lane[l] += f(values[i + l]);
    }
    double block = 0;
    for (; i < end; ++i) block += f(values[i]);
    for (double l : lane) block += l;
    total += block;
  }
  return total;
}

std::string number_category(double v) { return fmt::format("{}", v); }

// Calls f(value, copies) for each run of equal values of an ascending sample.
template <typename F>
void for_each_run(std::span<const double> sorted, F f) {
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    f(sorted[i], static_cast<uint64_t>(j - i));
    i = j;
  }
}

// Counts, moments, deciles and (for at most kMaxNumericCategories distinct
// values, or any number of them when `all_categories`) the category counts of
// an ascending column, then the sample above options.max_values.
void describe_numbers(ColumnProfile& p, Numbers&& sorted, const ProfileOptions& options, uint64_t stream,
                      bool all_categories) {
  const size_t n = sorted.size();
  p.values_total = n;
  if (n == 0) return;
  p.min = sorted.front();
  p.max = sorted.back();
  // Mean and population std (numpy.std, ddof 0), two passes of blocked sums.
  const double mean = blocked_sum(sorted, [](double v) { return v; }) / static_cast<double>(n);
  p.mean = mean;
  p.std = std::sqrt(blocked_sum(sorted, [mean](double v) { return (v - mean) * (v - mean); }) /
                    static_cast<double>(n));
  p.decile_edges = stats::decile_edges(sorted);
  p.decile_counts = stats::sorted_bin_counts(sorted, p.decile_edges);
  uint64_t distinct = 0;
  for (size_t i = 0; i < n; ++i) distinct += (i == 0 || sorted[i] != sorted[i - 1]) ? 1 : 0;
  p.distinct = distinct;
  if (distinct <= kMaxNumericCategories || all_categories) {
    p.has_categories = true;
    for_each_run(sorted,
                 [&](double v, uint64_t copies) { p.categories.emplace_back(number_category(v), copies); });
  }
  if (n > options.max_values) {
    // A seeded uniform sample without replacement: a partial Fisher-Yates shuffle.
    Rng rng = Rng::for_stream(options.seed, kSamplePurpose, stream, 0);
    for (size_t i = 0; i < options.max_values; ++i) {
      const size_t j = i + static_cast<size_t>(rng.uniform_below(n - i));
      std::swap(sorted[i], sorted[j]);
    }
    sorted.resize(options.max_values);
    std::sort(sorted.begin(), sorted.end());
    p.sampled = true;
  }
  p.values = std::move(sorted);
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void check_named(const SourceData& data, const std::string& name, std::string_view option) {
  if (name.empty() || data.find(name)) return;
  std::string known;
  for (const ColumnValues& c : data.columns) known += (known.empty() ? "" : ", ") + c.name;
  throw ConfigError(
      fmt::format("{} '{}': {} has no such column; it has: {}", option, name, data.source, known));
}

// JSON field readers that name the file and field on failure.
struct Reader {
  const std::string& path;
  template <typename T>
  T get(const nlohmann::json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object() || !obj.contains(key)) {
      throw InputError(fmt::format("{}: {}: missing field '{}'", path, where, key));
    }
    try {
      return obj.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      throw InputError(fmt::format("{}: {}: field '{}' has the wrong type", path, where, key));
    }
  }
  // The field itself, not a copy (a profile's values are megabytes of text).
  const nlohmann::json& ref(const nlohmann::json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object() || !obj.contains(key)) {
      throw InputError(fmt::format("{}: {}: missing field '{}'", path, where, key));
    }
    return obj.at(key);
  }
  const std::string& text(const nlohmann::json& obj, const char* key, const std::string& where) const {
    const nlohmann::json& v = ref(obj, key, where);
    if (!v.is_string())
      throw InputError(fmt::format("{}: {}: field '{}' has the wrong type", path, where, key));
    return v.get_ref<const std::string&>();
  }
};

}  // namespace

const ColumnProfile* Profile::find(std::string_view name) const {
  for (const ColumnProfile& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool looks_like_profile_path(std::string_view spec) {
  return spec.size() >= 5 && spec.substr(spec.size() - 5) == ".json";
}

Profile build_profile(SourceData&& data, const ProfileOptions& options) {
  for (const std::string& c : options.categorical) check_named(data, c, "--categorical");
  check_named(data, options.label_col, "--label-col");
  check_named(data, options.prediction_col, "--prediction-col");
  Profile out;
  out.source = data.source;
  out.kind = data.kind;
  out.sha256 = data.sha256;
  out.rows = data.rows;
  out.seed = options.seed;
  if (data.is_image()) {  // Note [Profile images]
    const std::vector<size_t> rows = subsample_rows(data.images.size(), kProfileImageRows, options.seed, 0);
    std::vector<uint32_t> index(rows.begin(), rows.end());
    out.images = data.images.subset(index);
  }
  out.columns.resize(data.columns.size());
  for (size_t c = 0; c < data.columns.size(); ++c) {
    ColumnValues& in = data.columns[c];
    ColumnProfile& p = out.columns[c];
    p.name = in.name;
    if (data.is_image() && (in.name == "mean_intensity" || in.name == "std_intensity")) {
      p.role = ColumnRole::kImageSummary;
    } else if (in.name == options.label_col || (data.is_image() && in.name == "label")) {
      p.role = ColumnRole::kLabel;
    } else if (in.name == options.prediction_col || in.name.starts_with("prob_")) {
      p.role = ColumnRole::kPrediction;
    }
    p.rows = data.rows;
    p.count = in.count();
    p.missing = in.missing;
    p.non_finite = in.non_finite;
    p.first_text_line = in.first_text_line;
    // A declared column is categories whatever its values; a label is, unless
    // it is a number with more distinct values than categories are kept for
    // (a regression target: compared as numbers).
    const bool declared = listed(options.categorical, in.name);
    if (in.text_cells == 0) {
      describe_numbers(p, std::move(in.numbers), options, c, declared);
      const bool categorical = declared || (p.role == ColumnRole::kLabel && p.has_categories);
      p.numeric = !categorical;
      if (categorical) {  // the values of a category column are categories, not a distribution
        p.values.clear();
        p.decile_edges.clear();
        p.decile_counts.clear();
      }
    } else {
      // Text, or text and numbers: every value is a category (numbers by their shortest spelling).
      std::map<std::string, uint64_t> cats(in.texts.begin(), in.texts.end());
      for_each_run(in.numbers, [&](double v, uint64_t copies) { cats[number_category(v)] += copies; });
      p.has_categories = true;
      p.categories.assign(cats.begin(), cats.end());
      p.distinct = p.categories.size();
      in.numbers.clear();
    }
  }
  return out;
}

void declare_categorical(Profile& reference, const std::vector<std::string>& categorical,
                         const std::string& label_col) {
  auto declare = [&](const std::string& name, std::string_view option) {
    ColumnProfile* p = nullptr;
    for (ColumnProfile& c : reference.columns) {
      if (c.name == name) p = &c;
    }
    if (!p) {
      std::string known;
      for (const ColumnProfile& c : reference.columns) known += (known.empty() ? "" : ", ") + c.name;
      throw ConfigError(fmt::format("{} '{}': the profile {} has no such column; it has: {}", option, name,
                                    reference.profile_path, known));
    }
    if (option == "--label-col") p->role = ColumnRole::kLabel;
    if (!p->numeric) return;
    if (!p->has_categories) {
      if (option == "--label-col") return;  // a label of many numbers is compared as numbers
      throw InputError(
          fmt::format("{} '{}': the profile {} holds the column as {} distinct numbers without their "
                      "counts; make the profile with {} {}",
                      option, name, reference.profile_path, p->distinct, option, name));
    }
    p->numeric = false;
    p->values.clear();
    p->decile_edges.clear();
    p->decile_counts.clear();
  };
  for (const std::string& c : categorical) declare(c, "--categorical");
  if (!label_col.empty()) declare(label_col, "--label-col");
}

ProfileOptions current_profile_options(const Profile& reference, const SourceData& current,
                                       const ProfileOptions& given) {
  ProfileOptions out;
  out.seed = given.seed;
  out.max_values = UINT64_MAX;
  auto has = [&](const std::string& name) { return !name.empty() && current.find(name) != nullptr; };
  for (const std::string& c : given.categorical) {
    if (has(c)) out.categorical.push_back(c);
  }
  if (has(given.label_col)) out.label_col = given.label_col;
  if (has(given.prediction_col)) out.prediction_col = given.prediction_col;
  for (const ColumnProfile& r : reference.columns) {
    if (!has(r.name)) continue;
    if (r.role == ColumnRole::kLabel && out.label_col.empty()) out.label_col = r.name;
    if (r.role == ColumnRole::kPrediction && !r.name.starts_with("prob_") && out.prediction_col.empty()) {
      out.prediction_col = r.name;
    }
    // Categories whose values are all numbers: a numeric column declared categorical when profiled.
    bool numbers = !r.numeric && r.has_categories && !r.categories.empty();
    for (size_t i = 0; numbers && i < r.categories.size(); ++i) {
      double v;
      numbers = data::parse_number(r.categories[i].first, &v);
    }
    if (numbers &&
        std::find(out.categorical.begin(), out.categorical.end(), r.name) == out.categorical.end()) {
      out.categorical.push_back(r.name);
    }
  }
  return out;
}

nlohmann::json profile_to_json(const Profile& profile) {
  nlohmann::json columns = nlohmann::json::array();
  for (const ColumnProfile& p : profile.columns) {
    nlohmann::json c = {{"name", p.name},       {"role", enum_text(p.role)}, {"rows", p.rows},
                        {"count", p.count},     {"missing", p.missing},      {"non_finite", p.non_finite},
                        {"numeric", p.numeric}, {"distinct", p.distinct}};
    if (p.numeric) {
      c["values_total"] = p.values_total;
      c["sampled"] = p.sampled;
      c["mean"] = p.mean;
      c["std"] = p.std;
      c["min"] = p.min;
      c["max"] = p.max;
      c["decile_edges"] = p.decile_edges;
      c["decile_counts"] = p.decile_counts;
      std::vector<std::byte> bytes(p.values.size() * sizeof(double));
      static_assert(std::endian::native == std::endian::little, "profiles store little-endian float64");
      if (!bytes.empty()) std::memcpy(bytes.data(), p.values.data(), bytes.size());
      c["sorted_values"] = {
          {"encoding", "base64-float64-le"}, {"count", p.values.size()}, {"data", base64_encode(bytes)}};
    }
    if (p.has_categories) {
      nlohmann::json cats = nlohmann::json::array();
      for (const auto& [value, count] : p.categories) cats.push_back({value, count});
      c["categories"] = std::move(cats);
    } else {
      c["categories"] = nullptr;
    }
    columns.push_back(std::move(c));
  }
  nlohmann::json images = nullptr;
  if (profile.images.size() > 0) {
    const data::Dataset& d = profile.images;
    std::vector<std::byte> pixels(d.size() * static_cast<size_t>(d.sample_numel()));
    if (d.feature_type() == data::FeatureType::kU8 && d.u8_scale() == 1.0f / 255.0f) {
      std::memcpy(pixels.data(), d.u8_features().data(), pixels.size());
    } else {
      std::vector<uint32_t> all(d.size());
      for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint32_t>(i);
      std::vector<float> x(pixels.size());
      d.gather(all, x.data(), nullptr);
      for (size_t i = 0; i < x.size(); ++i)
        pixels[i] = static_cast<std::byte>(std::lround(std::clamp(x[i], 0.0f, 1.0f) * 255.0f));
    }
    std::vector<int64_t> shape(d.sample_shape().dims().begin(), d.sample_shape().dims().end());
    images = {{"rows", d.size()},
              {"sample_shape", shape},
              {"encoding", "base64-uint8"},
              {"scale", "1/255"},
              {"data", base64_encode(pixels)}};
  }
  nlohmann::json doc = {
      {"schema", kProfileSchema},
      {"dpeval_version", kVersion},
      {"source", {{"path", profile.source}, {"kind", enum_text(profile.kind)}, {"sha256", profile.sha256}}},
      {"rows", profile.rows},
      {"sample_limit", kMaxProfileValues},
      {"seed", profile.seed},
      {"columns", std::move(columns)},
      {"model", profile.model ? *profile.model : nlohmann::json(nullptr)},
      {"images", images}};
  return doc;
}

Profile profile_from_json(const nlohmann::json& doc, const std::string& path,
                          std::span<const std::string_view> payloads) {
  // A "data" field that read_profile lifted out: "#<i>" (Note [Profile payloads]).
  auto payload = [&](const std::string& text) -> std::string_view {
    if (text.size() < 2 || text[0] != '#' || payloads.empty()) return text;
    size_t i = 0;
    for (size_t k = 1; k < text.size(); ++k) {
      if (text[k] < '0' || text[k] > '9' || i > payloads.size()) return text;
      i = i * 10 + static_cast<size_t>(text[k] - '0');
    }
    return i < payloads.size() ? payloads[i] : std::string_view(text);
  };
  check_document_schema(doc, kProfileSchema, path);
  const Reader r{path};
  Profile out;
  out.from_profile_file = true;
  out.profile_path = path;
  const nlohmann::json& source = r.ref(doc, "source", "profile");
  out.source = r.get<std::string>(source, "path", "source");
  const std::string kind = r.get<std::string>(source, "kind", "source");
  const std::optional<SourceKind> known_kind = find_enum<SourceKind>(kind);
  if (!known_kind || *known_kind == SourceKind::kProfile) {
    throw InputError(fmt::format("{}: source.kind '{}' is not one dpeval writes", path, kind));
  }
  out.kind = *known_kind;
  out.sha256 = r.get<std::string>(source, "sha256", "source");
  out.rows = r.get<uint64_t>(doc, "rows", "profile");
  out.seed = r.get<uint64_t>(doc, "seed", "profile");
  if (doc.contains("model") && !doc["model"].is_null()) out.model = doc["model"];
  if (doc.contains("images") && !doc["images"].is_null()) {
    const nlohmann::json& im = doc["images"];
    const uint64_t rows = r.get<uint64_t>(im, "rows", "images");
    const std::vector<int64_t> shape = r.get<std::vector<int64_t>>(im, "sample_shape", "images");
    if (r.get<std::string>(im, "encoding", "images") != "base64-uint8") {
      throw InputError(fmt::format("{}: images.encoding must be base64-uint8", path));
    }
    int64_t width = 1;
    for (int64_t d : shape) {
      if (d < 1 || d > (int64_t{1} << 20) || width > (int64_t{1} << 30) / d) {
        throw InputError(fmt::format("{}: images.sample_shape holds a dimension out of range", path));
      }
      width *= d;
    }
    std::vector<std::byte> bytes =
        base64_decode(payload(r.text(im, "data", "images")), path + ": images.data");
    if (shape.empty() || rows == 0 || rows > UINT32_MAX ||
        bytes.size() != rows * static_cast<uint64_t>(width)) {
      throw InputError(
          fmt::format("{}: images: {} bytes for {} rows of {} values", path, bytes.size(), rows, width));
    }
    std::vector<uint8_t> pixels(bytes.size());
    std::memcpy(pixels.data(), bytes.data(), bytes.size());
    out.images = data::Dataset::from_u8(path, Shape(shape), std::move(pixels), 1.0f / 255.0f,
                                        std::vector<int32_t>(rows, 0), 1);
  }
  const nlohmann::json& columns = r.ref(doc, "columns", "profile");
  if (!columns.is_array()) throw InputError(fmt::format("{}: 'columns' is not an array", path));
  // Columns are read side by side: each decodes megabytes of base64.
  out.columns.resize(columns.size());
  ThreadPool pool;
  pool.parallel_for(columns.size(), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const nlohmann::json& c = columns[i];
      const std::string where = fmt::format("columns[{}]", i);
      ColumnProfile p;
      p.name = r.get<std::string>(c, "name", where);
      const std::string at = fmt::format("column '{}'", p.name);
      const std::string role = r.get<std::string>(c, "role", at);
      const std::optional<ColumnRole> known_role = find_enum<ColumnRole>(role);
      if (!known_role)
        throw InputError(fmt::format("{}: {}: role '{}' is not one dpeval writes", path, at, role));
      p.role = *known_role;
      p.rows = r.get<uint64_t>(c, "rows", at);
      p.count = r.get<uint64_t>(c, "count", at);
      p.missing = r.get<uint64_t>(c, "missing", at);
      p.non_finite = r.get<uint64_t>(c, "non_finite", at);
      p.numeric = r.get<bool>(c, "numeric", at);
      p.distinct = r.get<uint64_t>(c, "distinct", at);
      if (p.numeric) {
        p.values_total = r.get<uint64_t>(c, "values_total", at);
        p.sampled = r.get<bool>(c, "sampled", at);
        p.mean = r.get<double>(c, "mean", at);
        p.std = r.get<double>(c, "std", at);
        p.min = r.get<double>(c, "min", at);
        p.max = r.get<double>(c, "max", at);
        p.decile_edges = r.get<std::vector<double>>(c, "decile_edges", at);
        p.decile_counts = r.get<std::vector<double>>(c, "decile_counts", at);
        const nlohmann::json& sv = r.ref(c, "sorted_values", at);
        if (r.get<std::string>(sv, "encoding", at + " sorted_values") != "base64-float64-le") {
          throw InputError(fmt::format("{}: {}: sorted_values.encoding must be base64-float64-le", path, at));
        }
        const uint64_t count = r.get<uint64_t>(sv, "count", at + " sorted_values");
        const std::vector<std::byte> bytes = base64_decode(payload(r.text(sv, "data", at + " sorted_values")),
                                                           fmt::format("{}: {} sorted_values", path, at));
        if (bytes.size() != count * sizeof(double)) {
          throw InputError(fmt::format("{}: {}: sorted_values holds {} bytes; count {} needs {}", path, at,
                                       bytes.size(), count, count * sizeof(double)));
        }
        p.values.resize(count);
        if (!bytes.empty()) std::memcpy(p.values.data(), bytes.data(), bytes.size());
        const bool edges_ok =
            (p.values_total == 0 && p.decile_edges.empty() && p.decile_counts.empty()) ||
            (p.decile_edges.size() == stats::kDecileBins - 1 && p.decile_counts.size() == stats::kDecileBins);
        if (!edges_ok)
          throw InputError(fmt::format("{}: {}: expected 9 decile_edges and 10 decile_counts", path, at));
        for (size_t k = 0; k < p.values.size(); ++k) {
          if (!std::isfinite(p.values[k]) || (k > 0 && p.values[k] < p.values[k - 1])) {
            throw InputError(
                fmt::format("{}: {}: sorted_values are not finite and ascending (value {})", path, at, k));
          }
        }
        const bool counts_fit = p.sampled ? (count >= 1 && count < p.values_total) : count == p.values_total;
        double binned = 0;
        for (double k : p.decile_counts) binned += k;
        if (!counts_fit || binned != static_cast<double>(p.values_total) || p.values_total > p.count) {
          throw InputError(
              fmt::format("{}: {}: {} sorted values, {} in the decile bins and {} cells for {} values in "
                          "the source{}: the counts do not fit together",
                          path, at, count, binned, p.count, p.values_total, p.sampled ? " (sampled)" : ""));
        }
        for (size_t k = 0; k < p.decile_edges.size(); ++k) {
          if (!std::isfinite(p.decile_edges[k]) || (k > 0 && p.decile_edges[k] < p.decile_edges[k - 1])) {
            throw InputError(fmt::format("{}: {}: decile_edges are not finite and ascending", path, at));
          }
        }
      }
      const nlohmann::json& cats = c.contains("categories") ? c["categories"] : nlohmann::json(nullptr);
      if (!cats.is_null()) {
        if (!cats.is_array()) throw InputError(fmt::format("{}: {}: 'categories' is not an array", path, at));
        p.has_categories = true;
        for (const nlohmann::json& kv : cats) {
          if (!kv.is_array() || kv.size() != 2 || !kv[0].is_string() || !kv[1].is_number_unsigned()) {
            throw InputError(fmt::format("{}: {}: each category is [\"value\", count]", path, at));
          }
          p.categories.emplace_back(kv[0].get<std::string>(), kv[1].get<uint64_t>());
        }
      }
      out.columns[i] = std::move(p);
    }
  });
  return out;
}

// Note [Profile payloads]
// A profile is mostly base64 (the sorted values, the image sample): tens of
// megabytes a column that a JSON lexer would copy one character at a time,
// slower than reading the CSV again. read_profile lifts each payload out
// before parsing: every `"data":"` followed by base64 characters and a closing
// quote becomes `"data":"#<i>"`, and the i-th payload is decoded straight from
// the file's bytes. The pattern cannot start inside a JSON string (a quote in
// a string is escaped, so `data"` cannot appear there), so the document
// parsed is the same document with shorter strings; a payload with any other
// character is left to the parser (and fails as base64 there).
Profile read_profile(const std::filesystem::path& path) {
  const MappedFile map(path);
  if (!map.mapped()) return profile_from_json(read_json_document(path), path.string());  // says why it cannot
  map.populate(0, map.text().size());
  const std::string_view text = map.text();
  constexpr std::string_view kKey = "\"data\":\"";
  std::vector<std::string_view> payloads;
  std::string lifted;
  size_t copied = 0;
  for (size_t k = text.find(kKey); k != std::string_view::npos; k = text.find(kKey, k + 1)) {
    const size_t begin = k + kKey.size();
    // The string's end: its first '"' (a payload is base64, which
    // base64_decode checks; one before an escaping '\\' is left to the parser).
    const size_t end = text.find('"', begin);
    if (end == std::string_view::npos || text[end - 1] == '\\' || end - begin < 64) continue;  // the parser's
    lifted.append(text.substr(copied, begin - copied));
    lifted += '#';
    lifted += std::to_string(payloads.size());
    payloads.push_back(text.substr(begin, end - begin));
    copied = end;
    k = end;
  }
  lifted.append(text.substr(copied));
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(lifted);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
  }
  return profile_from_json(doc, path.string(), payloads);
}

}  // namespace dpeval::monitor
