// Checkpoint weights as safetensors; see safetensors.h.
#include "dpeval/run/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/mapped_file.h"
#include "dpeval/nn/model.h"
#include "dpeval/run/checkpoint_model.h"

namespace dpeval::run {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

constexpr std::string_view kSchema = "dpeval.safetensors/1";
constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;

// Note [State-dict names]: the PyTorch module name of spec layer `layer`.
std::string module_name(const nn::ModelSpec& spec, size_t layer) {
  static const std::pair<const char*, std::map<size_t, const char*>> kPresets[] = {
      {"mlp", {{1, "fc1"}, {3, "fc2"}, {5, "fc3"}}},
      {"cnn", {{0, "conv1"}, {3, "conv2"}, {7, "fc1"}, {9, "fc2"}}}};
  for (const auto& [preset, names] : kPresets) {
    if (spec.name == preset && spec.layers == nn::model_spec_preset(preset).layers) {
      const auto it = names.find(layer);
      DPEVAL_CHECK(it != names.end()) << "preset " << preset << " has parameters in layer " << layer;
      return it->second;
    }
  }
  return fmt::format("layers.{}", layer);
}

std::string where_field(const std::filesystem::path& path, std::string_view field) {
  return fmt::format("{}: {}", path.string(), field);
}

}  // namespace

std::vector<NamedTensor> state_dict_names(const parallel::TrainState& state, const std::string& checkpoint) {
  const nn::Model model = build_checkpoint_model(state, checkpoint);
  std::vector<NamedTensor> out;
  for (const nn::ParamInfo& info : model.param_infos()) {
    const size_t dot = info.name.find('.');
    DPEVAL_CHECK(dot != std::string::npos) << "parameter name " << info.name;
    const size_t layer = std::stoul(info.name.substr(0, dot));
    out.push_back(
        {module_name(state.config.model_spec, layer) + info.name.substr(dot), info.shape, info.offset});
  }
  return out;
}

std::string safetensors_bytes(const parallel::TrainState& state, const std::vector<NamedTensor>& tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  // The progress without optimizer state (Note [Safetensors metadata]).
  nlohmann::json progress = nlohmann::json::parse(parallel::train_state_progress(state));
  progress["optimizer_state"] = 0;
  progress["optimizer_steps"] = 0;
  header["__metadata__"] = {{"format", "pt"},
                            {"dpeval.schema", std::string(kSchema)},
                            {"dpeval.config", state.config.to_json().dump()},
                            {"dpeval.progress", progress.dump()}};
  size_t at = 0;
  for (const NamedTensor& t : tensors) {
    const size_t bytes = static_cast<size_t>(t.shape.numel()) * sizeof(float);
    DPEVAL_CHECK(t.offset * sizeof(float) == at) << t.name << " is not where the one before it ends";
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape.dims()}, {"data_offsets", {at, at + bytes}}};
    at += bytes;
  }
  std::string text = header.dump();
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');  // Note [Safetensors layout]: tensors 8-byte aligned
  std::string out(8, '\0');
  const uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  out += text;
  const size_t data_start = out.size();
  out.resize(data_start + at);
  // The tensors are the model's parameters in order, end to end: one copy.
  std::memcpy(out.data() + data_start, state.params.data(), at);
  DPEVAL_CHECK(at == state.params.size() * sizeof(float)) << "exported " << at << " bytes of parameters";
  return out;
}

parallel::TrainState read_safetensors(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {  // a FIFO would block the open below
    throw InputError(
        fmt::format("{}: not a regular file (missing, a directory, FIFO or device); expected a "
                    ".safetensors file",
                    path.string()));
  }
  const MappedFile map(path);
  if (!map.mapped()) {
    throw InputError(fmt::format("{}: cannot read (missing, empty or not a regular file)", path.string()));
  }
  return safetensors_state(map.text(), path);
}

