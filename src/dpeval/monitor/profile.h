// Reference profiles: what `dpeval drift` needs to know about a reference
// dataset, kept so that drift can be measured later without the data
// (`dpeval profile`, schema "dpeval.profile/1", docs/DRIFT.md).
//
// Note [Profile contents]
// Per column: its role (feature, label, prediction, image_summary), counts
// (rows, non-missing, missing, +-inf), whether its values are numbers, and
//   - numbers: mean, population std, min, max, the number of distinct values,
//     the 9 inner decile edges (stats::decile_edges) with the 10 bin counts
//     over every value, and the values themselves in ascending order: all of
//     them up to kMaxProfileValues, above that a seeded uniform sample of
//     kMaxProfileValues (without replacement; "sampled": true with the seed),
//     stored as base64 of little-endian float64 (a million values would be
//     20 MB of decimal JSON and slow to read; base64 is 10.7 MB and exact);
//   - categories: every distinct value with its count, for text columns and
//     for numeric ones with at most kMaxNumericCategories distinct values
//     (a number's category is its shortest round-trip spelling, "1" for 1.0).
// Every statistic `dpeval drift` computes from a profile equals what it
// computes from the file the profile was made from (tests/monitor): both go
// through build_profile. Only above kMaxProfileValues do KS and Wasserstein
// see the sample instead of every value, and the drift output says so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/monitor/columns.h"

namespace dpeval::monitor {

inline constexpr uint64_t kMaxProfileValues = 1'000'000;
inline constexpr size_t kMaxNumericCategories = 1000;
inline constexpr std::string_view kProfileSchema = "dpeval.profile/1";
// Note [Profile images]
// A profile of images keeps a sample of them for the domain classifier: the
// very rows it would draw from the full reference (kProfileImageRows, its
// default rows per side, by subsample_rows with the same seed), so drift of
// images against the profile equals drift against the images themselves.
// They are stored as uint8 (base64), value / 255: exact for 8-bit sources
// (Fashion-MNIST, uint8 arrays); a float array is rounded to 8 bits, the one
// case where a profile and its file can differ (in the classifier's last
// digits).
inline constexpr size_t kProfileImageRows = 10000;

enum class ColumnRole : uint8_t { kFeature, kLabel, kPrediction, kImageSummary };
inline constexpr EnumText<ColumnRole> kColumnRoleTexts[] = {{ColumnRole::kFeature, "feature"},
                                                            {ColumnRole::kLabel, "label"},
                                                            {ColumnRole::kPrediction, "prediction"},
                                                            {ColumnRole::kImageSummary, "image_summary"}};
constexpr const auto& enum_texts(ColumnRole) { return kColumnRoleTexts; }

struct ColumnProfile {
  std::string name;
  ColumnRole role = ColumnRole::kFeature;
  uint64_t rows = 0;
  uint64_t count = 0;  // non-missing cells
  uint64_t missing = 0;
  uint64_t non_finite = 0;
  bool numeric = false;  // every non-missing cell is a number (and the column was not declared categorical)
  // Numbers (numeric columns).
  Numbers values;             // ascending: every finite value, or the sample
  uint64_t values_total = 0;  // finite values in the source
  bool sampled = false;
  double mean = 0, std = 0, min = 0, max = 0;
  uint64_t distinct = 0;
  std::vector<double> decile_edges;   // 9 inner edges (empty without finite values)
  std::vector<double> decile_counts;  // 10 counts over every finite value
  // Categories: value -> count, ascending by value (empty when not kept).
  bool has_categories = false;
  std::vector<std::pair<std::string, uint64_t>> categories;
  uint64_t first_text_line = 0;  // for messages: where a text cell was seen (0: none or unknown)
};

struct Profile {
  std::string source;
  SourceKind kind = SourceKind::kCsv;  // of the data the profile was made from
  std::string sha256;
  uint64_t rows = 0;
  uint64_t seed = 0;
  std::vector<ColumnProfile> columns;
  std::optional<nlohmann::json> model;  // with --checkpoint: the reference predictions' summary
  // Image sources: the rows the domain classifier draws from the reference
  // (subsample_rows with the profile's seed, at most kProfileImageRows), as
  // 8-bit pixels (Note [Profile images]). 0 rows otherwise.
  data::Dataset images;
  bool from_profile_file = false;  // read from a profile, not built from data
  std::string profile_path;
  const ColumnProfile* find(std::string_view name) const;
};

struct ProfileOptions {
  std::vector<std::string> categorical;  // columns to treat as categories whatever their cells
  std::string label_col;                 // its role becomes label
  std::string prediction_col;            // its role becomes prediction (prob_* columns are predictions too)
  uint64_t seed = 0;                     // for the sample above max_values
  uint64_t max_values = kMaxProfileValues;  // UINT64_MAX: never sample (the current side of drift)
};

// The profile of a source read by read_source (columns are moved out of it).
// Throws ConfigError naming a --categorical / --label-col / --prediction-col
// column the source does not have.
Profile build_profile(SourceData&& data, const ProfileOptions& options);

// Drift-time declarations on a reference profile read from a file: each
// `categorical` column, and `label_col` (its role becomes label; a label of
// more than kMaxNumericCategories distinct numbers stays numbers), is compared
// as categories. A numeric column of the profile becomes categories when the
// profile kept its category counts (at most kMaxNumericCategories distinct
// values); otherwise InputError naming the option and column (make the
// profile with --categorical). ConfigError for a column it does not have.
void declare_categorical(Profile& reference, const std::vector<std::string>& categorical,
                         const std::string& label_col);

// How to profile the current data so that it compares with `reference`: the
// given --categorical, --label-col and --prediction-col where the current has
// those columns, the reference's own label and prediction columns, and every
// column the reference holds as categories of numbers (declared categorical
// when it was profiled) as categories too. Never samples: the current side is
// compared whole.
ProfileOptions current_profile_options(const Profile& reference, const SourceData& current,
                                       const ProfileOptions& given);

nlohmann::json profile_to_json(const Profile& profile);
// Throws InputError naming `path` and the field for anything that is not a
// dpeval.profile/1 document (another schema or version included).
// `payloads`: the base64 texts read_profile lifted out of the document before
// parsing it (Note [Profile payloads]); a "data" field "#<i>" stands for
// payloads[i].
Profile profile_from_json(const nlohmann::json& doc, const std::string& path,
                          std::span<const std::string_view> payloads = {});
Profile read_profile(const std::filesystem::path& path);

// A file that holds a profile: ends in .json (the drift command's test for
// "this --reference is a profile").
bool looks_like_profile_path(std::string_view spec);

}  // namespace dpeval::monitor
