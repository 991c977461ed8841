// The sections of the run report (report/run_report.h), as HTML and as
// Markdown. Each HTML section is "<section id=...><h2>...</h2>...</section>",
// always present (a run report has every section; what the run did not record
// is said so, Note [Not recorded] in run_data.h). Each throws InputError on a
// malformed part of the summary, the eval document or the audit document.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dpeval/report/internal/run_data.h"

namespace dpeval::report::internal {

// ---- HTML: #run, #training, #parallelism, #data, #model.

std::string html_run_section(const Json& summary);
std::string html_training_section(const Json& summary);
std::string html_parallelism_section(const Json& summary);
// `audit_link`: relative address of the full audit page; "" for none.
std::string html_data_section(const Json& summary, const Json* audit, std::string_view audit_link);
// The eval page's sections (html_eval_sections) nested in #model when `eval` is given.
std::string html_model_section(const Json& summary, const Json* eval);

// <table class="facts"> with one row per Fact (data-fact="<key>"); "not recorded" for a Fact without text.
std::string html_facts_table(const std::vector<Fact>& facts);
// `text` escaped, with each `quoted` part in <code> (the run notes are
// written once, for Markdown and HTML alike).
std::string html_inline_code(std::string_view text);
// <p class="note">html_inline_code(text)</p>.
std::string html_note(std::string_view text);

// ---- Markdown: "## Run" ... "## Model", the same facts as tables and bullets, no charts.

std::string md_run_section(const Json& summary);
std::string md_training_section(const Json& summary);
std::string md_parallelism_section(const Json& summary);
std::string md_data_section(const Json& summary, const Json* audit, std::string_view audit_link);
std::string md_model_section(const Json& summary, const Json* eval);

}  // namespace dpeval::report::internal
