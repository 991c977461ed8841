// run/safetensors.h: PyTorch's state_dict names and shapes for the presets and
// TOML models, export -> import gives the checkpoint back, every malformed
// file is refused naming what is wrong, and (where python3-torch is installed)
// PyTorch's MLP and CNN of ../shared/peers/fmnist_ddp.py load the weights
// strictly and compute dpeval's logits.
#include "dpeval/run/safetensors.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/nn/model.h"
#include "dpeval/nn/model_spec.h"

namespace dpeval::run {
namespace {

namespace fs = std::filesystem;
using parallel::TrainState;

TrainState make_state(const nn::ModelSpec& spec, uint64_t seed) {
  TrainState s;
  s.config.model_name = spec.name;
  s.config.model_spec = spec;
  s.sample_shape = Shape{1, 28, 28};
  s.num_classes = 10;
  for (int c = 0; c < 10; ++c) s.class_names.push_back("class " + std::to_string(c));
  nn::Model model = nn::Model::build(spec, s.sample_shape, s.num_classes);
  model.init_params(seed);
  s.params.assign(model.params().begin(), model.params().end());
  s.optimizer_state.assign(s.params.size(), 0.25f);  // dropped by export
  s.optimizer_steps = 938;
  s.epochs_done = 1;
  s.global_step = 938;
  s.dataset_hash = 0x1234abcd;
  parallel::EpochRecord r;
  r.epoch = 1;
  r.train_loss = 0.5;
  r.test_loss = 0.45;
  r.test_accuracy = 0.83;
  s.history.push_back(r);
  return s;
}

std::string exported(const TrainState& s) { return safetensors_bytes(s, state_dict_names(s, "ck")); }

fs::path dir() {
  const fs::path d = fs::path(testing::TempDir()) / "safetensors_test";
  fs::create_directories(d);
  return d;
}

fs::path write(const std::string& name, const std::string& bytes) {
  const fs::path p = dir() / name;
  write_file_atomic(p, bytes);
  return p;
}

// The file's header as JSON, and the bytes after it.
std::pair<nlohmann::json, std::string> split(const std::string& bytes) {
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  return {nlohmann::json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}

std::string join(const nlohmann::json& header, const std::string& data) {
  std::string text = header.dump();
  std::string out(8, '\0');
  const uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  return out + text + data;
}

TEST(Safetensors, PresetsAreNamedAsThePeersStateDict) {
  const std::vector<std::pair<std::string, std::vector<int64_t>>> mlp = {
      {"fc1.weight", {512, 784}}, {"fc1.bias", {512}},       {"fc2.weight", {256, 512}},
      {"fc2.bias", {256}},        {"fc3.weight", {10, 256}}, {"fc3.bias", {10}}};
  const std::vector<std::pair<std::string, std::vector<int64_t>>> cnn = {
      {"conv1.weight", {32, 1, 5, 5}},  {"conv1.bias", {32}},
      {"conv2.weight", {64, 32, 5, 5}}, {"conv2.bias", {64}},
      {"fc1.weight", {128, 3136}},      {"fc1.bias", {128}},
      {"fc2.weight", {10, 128}},        {"fc2.bias", {10}}};
  for (const auto& [preset, want] : {std::pair{"mlp", mlp}, std::pair{"cnn", cnn}}) {
    const std::vector<NamedTensor> got = state_dict_names(make_state(nn::model_spec_preset(preset), 1), "ck");
    ASSERT_EQ(got.size(), want.size()) << preset;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].name, want[i].first) << preset;
      EXPECT_EQ(got[i].shape.dims(), want[i].second) << preset << " " << want[i].first;
    }
  }
  // A TOML model, even one with a preset's layers: layers.<index in the spec>.
  const nn::ModelSpec toml = nn::parse_model_toml(
      "name = \"small\"\n[[layers]]\ntype = \"flatten\"\n[[layers]]\ntype = \"linear\"\nout = 16\n"
      "[[layers]]\ntype = \"relu\"\n[[layers]]\ntype = \"linear\"\n",
      "small.toml");
  const std::vector<NamedTensor> got = state_dict_names(make_state(toml, 1), "ck");
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].name, "layers.1.weight");
  EXPECT_EQ(got[3].name, "layers.3.bias");
}