parallel::TrainState safetensors_state(std::string_view file, const std::filesystem::path& path) {
  if (file.size() < 8) {
    throw InputError(fmt::format("{}: {} bytes; a safetensors file starts with an 8-byte header length",
                                 path.string(), file.size()));
  }
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  if (n > kMaxHeaderBytes || n > file.size() - 8) {
    throw InputError(fmt::format("{}: header length {} does not fit the file of {} bytes (at most {} MB)",
                                 path.string(), n, file.size(), kMaxHeaderBytes >> 20));
  }
  const std::string_view data = file.substr(8 + n);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(file.substr(8, n));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: the header is not JSON: {}", path.string(), e.what()));
  }
  if (!header.is_object()) throw InputError(where_field(path, "the header is not a JSON object"));

  // Every tensor's place, checked: F32, offsets inside the data, size = shape.
  struct Place {
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;
  };
  std::map<std::string, Place> places;
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (const auto& [name, t] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string at = where_field(path, "tensor '" + name + "'");
    if (!t.is_object() || !t.contains("dtype") || !t.contains("shape") || !t.contains("data_offsets")) {
      throw InputError(at + ": expected an object with dtype, shape and data_offsets");
    }
    if (!t["dtype"].is_string() || t["dtype"] != "F32") {
      throw InputError(
          fmt::format("{}: dtype {}; expected F32 (dpeval's weights are float32)", at, t["dtype"].dump()));
    }
    Place p;
    uint64_t numel = 1;
    if (!t["shape"].is_array() || t["shape"].size() > 8)
      throw InputError(at + ": shape must be an array of at most 8 sizes");
    for (const auto& d : t["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 31)) {
        throw InputError(fmt::format("{}: shape {}; expected sizes in [0, 2^31]", at, t["shape"].dump()));
      }
      p.shape.push_back(d.get<int64_t>());
      numel = numel * d.get<uint64_t>();
      if (numel > (uint64_t{1} << 34))
        throw InputError(fmt::format("{}: shape {} is too large", at, t["shape"].dump()));
    }
    const auto& off = t["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      throw InputError(at + ": data_offsets must be [begin, end]");
    }
    p.begin = off[0].get<uint64_t>();
    p.end = off[1].get<uint64_t>();
    if (p.begin > p.end || p.end > data.size()) {
      throw InputError(fmt::format("{}: data_offsets [{}, {}] outside the {} bytes of data", at, p.begin,
                                   p.end, data.size()));
    }
    if (p.end - p.begin != numel * sizeof(float)) {
      throw InputError(fmt::format("{}: {} bytes for shape {} of F32 ({} bytes)", at, p.end - p.begin,
                                   t["shape"].dump(), numel * 4));
    }
    spans.emplace_back(p.begin, p.end);
    places.emplace(name, std::move(p));
  }
  std::sort(spans.begin(), spans.end());
  uint64_t covered = 0;
  for (const auto& [b, e] : spans) {
    if (b != covered) {
      throw InputError(fmt::format("{}: tensor data {} at byte {} (the tensors must lie end to end, from 0)",
                                   path.string(), b < covered ? "overlaps" : "leaves a gap", b));
    }
    covered = e;
  }
  if (covered != data.size()) {
    throw InputError(
        fmt::format("{}: {} bytes of data after the last tensor", path.string(), data.size() - covered));
  }

  // The checkpoint's other sections, from the metadata (Note [Safetensors metadata]).
  const nlohmann::json meta = header.value("__metadata__", nlohmann::json::object());
  auto text = [&](const char* key) -> std::string {
    if (!meta.is_object() || !meta.contains(key) || !meta[key].is_string()) {
      throw InputError(fmt::format(
          "{}: __metadata__ has no \"{}\": only safetensors written by `dpeval export` can be imported (they "
          "carry the model spec and the run's progress)",
          path.string(), key));
    }
    return meta[key].get<std::string>();
  };
  if (text("dpeval.schema") != kSchema) {
    throw InputError(fmt::format("{}: __metadata__ dpeval.schema is \"{}\"; expected \"{}\"", path.string(),
                                 text("dpeval.schema"), kSchema));
  }
  size_t n_params = 0;
  parallel::TrainState state = parallel::train_state_from_sections(
      text("dpeval.config"), text("dpeval.progress"),
      [&](std::string_view section, size_t count) {
        if (section == "params") n_params = count;
        if (section != "params" && count != 0) {
          throw InputError(
              where_field(path, "__metadata__ dpeval.progress records optimizer state; expected none"));
        }
        return std::vector<float>(section == "params" ? count : 0);
      },
      path.string() + ": __metadata__");
  const std::vector<NamedTensor> expected = state_dict_names(state, path.string());
  for (const NamedTensor& t : expected) {
    const auto it = places.find(t.name);
    if (it == places.end()) {
      throw InputError(fmt::format("{}: no tensor '{}' (shape {}), which the model in its metadata has",
                                   path.string(), t.name, nlohmann::json(t.shape.dims()).dump()));
    }
    if (it->second.shape != t.shape.dims()) {
      throw InputError(fmt::format("{}: tensor '{}' has shape {}; the model has {}", path.string(), t.name,
                                   nlohmann::json(it->second.shape).dump(),
                                   nlohmann::json(t.shape.dims()).dump()));
    }
    std::memcpy(state.params.data() + t.offset, data.data() + it->second.begin,
                it->second.end - it->second.begin);
    places.erase(it);
  }
  if (!places.empty()) {
    throw InputError(fmt::format("{}: tensor '{}' is not a parameter of the model in its metadata",
                                 path.string(), places.begin()->first));
  }
  DPEVAL_CHECK(n_params == state.params.size()) << "params " << n_params;
  for (size_t i = 0; i < state.params.size(); ++i) {
    if (!std::isfinite(state.params[i])) {
      throw InputError(fmt::format("{}: parameter {} of {} is {}; a model's weights must be finite",
                                   path.string(), i, state.params.size(), state.params[i]));
    }
  }
  return state;
}

}  // namespace dpeval::run
