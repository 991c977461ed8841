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

[[noreturn]] void bad(std::string field, const std::string& what) {
  throw HttpError(400, std::move(field), what);
}

json parse_json(std::string_view body) {
  if (body.empty()) bad("body", "empty body; expected a JSON object");
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    bad("body", fmt::format("not JSON at byte {}: expected a JSON object", e.byte));
  } catch (const json::exception& e) {  // a number past double's range (1e400): out_of_range 406
    bad("body", fmt::format("not readable JSON: {}", e.what()));
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
  if (!it->is_array())
    bad(field, fmt::format("{}: expected an array of {} numbers, got {}", field, f, it->type_name()));
  if (it->size() != f) bad(field, fmt::format("{}: {} values; the model reads {}", field, it->size(), f));
  size_t j = 0;
  for (const json& v : *it) {
    if (!v.is_number()) {
      bad(fmt::format("{}[{}]", field, j),
          fmt::format("{}[{}]: expected a number, got {}", field, j, v.type_name()));
    }
    out.push_back(checked_float(v.get<double>(), fmt::format("{}[{}]", field, j)));
    ++j;
  }
}

void check_rows(size_t n, size_t max_rows, const char* field) {
  if (n == 0) bad(field, fmt::format("{}: empty; expected 1 to {} rows", field, max_rows));
  if (n > max_rows) {
    throw HttpError(
        413, field,
        fmt::format("{}: {} rows; at most {} per request (--max-request-rows)", field, n, max_rows));
  }
}