TEST(Safetensors, ExportThenImportIsTheCheckpointWithoutOptimizerState) {
  for (const char* preset : {"mlp", "cnn"}) {
    const TrainState s = make_state(nn::model_spec_preset(preset), 7);
    const std::string bytes = exported(s);
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ((8 + n) % 8, 0u) << "tensors start 8-byte aligned";
    EXPECT_EQ(bytes.size(), 8 + n + s.params.size() * sizeof(float));
    const auto [header, data] = split(bytes);
    EXPECT_EQ(header["__metadata__"]["format"], "pt");
    const TrainState back = read_safetensors(write(std::string(preset) + ".safetensors", bytes));
    EXPECT_EQ(back.params, s.params) << preset;  // bitwise: float == on finite values
    EXPECT_TRUE(back.optimizer_state.empty());
    EXPECT_EQ(back.config.to_json(), s.config.to_json());
    EXPECT_EQ(back.sample_shape.dims(), s.sample_shape.dims());
    EXPECT_EQ(back.class_names, s.class_names);
    EXPECT_EQ(back.epochs_done, 1);
    EXPECT_EQ(back.dataset_hash, s.dataset_hash);
    ASSERT_EQ(back.history.size(), 1u);
    EXPECT_EQ(back.history[0].test_accuracy, 0.83);
  }
}

// Every way a file can be wrong is an InputError naming the file (and the
// tensor or field where there is one); nothing is half-read.
TEST(Safetensors, MalformedFilesAreRefusedNamingWhatIsWrong) {
  const TrainState s = make_state(nn::model_spec_preset("mlp"), 3);
  const std::string good = exported(s);
  const auto [header, data] = split(good);
  auto expect_refused = [&](const std::string& name, const std::string& bytes, const std::string& says) {
    const fs::path p = write(name + ".safetensors", bytes);
    try {
      read_safetensors(p);
      ADD_FAILURE() << name << ": accepted";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(p.string()), std::string::npos) << name << ": " << what;
      EXPECT_NE(what.find(says), std::string::npos) << name << ": " << what;
    }
  };
  expect_refused("short", good.substr(0, 5), "8-byte header length");
  expect_refused("truncated_header", good.substr(0, 100), "does not fit the file");
  std::string huge = good;
  const uint64_t big = uint64_t{1} << 40;
  std::memcpy(huge.data(), &big, 8);
  expect_refused("huge_header_length", huge, "does not fit the file");
  expect_refused("truncated_data", good.substr(0, good.size() - 4), "outside");
  expect_refused("trailing_bytes", good + "xxxx", "after the last tensor");
  expect_refused("not_json", join(nlohmann::json::object(), "").replace(8, 2, "{["), "not JSON");
  auto with = [&](const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json h = header;
    change(h);
    return join(h, data);
  };
  expect_refused("f16", with([](nlohmann::json& h) { h["fc1.bias"]["dtype"] = "F16"; }), "fc1.bias");
  expect_refused("bad_offsets", with([](nlohmann::json& h) {
                   h["fc3.bias"]["data_offsets"] = {0, 1u << 30};
                 }),
                 "fc3.bias");
  expect_refused("overlap", with([](nlohmann::json& h) {
                   h["fc1.bias"]["data_offsets"] = h["fc1.weight"]["data_offsets"];
                   h["fc1.bias"]["shape"] = {512, 784};
                 }),
                 "overlaps");
  expect_refused("wrong_size", with([](nlohmann::json& h) { h["fc2.bias"]["shape"] = {255}; }), "fc2.bias");
  expect_refused("negative_shape", with([](nlohmann::json& h) { h["fc2.bias"]["shape"] = {-256}; }),
                 "fc2.bias");
  expect_refused("transposed", with([](nlohmann::json& h) {
                   h["fc3.weight"]["shape"] = {256, 10};
                 }),
                 "fc3.weight");
  expect_refused("renamed", with([](nlohmann::json& h) {
                   h["fc9.bias"] = h["fc3.bias"];
                   h.erase("fc3.bias");
                 }),
                 "fc3.bias");
  expect_refused("no_metadata", with([](nlohmann::json& h) { h.erase("__metadata__"); }), "dpeval export");
  expect_refused("other_schema",
                 with([](nlohmann::json& h) { h["__metadata__"]["dpeval.schema"] = "dpeval.safetensors/9"; }),
                 "dpeval.safetensors/1");
  expect_refused("bad_progress", with([](nlohmann::json& h) { h["__metadata__"]["dpeval.progress"] = "{}"; }),
                 "__metadata__");
  try {
    read_safetensors(dir());
    ADD_FAILURE() << "read a directory";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
  const fs::path fifo = dir() / "fifo.safetensors";
  fs::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW(read_safetensors(fifo), InputError);  // refused, not a hang waiting for a writer
  std::string nan = good;
  const float q = std::nanf("");
  std::memcpy(nan.data() + nan.size() - 4, &q, 4);
  expect_refused("nan_weight", nan, "finite");
}

