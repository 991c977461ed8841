// datasheet.toml: the free-text provenance fields a manifest carries.
#include <algorithm>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/govern/manifest.h"
#include "dpeval/core/toml_hazards.h"

namespace dpeval::govern {

const std::vector<std::string>& provenance_fields() {
  static const std::vector<std::string> kFields = {
      "origin",       "collection_process", "labeling_process", "license",    "known_biases",
      "intended_use", "name",               "motivation",       "funded_by",  "preprocessing",
      "distribution", "maintainer",         "contact",          "update_policy", "consent",
      "out_of_scope_uses"};
  return kFields;
}

Provenance read_datasheet_toml(const std::filesystem::path& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const InputError& e) {
    throw ConfigError(std::string(e.what()) + " (the datasheet)");
  }
  const std::string source = path.string();
  // See Note [toml++ 3.3 unreachable] in core/toml_hazards.h: non-ASCII
  // text is accepted only inside single-line "..." values.
  reject_toml_hazards(text, source);
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}:{}:{}: invalid TOML: {}", source, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
  Provenance provenance;
  const std::vector<std::string>& known = provenance_fields();
  for (auto&& [key, node] : root) {
    const std::string name(key.str());
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw ConfigError(fmt::format("{}:{}:{}: unknown field '{}', expected one of: {}", source,
                                    key.source().begin.line, key.source().begin.column, name,
                                    fmt::join(known, ", ")));
    }
    const auto* value = node.as_string();
    if (!value) {
      throw ConfigError(fmt::format("{}:{}:{}: field '{}' is not a string, expected a string", source,
                                    node.source().begin.line, node.source().begin.column, name));
    }
    provenance[name] = value->get();
  }
  return provenance;
}

}  // namespace dpeval::govern
