// The table-shaped sections of the run report's HTML: #run (facts and the
// reproduce command), #data (the audit headline) and #model (the eval page's
// sections); and the facts table they share. #training and #parallelism,
// the charts, are in run_charts.cc.
#include <algorithm>
#include <string>

#include "dpeval/core/check.h"
#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/run_sections.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

constexpr const char* kNotRecorded = R"(<span class="not-recorded">not recorded</span>)";

// A relative address: no scheme ("http:", "javascript:"), not rooted, not
// protocol-relative. See Note [Audit link] in report/run_report.h.
bool is_relative_link(std::string_view link) {
  if (link.starts_with('/') || link.starts_with('\\')) return false;
  size_t colon = link.find(':');
  return colon == std::string_view::npos || link.find_first_of("/?#") < colon;
}

}  // namespace

std::string html_facts_table(const std::vector<Fact>& facts) {
  std::string out = R"(<table class="facts"><tbody>)";
  for (const Fact& fact : facts) {
    std::string value = kNotRecorded;
    if (fact.text)
      value = fact.code ? "<code>" + escape_html(*fact.text) + "</code>" : escape_html(*fact.text);
    out += R"(<tr data-fact=")" + escape_html(fact.key) + R"("><th>)" + escape_html(fact.label) +
           "</th><td>" + value + "</td></tr>";
  }
  return out + "</tbody></table>";
}

std::string html_inline_code(std::string_view text) {
  std::string out;
  bool in_code = false;
  for (size_t at = 0; at <= text.size();) {
    size_t tick = std::min(text.find('`', at), text.size());
    out += escape_html(text.substr(at, tick - at));
    if (tick == text.size()) break;
    out += in_code ? "</code>" : "<code>";
    in_code = !in_code;
    at = tick + 1;
  }
  return in_code ? out + "</code>" : out;
}

std::string html_note(std::string_view text) {
  return R"(<p class="note">)" + html_inline_code(text) + "</p>";
}

std::string html_run_section(const Json& summary) {
  std::string body = html_facts_table(read_run_facts(summary));
  std::string command = read_command(summary);
  body += "<h3>Reproduce</h3>";
  body += command.empty() ? "<p>" + std::string(kNotRecorded) + "</p>"
                          : R"(<pre data-fact="command"><code>)" + escape_html(command) + "</code></pre>";
  return html_section("run", "Run", body);
}

std::string html_data_section(const Json& summary, const Json* audit, std::string_view audit_link) {
  DPEVAL_CHECK(is_relative_link(audit_link))
      << "audit link '" << std::string(audit_link) << "' is not relative";
  AuditHeadline headline = read_audit_headline(summary, audit);
  std::string body;
  if (!headline.skipped.empty())
    body += R"(<p data-fact="audit_skipped">Audit skipped: )" + escape_html(headline.skipped) + "</p>";
  if (headline.recorded) body += html_facts_table(headline.facts);
  if (!audit_link.empty()) {
    body += R"(<p><a href=")" + escape_html(audit_link) +
            R"(" data-fact="audit_link">Full audit report</a> (checks, )" +
            "examples and column profiles)</p>";
  }
  if (!headline.recorded && headline.skipped.empty()) {
    body += html_note(
        "No data audit recorded for this run: `dpeval audit --train <data> --json-out <dir>/audit.json` "
        "checks duplicates, train/test leakage, class balance and PII.");
  }
  return html_section("data", "Data", body);
}

std::string html_model_section(const Json& summary, const Json* eval) {
  std::string body;
  if (eval) {
    if (!eval->is_object()) throw_bad_part("", "an object", *eval);
    std::string source = string_member(*eval, "source", "");
    if (!source.empty()) body += R"(<p class="meta">Evaluated: <code>)" + escape_html(source) + "</code></p>";
    body += html_eval_sections(*eval, 500);
    return html_section("model", "Model", body);
  }
  const Json* evaluation = kRunSummary.object_member(summary, "evaluation", "");
  std::string skipped = evaluation ? kRunSummary.string_member(*evaluation, "skipped", "evaluation") : "";
  body = skipped.empty()
             ? html_note("No evaluation document recorded for this run.")
             : R"(<p data-fact="evaluation_skipped">Evaluation skipped: )" + escape_html(skipped) + "</p>";
  return html_section("model", "Model", body);
}

}  // namespace dpeval::report::internal
