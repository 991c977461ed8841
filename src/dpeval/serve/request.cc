// See request.h.
#include "dpeval/serve/request.h"

#include <fast_float/fast_float.h>
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "dpeval/serve/http_error.h"

namespace dpeval::serve {
namespace {

using json = nlohmann::json;

[[noreturn]] void bad(std::string field, const std::string& what) { throw HttpError(400, std::move(field), what); }

json parse_json(std::string_view body) {
  if (body.empty()) bad("body", "empty body; expected a JSON object");
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    bad("body", fmt::format("not JSON at byte {}: expected a JSON object", e.byte));
  }
}

std::string read_id(const json& item, const std::string& where) {
  const auto it = item.find("id");
  if (it == item.end() || it->is_null()) return "";
  const std::string field = where.empty() ? "id" : where + ".id";
  if (!it->is_string()) bad(field, fmt::format("{}: expected a string, got {}", field, it->type_name()));
  const std::string& id = it->get_ref<const std::string&>();
  if (id.empty() || id.size() > kMaxIdBytes) {
    bad(field, fmt::format("{}: expected 1 to {} bytes, got {}", field, kMaxIdBytes, id.size()));
  }
  return id;
}

float checked_float(double v, const std::string& field) {
  if (!std::isfinite(v) || std::fabs(v) > std::numeric_limits<float>::max()) {
    bad(field, fmt::format("{}: {} is not a finite float32", field, v));
  }
  return static_cast<float>(v);
}

void read_features(const json& item, const std::string& where, size_t f, std::vector<float>& out) {
  const auto it = item.find("features");
  const std::string field = where.empty() ? "features" : where + ".features";
  if (it == item.end()) bad(field, fmt::format("{}: missing; expected an array of {} numbers", field, f));
  if (!it->is_array()) bad(field, fmt::format("{}: expected an array of {} numbers, got {}", field, f, it->type_name()));
  if (it->size() != f) bad(field, fmt::format("{}: {} values; the model reads {}", field, it->size(), f));
  size_t j = 0;
  for (const json& v : *it) {
    if (!v.is_number()) {
      bad(fmt::format("{}[{}]", field, j), fmt::format("{}[{}]: expected a number, got {}", field, j, v.type_name()));
    }
    out.push_back(checked_float(v.get<double>(), fmt::format("{}[{}]", field, j)));
    ++j;
  }
}

void check_rows(size_t n, size_t max_rows, const char* field) {
  if (n == 0) bad(field, fmt::format("{}: empty; expected 1 to {} rows", field, max_rows));
  if (n > max_rows) {
    throw HttpError(413, field, fmt::format("{}: {} rows; at most {} per request (--max-request-rows)", field, n, max_rows));
  }
}

PredictRows parse_predict_csv(std::string_view body, const RequestLimits& limits) {
  PredictRows out;
  size_t line_no = 0;
  bool with_id = false;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string_view> cells;
    for (size_t s = 0;;) {
      const size_t comma = line.find(',', s);
      cells.push_back(line.substr(s, comma == std::string_view::npos ? std::string_view::npos : comma - s));
      if (comma == std::string_view::npos) break;
      s = comma + 1;
    }
    if (line_no == 1) {
      with_id = cells[0] == "id";
      if (cells.size() != limits.num_features + (with_id ? 1 : 0)) {
        bad("line 1", fmt::format("line 1 (header): {} columns; expected {}{}", cells.size(),
                                  with_id ? "id and " : "", limits.num_features));
      }
      continue;
    }
    if (cells.size() != limits.num_features + (with_id ? 1 : 0)) {
      bad(fmt::format("line {}", line_no),
          fmt::format("line {}: {} cells; the header has {}", line_no, cells.size(),
                      limits.num_features + (with_id ? 1 : 0)));
    }
    if (++out.n > limits.max_rows) check_rows(out.n, limits.max_rows, "body");
    size_t first = 0;
    if (with_id) {
      if (cells[0].empty() || cells[0].size() > kMaxIdBytes) {
        bad(fmt::format("line {} column 1", line_no), fmt::format("line {}: id of {} bytes; expected 1 to {}",
                                                                  line_no, cells[0].size(), kMaxIdBytes));
      }
      out.ids.emplace_back(cells[0]);
      first = 1;
    } else {
      out.ids.emplace_back();
    }
    for (size_t c = first; c < cells.size(); ++c) {
      const std::string_view cell = cells[c];
      double v = 0;
      const auto r = fast_float::from_chars(cell.data(), cell.data() + cell.size(), v);
      const std::string field = fmt::format("line {} column {}", line_no, c + 1);
      if (r.ec != std::errc() || r.ptr != cell.data() + cell.size()) {
        bad(field, fmt::format("{}: '{}' is not a number", field, cell.substr(0, 40)));
      }
      out.values.push_back(checked_float(v, field));
    }
  }
  if (line_no == 0) bad("body", "empty body; expected a CSV header and rows");
  check_rows(out.n, limits.max_rows, "body");
  return out;
}

}  // namespace

