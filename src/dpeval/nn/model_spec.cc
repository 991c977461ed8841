// Model specs: presets, TOML parsing with source positions, canonical TOML output.
#include "dpeval/nn/model_spec.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dpeval/core/error.h"
#include "dpeval/core/toml_hazards.h"

namespace dpeval::nn {

LayerSpec LayerSpec::linear(int64_t out) {
  LayerSpec s;
  s.type = "linear";
  s.out = out;
  return s;
}
LayerSpec LayerSpec::conv2d(int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding) {
  LayerSpec s;
  s.type = "conv2d";
  s.out_channels = out_channels;
  s.kernel = kernel;
  s.stride = stride;
  s.padding = padding;
  return s;
}
LayerSpec LayerSpec::maxpool2d(int64_t kernel, int64_t stride) {
  LayerSpec s;
  s.type = "maxpool2d";
  s.kernel = kernel;
  s.stride = stride == 0 ? kernel : stride;
  return s;
}
LayerSpec LayerSpec::avgpool2d(int64_t kernel, int64_t stride) {
  LayerSpec s = maxpool2d(kernel, stride);
  s.type = "avgpool2d";
  return s;
}
LayerSpec LayerSpec::relu() {
  LayerSpec s;
  s.type = "relu";
  return s;
}
LayerSpec LayerSpec::gelu() {
  LayerSpec s;
  s.type = "gelu";
  return s;
}
LayerSpec LayerSpec::dropout(double p) {
  LayerSpec s;
  s.type = "dropout";
  s.p = p;
  return s;
}
LayerSpec LayerSpec::flatten() {
  LayerSpec s;
  s.type = "flatten";
  return s;
}
LayerSpec LayerSpec::layernorm(double eps) {
  LayerSpec s;
  s.type = "layernorm";
  s.eps = eps;
  return s;
}

bool operator==(const LayerSpec& a, const LayerSpec& b) {
  return a.type == b.type && a.out == b.out && a.out_channels == b.out_channels && a.kernel == b.kernel &&
         a.stride == b.stride && a.padding == b.padding && a.p == b.p && a.eps == b.eps;
}

ModelSpec model_spec_preset(std::string_view name) {
  if (name == "mlp") {
    return ModelSpec{"mlp",
                     {LayerSpec::flatten(), LayerSpec::linear(512), LayerSpec::relu(), LayerSpec::linear(256),
                      LayerSpec::relu(), LayerSpec::linear()}};
  }
  if (name == "cnn") {
    return ModelSpec{"cnn",
                     {LayerSpec::conv2d(32, 5, 1, 2), LayerSpec::relu(), LayerSpec::maxpool2d(2),
                      LayerSpec::conv2d(64, 5, 1, 2), LayerSpec::relu(), LayerSpec::maxpool2d(2),
                      LayerSpec::flatten(), LayerSpec::linear(128), LayerSpec::relu(), LayerSpec::linear()}};
  }
  throw ConfigError(fmt::format("unknown model preset '{}', expected mlp or cnn", name));
}

namespace {

// The keys each layer type accepts, in canonical order ("type" first).
struct TypeKeys {
  std::string_view type;
  std::vector<std::string_view> keys;
};

const std::vector<TypeKeys>& type_keys() {
  static const std::vector<TypeKeys> kTypes = {
      {"linear", {"type", "out"}},
      {"conv2d", {"type", "out_channels", "kernel", "stride", "padding"}},
      {"maxpool2d", {"type", "kernel", "stride"}},
      {"avgpool2d", {"type", "kernel", "stride"}},
      {"relu", {"type"}},
      {"gelu", {"type"}},
      {"dropout", {"type", "p"}},
      {"flatten", {"type"}},
      {"layernorm", {"type", "eps"}},
  };
  return kTypes;
}

const TypeKeys* find_type(std::string_view type) {
  for (const TypeKeys& t : type_keys()) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'kernel'?)" when one candidate is within two edits, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  if (word.size() > 64) return "";
  for (std::string_view c : candidates) {
    if (edit_distance(word, c) <= 2) return fmt::format(" (did you mean '{}'?)", c);
  }
  return "";
}

std::string join(const std::vector<std::string_view>& words, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) out += sep;
    out += words[i];
  }
  return out;
}

// A printable, bounded rendering of user text for error messages.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > 64) out += "...";
  return out + "'";
}

