// Versioned result documents: summary.json, eval.json, audit.json and
// scale.json each carry "schema": "dpeval.<kind>/<version>", and a reader
// refuses a document of another kind or a version it does not know.
//
// Note [Document versions]
// A document is read back by `dpeval report --run`, `dpeval scale` (the run.json
// of an mpirun run), `dpeval datasheet --audit` and by people's own tools. A reader that guessed at an
// unknown layout would report wrong numbers without a word; a version says
// which layout it is. A field added without changing the meaning of the others
// keeps the version (readers treat missing new fields as "not recorded"); a
// field renamed, removed or changed in meaning bumps it. Documents written
// before versions existed have no "schema": readers refuse them too, naming
// the file and what to do (run the command again with this dpeval).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

namespace dpeval {

// The JSON document in the file at `path`. Throws InputError naming the file
// when it cannot be opened or is not valid JSON.
nlohmann::json read_json_document(const std::filesystem::path& path);

// Throws InputError naming `source` unless doc is an object whose "schema" is
// exactly `expected` (e.g. "dpeval.summary/1").
void check_document_schema(const nlohmann::json& doc, std::string_view expected, std::string_view source);

}  // namespace dpeval
