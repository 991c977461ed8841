// See schema.h and Note [Document versions].
#include "dpeval/core/document_schema.h"

#include <fmt/format.h>

#include <fstream>

#include "dpeval/core/error.h"

namespace dpeval {

nlohmann::json read_json_document(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open", path.string()));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or a number out of range
    throw InputError(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
  }
}

void check_document_schema(const nlohmann::json& doc, std::string_view expected, std::string_view source) {
  if (!doc.is_object()) throw InputError(fmt::format("{}: expected a JSON object ({})", source, expected));
  const auto it = doc.find("schema");
  if (it == doc.end()) {
    throw InputError(fmt::format(
        "{}: no \"schema\" field: written by a dpeval older than the versioned documents, or not a dpeval "
        "document; expected {} (run the command that wrote it again)",
        source, expected));
  }
  if (!it->is_string() || it->get<std::string>() != expected) {
    throw InputError(
        fmt::format("{}: schema {} is not one this dpeval reads; expected {}", source, it->dump(), expected));
  }
}

}  // namespace dpeval