// Note [Fast path]
// Most predict bodies are one shape: {"id": "...", "features": [numbers]} or
// {"instances": [such objects]}, ASCII ids, plain JSON numbers. For that
// shape a scanner reads the numbers straight into the row (fast_float),
// without building a JSON tree: on a 784-feature row the tree cost more than
// the model. Anything else (escapes, other members, repeated members, null,
// a wrong row length, a number outside float32) makes it give up, and the
// general parser reads the body and says what is wrong. Both give the same
// rows, bit for bit: numbers are correctly rounded to double and then to
// float either way, and an integer -0 is +0 as in nlohmann's integers
// (tests/serve/request_test.cc and the fuzz target fuzz_serve_request compare
// the two).
class Scan {
 public:
  explicit Scan(std::string_view body) : p_(body.data()), end_(body.data() + body.size()) {}
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool at_end() {
    ws();
    return p_ == end_;
  }
  bool lit(char c) {
    ws();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  // "<key>" exactly (no escapes).
  bool key(std::string_view k) {
    ws();
    if (static_cast<size_t>(end_ - p_) < k.size() + 2 || p_[0] != '"' ||
        std::string_view(p_ + 1, k.size()) != k || p_[k.size() + 1] != '"') {
      return false;
    }
    p_ += k.size() + 2;
    return true;
  }
  // A string of printable ASCII without escapes.
  bool plain_string(std::string& out) {
    ws();
    if (p_ == end_ || *p_ != '"') return false;
    const char* q = ++p_;
    while (q < end_ && *q != '"') {
      if (*q < 0x20 || *q > 0x7e || *q == '\\') return false;
      ++q;
    }
    if (q == end_) return false;
    out.assign(p_, q);
    p_ = q + 1;
    return true;
  }
  // A JSON number (RFC 8259 grammar), correctly rounded to double.
  bool number(double& v) {
    ws();
    const char* q = p_;
    if (q < end_ && *q == '-') ++q;
    if (q == end_) return false;
    if (*q == '0') {
      ++q;
    } else if (*q >= '1' && *q <= '9') {
      while (q < end_ && *q >= '0' && *q <= '9') ++q;
    } else {
      return false;
    }
    bool integer = true;
    auto digits = [&] {
      const char* d = q;
      while (q < end_ && *q >= '0' && *q <= '9') ++q;
      return q > d;
    };
    if (q < end_ && *q == '.') {
      integer = false;
      ++q;
      if (!digits()) return false;
    }
    if (q < end_ && (*q == 'e' || *q == 'E')) {
      integer = false;
      ++q;
      if (q < end_ && (*q == '+' || *q == '-')) ++q;
      if (!digits()) return false;
    }
    const auto r = fast_float::from_chars(p_, q, v);
    if (r.ec != std::errc() || r.ptr != q) return false;
    if (integer && v == 0) v = 0.0;  // nlohmann reads -0 as the integer 0
    p_ = q;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

bool fast_instance(Scan& s, size_t f, PredictRows& out) {
  if (!s.lit('{')) return false;
  bool have_id = false, have_features = false;
  std::string id;
  do {
    if (s.key("id")) {
      if (have_id || !s.lit(':') || !s.plain_string(id) || id.empty() || id.size() > kMaxIdBytes)
        return false;
      have_id = true;
    } else if (s.key("features")) {
      if (have_features || !s.lit(':') || !s.lit('[')) return false;
      size_t count = 0;
      do {
        double v = 0;
        if (!s.number(v) || !(std::fabs(v) <= std::numeric_limits<float>::max()) || ++count > f) return false;
        out.values.push_back(static_cast<float>(v));
      } while (s.lit(','));
      if (!s.lit(']') || count != f) return false;
      have_features = true;
    } else {
      return false;
    }
  } while (s.lit(','));
  if (!s.lit('}') || !have_features) return false;
  out.ids.push_back(std::move(id));
  ++out.n;
  return true;
}

}  // namespace

bool parse_predict_json_fast(std::string_view body, const RequestLimits& limits, PredictRows& out) {
  out = PredictRows();
  Scan s(body);
  Scan probe = s;
  if (probe.lit('{') && probe.key("instances")) {
    s = probe;
    if (!s.lit(':') || !s.lit('[')) return false;
    do {
      if (out.n == limits.max_rows || !fast_instance(s, limits.num_features, out)) return false;
    } while (s.lit(','));
    if (!s.lit(']') || !s.lit('}')) return false;
  } else if (!fast_instance(s, limits.num_features, out)) {
    return false;
  }
  return s.at_end();
}

namespace {

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
        bad(fmt::format("line {} column 1", line_no),
            fmt::format("line {}: id of {} bytes; expected 1 to {}", line_no, cells[0].size(), kMaxIdBytes));
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

PredictRows parse_predict_body(std::string_view body, std::string_view content_type,
                               const RequestLimits& limits) {
  if (content_type.starts_with("text/csv")) return parse_predict_csv(body, limits);
  PredictRows fast;
  if (parse_predict_json_fast(body, limits, fast)) return fast;  // Note [Fast path]
  return parse_predict_json_general(body, limits);
}

PredictRows parse_predict_json_general(std::string_view body, const RequestLimits& limits) {
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
  if (!instances->is_array())
    bad("instances", fmt::format("instances: expected an array, got {}", instances->type_name()));
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

std::vector<FeedbackItem> parse_feedback_body(std::string_view body,
                                              const std::vector<std::string>& class_names, size_t max_rows) {
  const json doc = parse_json(body);
  if (!doc.is_object()) bad("body", fmt::format("expected a JSON object, got {}", doc.type_name()));
  const size_t k = class_names.size();
  auto read = [&](const json& item, const std::string& where) {
    FeedbackItem f;
    f.id = read_id(item, where);
    f.id_field = where.empty() ? "id" : where + ".id";
    if (f.id.empty())
      bad(f.id_field, fmt::format("{}: missing; expected the id of a prediction", f.id_field));
    const std::string field = where.empty() ? "label" : where + ".label";
    const auto it = item.find("label");
    if (it == item.end())
      bad(field, fmt::format("{}: missing; expected a class index 0 to {}", field, k - 1));
    if (it->is_number_integer()) {
      const int64_t v = it->get<int64_t>();
      if (v < 0 || static_cast<size_t>(v) >= k)
        bad(field, fmt::format("{}: {} is not a class index 0 to {}", field, v, k - 1));
      f.label = static_cast<int32_t>(v);
    } else if (it->is_string()) {
      const std::string& name = it->get_ref<const std::string&>();
      size_t c = 0;
      while (c < k && class_names[c] != name) ++c;
      if (c == k)
        bad(field, fmt::format("{}: '{}' is not one of the model's class names", field, name.substr(0, 64)));
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
  if (!batch->is_array())
    bad("feedback", fmt::format("feedback: expected an array, got {}", batch->type_name()));
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
