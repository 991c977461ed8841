// The datasheet writer: one question at a time, answered from a provenance
// field, from measurements, or recorded as unanswered.
#include "dpeval/govern/datasheet.h"

#include <fmt/format.h>

#include "dpeval/core/document_schema.h"
#include "dpeval/core/error.h"
#include "dpeval/govern/audit_document.h"

namespace dpeval::govern {
using nlohmann::json;

AuditSummary parse_audit_json(std::string_view text, std::string_view source) {
  const auto fail = [&](const std::string& field, const std::string& what) -> void {
    throw InputError(fmt::format("{}: {}: {}", source, field, what));
  };
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(fmt::format("{}: malformed JSON at byte {}: {}", source, e.byte, e.what()));
  } catch (const json::exception& e) {  // e.g. out_of_range: a number too large for a double
    throw InputError(fmt::format("{}: malformed JSON: {}", source, e.what()));
  }
  if (!root.is_object()) fail("(top level)", "expected an object with \"checks\"");
  check_document_schema(root, kAuditSchema, source);
  AuditSummary audit;
  if (root.contains("rows")) audit.rows = root["rows"];
  if (root.contains("gates")) audit.gates = root["gates"];
  if (!root.contains("checks")) fail("checks", "missing, expected an array of checks");
  const json& checks = root["checks"];
  if (!checks.is_array()) fail("checks", fmt::format("is {}, expected an array", checks.type_name()));
  for (size_t i = 0; i < checks.size(); ++i) {
    const std::string where = fmt::format("checks[{}]", i);
    const json& c = checks[i];
    if (!c.is_object()) fail(where, fmt::format("is {}, expected an object", c.type_name()));
    AuditCheck check;
    if (!c.contains("id") || !c["id"].is_string()) fail(where + ".id", "missing or not a string");
    check.id = c["id"].get<std::string>();
    for (const char* key : {"severity", "message"}) {
      if (!c.contains(key) || c[key].is_null()) continue;
      if (!c[key].is_string())
        fail(where + "." + key, fmt::format("is {}, expected a string", c[key].type_name()));
      (std::string(key) == "severity" ? check.severity : check.message) = c[key].get<std::string>();
    }
    for (const char* key : {"count", "value"}) {
      if (!c.contains(key) || c[key].is_null()) continue;
      if (!c[key].is_number())
        fail(where + "." + key, fmt::format("is {}, expected a number", c[key].type_name()));
      (std::string(key) == "count" ? check.count : check.value) = c[key].get<double>();
    }
    audit.checks.push_back(std::move(check));
  }
  return audit;
}

namespace {

// A Markdown table cell: no line breaks, pipes escaped.
std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(const json& v) {
  if (!v.is_number()) return v.is_null() ? "" : cell(v.dump());
  if (v.is_number_integer()) return v.dump();
  return fmt::format("{:.6g}", v.get<double>());
}

std::string number(std::optional<double> v) { return v ? fmt::format("{:.6g}", *v) : "-"; }

class Writer {
 public:
  Writer(const DatasheetInputs& in) : in_(in), prov_(in.manifest->provenance) {}

  void section(const std::string& title) {
    section_ = title;
    md_ += "\n## " + title + "\n\n";
  }

  // A question answered by a provenance field, or recorded as unanswered.
  void field(const std::string& question, const std::string& key) {
    const auto it = prov_.find(key);
    if (it == prov_.end() || it->second.empty()) {
      unanswered_.push_back(fmt::format("{}: {} (datasheet.toml field `{}`)", section_, question, key));
      md_ += fmt::format("**{}**\n\n_Unanswered: add `{}` to datasheet.toml._\n\n", question, key);
      return;
    }
    md_ += fmt::format("**{}**\n\n{}\n\n", question, it->second);
  }

  void text(const std::string& s) { md_ += s; }
  void unanswered(const std::string& what) { unanswered_.push_back(section_ + ": " + what); }

  std::vector<const AuditCheck*> checks_with_prefix(std::string_view prefix) const {
    std::vector<const AuditCheck*> out;
    if (!in_.audit) return out;
    for (const AuditCheck& c : in_.audit->checks) {
      if (c.id.starts_with(prefix)) out.push_back(&c);
    }
    return out;
  }

  // A measured answer from audit checks with ids starting with one of the prefixes.
  void measured(const std::string& question, std::initializer_list<std::string_view> prefixes,
                std::string_view exclude = {}) {
    md_ += fmt::format("**{}**\n\n", question);
    if (!in_.audit) {
      md_ += "_Not measured: no audit results were given (`--audit audit.json`)._\n\n";
      unanswered(question + " (needs `dpeval audit` results)");
      return;
    }
    std::vector<const AuditCheck*> found;
    for (std::string_view p : prefixes) {
      for (const AuditCheck* c : checks_with_prefix(p)) {
        if (c->id != exclude) found.push_back(c);
      }
    }
    if (found.empty()) {
      md_ += "_The audit ran no check for this._\n\n";
      unanswered(question + " (the audit has no such check)");
      return;
    }
    md_ += "| check | severity | count | value | finding |\n|---|---|---|---|---|\n";
    for (const AuditCheck* c : found) {
      md_ += fmt::format("| {} | {} | {} | {} | {} |\n", cell(c->id), cell(c->severity), number(c->count),
                         number(c->value), cell(c->message));
    }
    md_ += "\n";
  }