std::string_view node_kind(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

class SpecParser {
 public:
  explicit SpecParser(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& message) const {
    throw ConfigError(fmt::format("{}:{}:{}: {}", source_, where.begin.line, where.begin.column, message));
  }

  ModelSpec parse(std::string_view text) {
    reject_toml_hazards(text, source_);  // See Note [toml++ 3.3 unreachable].
    toml::table root;
    try {
      root = toml::parse(text, source_);
    } catch (const toml::parse_error& e) {
      fail(e.source(), fmt::format("invalid TOML: {}", e.description()));
    }
    ModelSpec spec;
    const toml::node* layers = nullptr;
    for (auto&& [key, node] : root) {
      if (key.str() == "name") {
        const auto* name = node.as_string();
        if (!name) fail(node.source(), fmt::format("name is {}, expected a string", node_kind(node)));
        spec.name = name->get();
      } else if (key.str() == "layers") {
        layers = &node;
      } else {
        fail(key.source(), fmt::format("unknown top-level key {}, expected name or [[layers]]{}",
                                       quoted(key.str()), did_you_mean(key.str(), {"name", "layers"})));
      }
    }
    if (!layers) {
      fail(root.source(), "no layers, expected at least one [[layers]] table");
    }
    const toml::array* array = layers->as_array();
    if (!array || array->empty()) {
      fail(layers->source(), fmt::format("layers is {}, expected a non-empty array of tables ([[layers]])",
                                         array ? "empty" : node_kind(*layers)));
    }
    size_t last_linear = array->size();
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::table* t = array->get(i)->as_table();
      if (!t) {
        fail(array->get(i)->source(),
             fmt::format("layers[{}] is {}, expected a table", i, node_kind(*array->get(i))));
      }
      if (const auto* type = t->get_as<std::string>("type"); type && type->get() == "linear") last_linear = i;
    }
    for (size_t i = 0; i < array->size(); ++i) {
      spec.layers.push_back(parse_layer(*array->get(i)->as_table(), i, i == last_linear));
    }
    return spec;
  }

 private:
  LayerSpec parse_layer(const toml::table& table, size_t index, bool is_last_linear) {
    const toml::node* type_node = table.get("type");
    if (!type_node) {
      fail(table.source(),
           fmt::format("layers[{}] has no type, expected type = one of {}", index, type_list()));
    }
    const auto* type_value = type_node->as_string();
    if (!type_value) {
      fail(type_node->source(),
           fmt::format("layers[{}].type is {}, expected a string", index, node_kind(*type_node)));
    }
    const std::string& type = type_value->get();
    const TypeKeys* keys = find_type(type);
    if (!keys) {
      std::vector<std::string_view> names;
      for (const TypeKeys& t : type_keys()) names.push_back(t.type);
      fail(type_node->source(), fmt::format("unknown layer type {}, expected one of {}{}", quoted(type),
                                            type_list(), did_you_mean(type, names)));
    }
    for (auto&& [key, node] : table) {
      if (std::find(keys->keys.begin(), keys->keys.end(), key.str()) == keys->keys.end()) {
        fail(key.source(), fmt::format("unknown key {} for a {} layer, expected {}{}", quoted(key.str()),
                                       type, join(keys->keys, ", "), did_you_mean(key.str(), keys->keys)));
      }
    }
    table_ = &table;
    index_ = index;
    type_ = type;
    LayerSpec s;
    s.type = type;
    s.line = static_cast<int>(table.source().begin.line);
    if (type == "linear") {
      s.out = is_last_linear ? get_int("out", 1, kSpecMaxWidth, 0, true) : get_int("out", 1, kSpecMaxWidth);
    } else if (type == "conv2d") {
      s.out_channels = get_int("out_channels", 1, kSpecMaxWidth);
      s.kernel = get_int("kernel", 1, kSpecMaxKernel);
      s.stride = get_int("stride", 1, kSpecMaxKernel, 1, true);
      s.padding = get_int("padding", 0, kSpecMaxKernel, 0, true);
    } else if (type == "maxpool2d" || type == "avgpool2d") {
      s.kernel = get_int("kernel", 1, kSpecMaxKernel);
      s.stride = get_int("stride", 1, kSpecMaxKernel, s.kernel, true);
    } else if (type == "dropout") {
      s.p = get_float(
          "p", 0.5, [](double p) { return p >= 0.0 && p < 1.0; }, "a number in [0, 1)");
    } else if (type == "layernorm") {
      s.eps = get_float(
          "eps", 1e-5, [](double e) { return e > 0.0 && e < 1.0; }, "a number in (0, 1)");
    }
    return s;
  }

  int64_t get_int(std::string_view key, int64_t lo, int64_t hi, int64_t fallback = 0, bool optional = false) {
    const std::string expected = fmt::format("an integer in [{}, {}]", lo, hi);
    const toml::node* node = table_->get(key);
    if (!node) {
      if (optional) return fallback;
      std::string hint;
      if (type_ == "linear")
        hint = " (only the last linear layer may omit it: it gets the number of classes)";
      fail(table_->source(),
           fmt::format("{} layer layers[{}] has no {}, expected {}{}", type_, index_, key, expected, hint));
    }
    const auto* value = node->as_integer();
    if (!value) {
      fail(node->source(), fmt::format("{} is {}, expected {}", key, node_kind(*node), expected));
    }
    if (value->get() < lo || value->get() > hi) {
      fail(node->source(), fmt::format("{} = {}, expected {}", key, value->get(), expected));
    }
    return value->get();
  }

  template <typename Valid>
  double get_float(std::string_view key, double fallback, Valid valid, std::string_view expected) {
    const toml::node* node = table_->get(key);
    if (!node) return fallback;
    double v = 0;
    if (const auto* f = node->as_floating_point()) {
      v = f->get();
    } else if (const auto* i = node->as_integer()) {
      v = static_cast<double>(i->get());
    } else {
      fail(node->source(), fmt::format("{} is {}, expected {}", key, node_kind(*node), expected));
    }
    if (!std::isfinite(v) || !valid(v))
      fail(node->source(), fmt::format("{} = {}, expected {}", key, v, expected));
    return v;
  }

  static std::string type_list() {
    std::vector<std::string_view> names;
    for (const TypeKeys& t : type_keys()) names.push_back(t.type);
    return join(names, ", ");
  }

  std::string source_;
  const toml::table* table_ = nullptr;
  size_t index_ = 0;
  std::string type_;
};