// PyTorch loads the exported weights strictly into the peer's own modules and
// computes the same logits as dpeval's forward (1e-5), for the MLP and the
// CNN. Skipped where python3-torch is not installed (CI installs it with the
// peers: make bench-peers).
TEST(Safetensors, PyTorchLoadsTheWeightsAndComputesTheSameLogits) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no python3-torch";
  const fs::path script = fs::path(DPEVAL_SOURCE_DIR) / "tests/run/torch_logits.py";
  std::mt19937 rng(5);
  Tensor x(Shape{16, 1, 28, 28});
  for (size_t i = 0; i < x.size(); ++i) x.data()[i] = std::uniform_real_distribution<float>(0, 1)(rng);
  {
    std::ofstream in(dir() / "inputs.f32", std::ios::binary);
    in.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(float)));
  }
  for (const char* preset : {"mlp", "cnn"}) {
    const TrainState s = make_state(nn::model_spec_preset(preset), 11);
    const fs::path weights = write(std::string(preset) + "_torch.safetensors", exported(s));
    nn::Model model = nn::Model::build(s.config.model_spec, s.sample_shape, s.num_classes);
    std::copy(s.params.begin(), s.params.end(), model.params().begin());
    const Tensor& ours = model.forward(x, {.training = false});
    const fs::path out = dir() / (std::string(preset) + "_logits.f32");
    const std::string cmd =
        "/usr/bin/python3 " + script.string() + " " + weights.string() + " " +
        (dir() / "inputs.f32").string() + " " + out.string() + " " + preset + " " +
        (fs::path(DPEVAL_SOURCE_DIR).parent_path() / "shared/peers/fmnist_ddp.py").string();
    const int rc = std::system(cmd.c_str());
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77)
      GTEST_SKIP() << "no ../shared/peers/fmnist_ddp.py beside the source tree";
    ASSERT_EQ(rc, 0) << cmd;
    std::ifstream got(out, std::ios::binary);
    std::vector<float> theirs(ours.size());
    got.read(reinterpret_cast<char*>(theirs.data()),
             static_cast<std::streamsize>(theirs.size() * sizeof(float)));
    ASSERT_TRUE(got) << out;
    double worst = 0;
    for (size_t i = 0; i < theirs.size(); ++i)
      worst = std::max(worst, std::fabs(double(theirs[i]) - ours.data()[i]));
    EXPECT_LE(worst, 1e-5) << preset;
  }
}

}  // namespace
}  // namespace dpeval::run