PredictRows parse_predict_body(std::string_view body, std::string_view content_type, const RequestLimits& limits) {
  if (content_type.starts_with("text/csv")) return parse_predict_csv(body, limits);
  const json doc = parse_json(body);
  if (!doc.is_object()) bad("body", fmt::format("expected a JSON object, got {}", doc.type_name()));
  PredictRows out;
  const auto instances = doc.find("instances");
  if (instances == doc.end()) {
    out.n = 1;
    out.ids.push_back(read_id(doc, ""));
    out.values.reserve(limits.num_features);
    read_features(doc, "", limits.num_features, out.values);
    return out;
  }
  if (!instances->is_array()) bad("instances", fmt::format("instances: expected an array, got {}", instances->type_name()));
  check_rows(instances->size(), limits.max_rows, "instances");
  out.n = instances->size();
  out.values.reserve(out.n * limits.num_features);
  size_t i = 0;
  for (const json& item : *instances) {
    const std::string where = fmt::format("instances[{}]", i++);
    if (!item.is_object()) bad(where, fmt::format("{}: expected an object, got {}", where, item.type_name()));
    out.ids.push_back(read_id(item, where));
    read_features(item, where, limits.num_features, out.values);
  }
  return out;
}

std::vector<FeedbackItem> parse_feedback_body(std::string_view body, const std::vector<std::string>& class_names,
                                              size_t max_rows) {
  const json doc = parse_json(body);
  if (!doc.is_object()) bad("body", fmt::format("expected a JSON object, got {}", doc.type_name()));
  const size_t k = class_names.size();
  auto read = [&](const json& item, const std::string& where) {
    FeedbackItem f;
    f.id = read_id(item, where);
    const std::string id_field = where.empty() ? "id" : where + ".id";
    if (f.id.empty()) bad(id_field, fmt::format("{}: missing; expected the id of a prediction", id_field));
    const std::string field = where.empty() ? "label" : where + ".label";
    const auto it = item.find("label");
    if (it == item.end()) bad(field, fmt::format("{}: missing; expected a class index 0 to {}", field, k - 1));
    if (it->is_number_integer()) {
      const int64_t v = it->get<int64_t>();
      if (v < 0 || static_cast<size_t>(v) >= k) bad(field, fmt::format("{}: {} is not a class index 0 to {}", field, v, k - 1));
      f.label = static_cast<int32_t>(v);
    } else if (it->is_string()) {
      const std::string& name = it->get_ref<const std::string&>();
      size_t c = 0;
      while (c < k && class_names[c] != name) ++c;
      if (c == k) bad(field, fmt::format("{}: '{}' is not one of the model's class names", field, name.substr(0, 64)));
      f.label = static_cast<int32_t>(c);
    } else {
      bad(field, fmt::format("{}: expected a class index 0 to {} or a class name, got {}", field, k - 1,
                             it->type_name()));
    }
    return f;
  };
  std::vector<FeedbackItem> out;
  const auto batch = doc.find("feedback");
  if (batch == doc.end()) {
    out.push_back(read(doc, ""));
    return out;
  }
  if (!batch->is_array()) bad("feedback", fmt::format("feedback: expected an array, got {}", batch->type_name()));
  check_rows(batch->size(), max_rows, "feedback");
  size_t i = 0;
  for (const json& item : *batch) {
    const std::string where = fmt::format("feedback[{}]", i++);
    if (!item.is_object()) bad(where, fmt::format("{}: expected an object, got {}", where, item.type_name()));
    out.push_back(read(item, where));
  }
  return out;
}

}  // namespace dpeval::serve