// TOML basic string with the escapes the spec requires.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (ch == '"') {
      out += "\\\"";
    } else if (ch == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04X}", c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// Shortest text that reads back as the same double, always a TOML float.
std::string toml_float(double v) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof(buf), v);
  std::string out(buf, result.ptr);
  if (out.find_first_of(".en") == std::string::npos) out += ".0";
  return out;
}

}  // namespace

ModelSpec parse_model_toml(std::string_view text, std::string_view source_name) {
  return SpecParser(source_name).parse(text);
}

ModelSpec load_model_spec(std::string_view name_or_path) {
  const bool is_path = name_or_path.find('/') != std::string_view::npos ||
                       (name_or_path.size() >= 5 && name_or_path.substr(name_or_path.size() - 5) == ".toml");
  if (!is_path) {
    if (name_or_path == "mlp" || name_or_path == "cnn") return model_spec_preset(name_or_path);
    throw ConfigError(
        fmt::format("unknown model '{}', expected mlp, cnn or a path to a .toml model spec", name_or_path));
  }
  const std::string path(name_or_path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read model spec: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(fmt::format("{}: read error", path));
  return parse_model_toml(text.str(), path);
}

std::string model_spec_to_toml(const ModelSpec& spec) {
  std::string out = "name = " + toml_string(spec.name) + "\n";
  for (const LayerSpec& s : spec.layers) {
    out += "\n[[layers]]\ntype = " + toml_string(s.type) + "\n";
    if (s.type == "linear") {
      if (s.out != 0) out += fmt::format("out = {}\n", s.out);
    } else if (s.type == "conv2d") {
      out += fmt::format("out_channels = {}\nkernel = {}\nstride = {}\npadding = {}\n", s.out_channels,
                         s.kernel, s.stride, s.padding);
    } else if (s.type == "maxpool2d" || s.type == "avgpool2d") {
      out += fmt::format("kernel = {}\nstride = {}\n", s.kernel, s.stride);
    } else if (s.type == "dropout") {
      out += "p = " + toml_float(s.p) + "\n";
    } else if (s.type == "layernorm") {
      out += "eps = " + toml_float(s.eps) + "\n";
    }
  }
  return out;
}

}  // namespace dpeval::nn
