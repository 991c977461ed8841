// The audit schema file; see audit_schema.h. TOML through toml++, behind the
// guard of core/toml_hazards.h (See Note [toml++ 3.3 unreachable]).
#include "dpeval/govern/audit_schema.h"

#include <algorithm>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/toml_hazards.h"

namespace dpeval::govern {
namespace {

class SchemaParser {
 public:
  explicit SchemaParser(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& message) const {
    throw ConfigError(fmt::format("{}:{}:{}: {}", source_, where.begin.line, where.begin.column, message));
  }

  std::optional<double> number(const toml::node& node, std::string_view key) const {
    if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
    if (const auto* f = node.as_floating_point()) return f->get();
    fail(node.source(), fmt::format("{} must be a number", key));
  }

  SchemaColumn column(std::string_view name, const toml::node& node) const {
    const toml::table* table = node.as_table();
    if (!table) fail(node.source(), fmt::format("columns.{} must be a table of type/min/max/allowed/nullable", name));
    SchemaColumn c;
    c.name = std::string(name);
    for (auto&& [key, value] : *table) {
      const std::string_view k = key.str();
      if (k == "type") {
        const auto* s = value.as_string();
        static constexpr std::pair<std::string_view, SchemaType> kTypes[] = {
            {"integer", SchemaType::kInteger}, {"number", SchemaType::kNumber}, {"string", SchemaType::kString},
            {"category", SchemaType::kCategory}, {"bool", SchemaType::kBool}, {"any", SchemaType::kAny}};
        bool found = false;
        for (const auto& [n, t] : kTypes) {
          if (s && s->get() == n) {
            c.type = t;
            found = true;
          }
        }
        if (!found) fail(value.source(), "type must be one of \"integer\", \"number\", \"string\", \"category\", \"bool\", \"any\"");
      } else if (k == "min") {
        c.min = number(value, "min");
      } else if (k == "max") {
        c.max = number(value, "max");
      } else if (k == "nullable") {
        const auto* b = value.as_boolean();
        if (!b) fail(value.source(), "nullable must be true or false");
        c.nullable = b->get();
      } else if (k == "allowed") {
        const toml::array* array = value.as_array();
        if (!array) fail(value.source(), "allowed must be an array of strings or numbers");
        for (const toml::node& v : *array) {
          if (const auto* s = v.as_string()) {
            c.allowed.push_back(s->get());
          } else if (v.is_integer() || v.is_floating_point()) {
            const double d = *number(v, "allowed value");
            c.allowed_numbers.push_back(d);
            c.allowed.push_back(v.is_integer() ? std::to_string(v.as_integer()->get()) : fmt::format("{}", d));
          } else {
            fail(v.source(), "allowed values must be strings or numbers");
          }
        }
      } else {
        fail(key.source(), fmt::format("unknown key '{}' in columns.{}, expected type, min, max, allowed or nullable",
                                       k, name));
      }
    }
    if (c.min && c.max && *c.min > *c.max) fail(node.source(), fmt::format("columns.{}: min is above max", name));
    return c;
  }

  AuditSchema parse(std::string_view text) {
    reject_toml_hazards(text, source_);
    toml::table root;
    try {
      root = toml::parse(text, source_);
    } catch (const toml::parse_error& e) {
      fail(e.source(), fmt::format("invalid TOML: {}", e.description()));
    }
    AuditSchema schema;
    for (auto&& [key, node] : root) {
      if (key.str() != "columns") fail(key.source(), fmt::format("unknown top-level key '{}', expected [columns.<name>] tables", key.str()));
      const toml::table* columns = node.as_table();
      if (!columns) fail(node.source(), "columns must be a table of [columns.<name>] tables");
      for (auto&& [name, column_node] : *columns) schema.columns.push_back(column(name.str(), column_node));
    }
    return schema;
  }

 private:
  std::string source_;
};

void keep_smallest(std::vector<Example>& examples) {
  std::stable_sort(examples.begin(), examples.end(), [](const Example& a, const Example& b) { return a.row < b.row; });
  if (examples.size() > kMaxExamples) examples.resize(kMaxExamples);
}

}  // namespace

void ExampleList::add(Example e) {
  ++count;
  if (examples.size() < kMaxExamples) {
    examples.push_back(std::move(e));
  } else if (e.row < examples.back().row) {
    examples.back() = std::move(e);
    keep_smallest(examples);
  }
}

void ExampleList::merge(const ExampleList& other) {
  count += other.count;
  examples.insert(examples.end(), other.examples.begin(), other.examples.end());
  keep_smallest(examples);
}

void SchemaFindings::merge(const SchemaFindings& other) {
  out_of_range.merge(other.out_of_range);
  not_allowed.merge(other.not_allowed);
  null_not_allowed.merge(other.null_not_allowed);
  wrong_type.merge(other.wrong_type);
}

const SchemaColumn* AuditSchema::find(std::string_view name) const {
  for (const SchemaColumn& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

AuditSchema parse_audit_schema(std::string_view text, std::string_view source) {
  return SchemaParser(source).parse(text);
}

AuditSchema read_audit_schema(const std::filesystem::path& path) {
  return parse_audit_schema(read_file(path), path.string());
}

}  // namespace dpeval::govern