  Datasheet finish() {
    md_ += "\n## Unanswered questions\n\n";
    if (unanswered_.empty()) {
      md_ += "None: every question above has an answer.\n";
    } else {
      md_ += "These questions are still open; answer them in datasheet.toml or run the audit:\n\n";
      for (const std::string& u : unanswered_) md_ += "- " + u + "\n";
    }
    return {md_, unanswered_};
  }

 private:
  const DatasheetInputs& in_;
  const Provenance& prov_;
  std::string section_;
  std::string md_;
  std::vector<std::string> unanswered_;
};

void composition_files(Writer& w, const Manifest& m) {
  uint64_t rows = 0, bytes = 0;
  bool all_csv = true;
  for (const ManifestFile& f : m.files) {
    rows += f.rows.value_or(0);
    bytes += f.size;
    all_csv &= f.rows.has_value();
  }
  w.text(
      fmt::format("**What do the instances consist of, and how many are there?** (measured)\n\n"
                  "{} file(s), {} bytes{}.\n\n",
                  m.files.size(), bytes, all_csv ? fmt::format(", {} data rows in all", rows) : ""));
  w.text("| file | format | rows | columns | bytes | sha256 |\n|---|---|---|---|---|---|\n");
  for (const ManifestFile& f : m.files) {
    w.text(fmt::format("| {} | {} | {} | {} | {} | `{}…` |\n", cell(f.path), f.format,
                       f.rows ? std::to_string(*f.rows) : "-",
                       f.rows ? std::to_string(f.columns.size()) : "-", f.size, f.sha256.substr(0, 16)));
  }
  w.text("\n");
  for (const ManifestFile& f : m.files) {
    if (!f.rows || f.columns.empty()) continue;
    w.text(fmt::format("Columns of `{}`{}:\n\n", cell(f.path),
                       f.ragged_rows ? fmt::format(" ({} records of the wrong width)", f.ragged_rows) : ""));
    w.text("| column | type | missing | distinct | min | max | mean |\n|---|---|---|---|---|---|---|\n");
    for (const json& c : f.columns) {
      if (!c.is_object()) continue;
      const auto get = [&](const char* k) { return c.contains(k) ? number(c[k]) : std::string("-"); };
      std::string distinct = get("distinct");
      if (c.value("distinct_capped", false)) distinct = "> " + distinct;
      w.text(fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", cell(c.value("name", "")),
                         cell(c.value("type", "")), get("missing"), distinct, get("min"), get("max"),
                         get("mean")));
    }
    w.text("\n");
  }
}

}  // namespace

Datasheet render_datasheet(const DatasheetInputs& in) {
  const Manifest& m = *in.manifest;
  Writer w(in);
  const auto name = m.provenance.find("name");
  w.text(
      fmt::format("# Datasheet: {}\n\n", name != m.provenance.end() ? name->second : std::string("dataset")));
  w.text(fmt::format(
      "Generated by dpeval from the manifest `{}` (content SHA-256 `{}`){}. Answers marked "
      "_measured_ come from the files themselves; the others from datasheet.toml{}.\n",
      in.manifest_name, m.content_hash(), in.audit ? fmt::format(" and the audit `{}`", in.audit_name) : "",
      m.datasheet.empty() ? " (none was recorded)" : fmt::format(" (`{}`)", m.datasheet)));

  w.section("Motivation");
  w.field("For what purpose was the dataset created?", "motivation");
  w.field("Who funded the creation of the dataset?", "funded_by");

  w.section("Composition");
  composition_files(w, m);
  w.measured("Is any information missing from individual instances?", {"quality.missing"});
  w.measured("Are there duplicated or otherwise invalid instances?", {"quality."}, "quality.missing");
  w.measured("Are the classes (labels) balanced?", {"imbalance."});
  w.measured("Do training and test data overlap (leakage)?", {"leakage."});
  w.measured("Does the dataset contain personal data (PII)?", {"pii."});
  w.field("Are there known biases or gaps in what the data covers?", "known_biases");

  w.section("Collection process");
  w.field("Where does the data come from?", "origin");
  w.field("How was the data collected?", "collection_process");
  w.field("Did the people it describes consent to its collection and use?", "consent");

  w.section("Preprocessing/cleaning/labeling");
  w.field("How were the labels produced?", "labeling_process");
  w.field("What preprocessing or cleaning was done?", "preprocessing");

  w.section("Uses");
  w.field("What is the dataset intended for?", "intended_use");
  w.field("What should it not be used for?", "out_of_scope_uses");

  w.section("Distribution");
  w.field("Under what license is it distributed?", "license");
  w.field("How is it distributed?", "distribution");

  w.section("Maintenance");
  w.field("Who maintains the dataset?", "maintainer");
  w.field("How can the maintainer be contacted?", "contact");
  w.field("Will it be updated, and how?", "update_policy");
  if (in.audit && !in.audit->gates.empty()) {
    w.text(fmt::format("Audit gates as run: `{}`\n\n", cell(in.audit->gates.dump())));
  }
  return w.finish();
}

}  // namespace dpeval::govern
