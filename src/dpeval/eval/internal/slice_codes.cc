// Row partitions of slice columns (see slice_codes.h).
#include "dpeval/eval/internal/slice_codes.h"

#include <fmt/format.h>

#include <algorithm>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/eval/slices.h"

namespace dpeval::eval::internal {
namespace {

void check_key_column(const KeyColumn& key, size_t rows) {
  if (key.codes.size() != rows) {
    throw InputError(fmt::format("key column \"{}\" has {} rows but the predictions have {}", key.name,
                                 key.codes.size(), rows));
  }
  for (size_t i = 0; i < rows; ++i) {
    if (key.codes[i] >= key.values.size()) {
      throw InputError(fmt::format("key column \"{}\": codes[{}] = {}: expected a value index below {}",
                                   key.name, i, key.codes[i], key.values.size()));
    }
  }
}

// Compacts combined codes (< universe) to the ones that occur, ascending.
SliceCodes compact(std::span<const uint64_t> combined, uint64_t universe) {
  SliceCodes out;
  out.codes.resize(combined.size());
  constexpr uint64_t kDenseMax = uint64_t{1} << 24;
  std::vector<uint64_t> used;  // the combined codes that occur, ascending
  if (universe <= kDenseMax) {
    std::vector<int64_t> count(universe, 0);
    for (uint64_t c : combined) ++count[c];
    std::vector<uint32_t> index(universe, 0);
    for (uint64_t c = 0; c < universe; ++c) {
      if (count[c] == 0) continue;
      index[c] = static_cast<uint32_t>(used.size());
      used.push_back(c);
      out.sizes.push_back(count[c]);
    }
    for (size_t i = 0; i < combined.size(); ++i) out.codes[i] = index[combined[i]];
  } else {
    used.assign(combined.begin(), combined.end());
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    out.sizes.assign(used.size(), 0);
    for (size_t i = 0; i < combined.size(); ++i) {
      const auto at = std::lower_bound(used.begin(), used.end(), combined[i]) - used.begin();
      out.codes[i] = static_cast<uint32_t>(at);
      ++out.sizes[static_cast<size_t>(at)];
    }
  }
  out.values.resize(used.size());  // filled by the caller, which knows the parts
  return out;
}

}  // namespace

SliceCodes slice_codes(std::span<const KeyColumn* const> parts, size_t rows) {
  DPEVAL_CHECK(parts.size() == 1 || parts.size() == 2) << parts.size() << " parts";
  for (const KeyColumn* key : parts) check_key_column(*key, rows);
  const KeyColumn& a = *parts[0];
  std::vector<uint64_t> combined(rows);
  if (parts.size() == 1) {
    for (size_t i = 0; i < rows; ++i) combined[i] = a.codes[i];
    SliceCodes out = compact(combined, a.values.size());
    size_t s = 0;
    std::vector<bool> seen(a.values.size(), false);
    for (uint32_t c : a.codes) seen[c] = true;
    for (size_t v = 0; v < a.values.size(); ++v) {
      if (seen[v]) out.values[s++] = a.values[v];
    }
    return out;
  }
  const KeyColumn& b = *parts[1];
  const uint64_t width = b.values.size();
  for (size_t i = 0; i < rows; ++i) combined[i] = uint64_t{a.codes[i]} * width + b.codes[i];
  SliceCodes out = compact(combined, uint64_t{a.values.size()} * width);
  // Recover each slice's pair from one of its rows.
  std::vector<bool> named(out.values.size(), false);
  for (size_t i = 0; i < rows; ++i) {
    const uint32_t s = out.codes[i];
    if (named[s]) continue;
    named[s] = true;
    out.values[s] = a.values[a.codes[i]] + std::string(kSliceCrossSeparator) + b.values[b.codes[i]];
  }
  return out;
}

std::vector<SliceColumnSpec> slice_column_specs(std::span<const KeyColumn> keys,
                                                std::span<const std::string> slice_by, bool cross) {
  std::vector<SliceColumnSpec> specs;
  for (const std::string& name : slice_by) {
    size_t k = 0;
    while (k < keys.size() && keys[k].name != name) ++k;
    if (k == keys.size()) {
      std::vector<std::string_view> names;
      for (const KeyColumn& key : keys) names.push_back(key.name);
      throw ConfigError(
          fmt::format("slice-by: no key column \"{}\" (have: {})", name,
                      names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
    }
    for (const SliceColumnSpec& s : specs) {
      if (s.key_columns[0] == k) throw ConfigError(fmt::format("slice-by: \"{}\" is listed twice", name));
    }
    specs.push_back({name, {k}});
  }
  if (cross) {
    const size_t singles = specs.size();
    for (size_t i = 0; i < singles; ++i) {
      for (size_t j = i + 1; j < singles; ++j) {
        specs.push_back({specs[i].name + std::string(kSliceCrossSeparator) + specs[j].name,
                         {specs[i].key_columns[0], specs[j].key_columns[0]}});
      }
    }
  }
  return specs;
}

}  // namespace dpeval::eval::internal
