// The audit HTML page; see audit_html.h.
#include "dpeval/report/audit_html.h"

#include <fmt/format.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report {
namespace {

using internal::escape_html;
using nlohmann::json;

constexpr const char* kStyle = R"css(
:root{--fg:#1d2330;--muted:#5b6475;--line:#d5dae3;--card:#f6f8fb;--good:#1a7f37;--bad:#cf222e;--warn:#9a6700}
body{margin:0 auto;max-width:1120px;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--fg)}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.meta,.note{color:var(--muted)}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:var(--card);padding:1px 4px;border-radius:3px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0}
th,td{padding:3px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
.num{text-align:right}
.sev-error{color:var(--bad);font-weight:600}.sev-warning{color:var(--warn);font-weight:600}.sev-info{color:var(--muted)}
.skipped td{color:var(--muted)}
.pass{color:var(--good);font-weight:600}.fail{color:var(--bad);font-weight:600}
details{font-size:12px;color:var(--muted)}
)css";

std::string text(const json& j) {
  if (j.is_string()) return escape_html(j.get<std::string>());
  if (j.is_number_integer() || j.is_number_unsigned()) return internal::format_count(j.get<int64_t>());
  if (j.is_number()) return internal::format_number(j.get<double>());
  if (j.is_null()) return "—";
  return escape_html(j.dump());
}

std::string examples_markup(const json& examples) {
  if (!examples.is_array() || examples.empty()) return "";
  std::string out = "<details><summary>" + std::to_string(examples.size()) + " example" +
                    (examples.size() == 1 ? "" : "s") + "</summary><ul>";
  for (const json& e : examples) {
    out += "<li>" + text(e.value("set", json(""))) + " row " + text(e.value("row", json(0)));
    if (e.contains("column")) out += ", column <code>" + text(e["column"]) + "</code>";
    if (e.contains("detail")) out += ": " + text(e["detail"]);
    out += "</li>";
  }
  return out + "</ul></details>";
}

std::string columns_markup(const json& doc) {
  std::string out;
  for (const char* set : {"train", "test"}) {
    if (!doc.contains(set) || !doc[set].contains("column_profile")) continue;
    out += "<h3>" + std::string(set) + ": <code>" + text(doc[set].value("source", json(""))) + "</code></h3>";
    out += "<table><tr><th>column</th><th>type</th><th class=\"num\">missing</th><th class=\"num\">distinct</th>"
           "<th class=\"num\">min</th><th class=\"num\">max</th></tr>";
    for (const json& c : doc[set]["column_profile"]) {
      out += "<tr><td><code>" + text(c.value("name", json(""))) + "</code></td><td>" + text(c.value("type", json(""))) +
             "</td><td class=\"num\">" + text(c.value("missing", json(0))) + "</td><td class=\"num\">" +
             text(c.value("distinct", json())) + "</td><td class=\"num\">" + text(c.value("min", json())) +
             "</td><td class=\"num\">" + text(c.value("max", json())) + "</td></tr>";
    }
    out += "</table>";
  }
  return out.empty() ? "" : "<section id=\"columns\"><h2>Columns</h2>" + out + "</section>\n";
}

}  // namespace

std::string render_audit_html(const json& doc) {
  if (!doc.is_object() || !doc.contains("checks") || !doc["checks"].is_array()) {
    throw InputError("audit document: expected an object with a \"checks\" array");
  }
  const std::string source = doc.contains("train") ? doc["train"].value("source", std::string()) : std::string();
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<meta name=\"generator\" content=\"dpeval audit\">\n<title>Audit of " +
                    escape_html(source) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  std::string meta = "train <code>" + escape_html(source) + "</code>, " + text(doc["rows"].value("train", json())) + " rows";
  if (doc.contains("test")) {
    meta += " · test <code>" + text(doc["test"].value("source", json(""))) + "</code>, " +
            text(doc["rows"].value("test", json())) + " rows";
  }
  out += "<header><h1>Audit of " + escape_html(source) + "</h1><p class=\"meta\">" + meta + "</p></header>\n<main>\n";
  if (doc.contains("gates") && !doc["gates"].empty()) {
    out += "<section id=\"gates\"><h2>Gates</h2><table><tr><th>gate</th><th class=\"num\">value</th><th>result</th></tr>";
    for (const json& g : doc["gates"]) {
      const bool passed = g.value("passed", false);
      out += "<tr><td><code>" + text(g.value("expression", json(""))) + "</code></td><td class=\"num\">" +
             text(g.value("value", json())) + "</td><td class=\"" + (passed ? "pass\">PASS" : "fail\">FAIL") + "</td></tr>";
    }
    out += "</table></section>\n";
  }
  out += "<section id=\"checks\"><h2>Checks</h2><table><tr><th>severity</th><th>check</th><th class=\"num\">count</th>"
         "<th class=\"num\">value</th><th>finding</th></tr>";
  for (const json& c : doc["checks"]) {
    const bool skipped = c.value("skipped", false);
    const std::string severity = c.value("severity", std::string("info"));
    out += "<tr" + std::string(skipped ? " class=\"skipped\"" : "") + " data-check=\"" + text(c.value("id", json(""))) +
           "\"><td class=\"sev-" + escape_html(severity) + "\">" + escape_html(skipped ? "skipped" : severity) +
           "</td><td><code>" + text(c.value("id", json(""))) + "</code></td><td class=\"num\">" +
           text(c.value("count", json(0))) + "</td><td class=\"num\">" + text(c.value("value", json())) + "</td><td>" +
           text(c.value("message", json(""))) + examples_markup(c.value("examples", json::array())) + "</td></tr>";
  }
  out += "</table></section>\n";
  out += columns_markup(doc);
  return out + "</main>\n</body>\n</html>\n";
}

void write_audit_html(const std::filesystem::path& path, const json& doc) {
  write_file_atomic(path, render_audit_html(doc));
}

}  // namespace dpeval::report
