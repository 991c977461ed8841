// Model specs: presets, TOML parsing and its errors, canonical round trip.
#include "dpeval/nn/model_spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "dpeval/core/error.h"

namespace dpeval::nn {
namespace {

// The message of the ConfigError that parsing `text` throws ("" if none).
std::string parse_error(const std::string& text) {
  try {
    parse_model_toml(text, "m.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelSpec, PresetsMatchThePeer) {
  const ModelSpec mlp = model_spec_preset("mlp");
  ASSERT_EQ(mlp.layers.size(), 6u);
  EXPECT_EQ(mlp.layers[1], LayerSpec::linear(512));
  EXPECT_EQ(mlp.layers[5], LayerSpec::linear());
  const ModelSpec cnn = model_spec_preset("cnn");
  ASSERT_EQ(cnn.layers.size(), 10u);
  EXPECT_EQ(cnn.layers[0], LayerSpec::conv2d(32, 5, 1, 2));
  EXPECT_EQ(cnn.layers[2], LayerSpec::maxpool2d(2, 2));
  EXPECT_THROW(model_spec_preset("resnet"), ConfigError);
}

TEST(ModelSpec, ParsesTheDocumentedExample) {
  const ModelSpec s = parse_model_toml(R"(name = "small-cnn"
[[layers]]
type = "conv2d"   # a comment
out_channels = 16
kernel = 3
stride = 1
padding = 1
[[layers]]
type = "maxpool2d"
kernel = 2
[[layers]]
type = "dropout"
[[layers]]
type = "flatten"
[[layers]]
type = "layernorm"
[[layers]]
type = "linear"
out = 10
)",
                                       "m.toml");
  EXPECT_EQ(s.name, "small-cnn");
  ASSERT_EQ(s.layers.size(), 6u);
  EXPECT_EQ(s.layers[0], LayerSpec::conv2d(16, 3, 1, 1));
  EXPECT_EQ(s.layers[0].line, 2);
  EXPECT_EQ(s.layers[1], LayerSpec::maxpool2d(2, 2));  // stride defaults to kernel
  EXPECT_EQ(s.layers[1].line, 8);
  EXPECT_EQ(s.layers[2].p, 0.5);
  EXPECT_EQ(s.layers[4].eps, 1e-5);
  EXPECT_EQ(s.layers[5].out, 10);
}

TEST(ModelSpec, LastLinearMayOmitOut) {
  const ModelSpec s =
      parse_model_toml("[[layers]]\ntype = \"linear\"\nout = 5\n[[layers]]\ntype = \"linear\"\n", "m");
  EXPECT_EQ(s.layers[1].out, 0);
  const std::string e = parse_error("[[layers]]\ntype = \"linear\"\n[[layers]]\ntype = \"linear\"\n");
  EXPECT_NE(e.find("m.toml:1:1:"), std::string::npos) << e;
  EXPECT_NE(e.find("only the last linear"), std::string::npos) << e;
}

TEST(ModelSpec, ErrorsNameFileLineColumnAndExpectation) {
  struct Case {
    const char* text;
    const char* where;
    const char* what;
  };
  const Case cases[] = {
      {"[[layers]\ntype = 1", "m.toml:1:", "invalid TOML"},
      {"[[layers]]\ntype = \"conv3d\"\n", "m.toml:2:8:", "unknown layer type 'conv3d', expected one of"},
      {"[[layers]]\ntype = \"Conv2d\"\nkernel = 3\nout_channels = 2\n", "m.toml:2:", "did you mean 'conv2d'"},
      {"[[layers]]\ntype = \"conv2d\"\nout_channels = 4\nkernal = 3\n", "m.toml:4:1:",
       "unknown key 'kernal' for a conv2d layer, expected type, out_channels, kernel, stride, padding "
       "(did you mean 'kernel'?)"},
      {"[[layers]]\ntype = \"conv2d\"\nout_channels = 4\n",
       "m.toml:1:1:", "has no kernel, expected an integer"},
      {"[[layers]]\ntype = \"conv2d\"\nout_channels = 4\nkernel = -3\n",
       "m.toml:4:10:", "kernel = -3, expected an integer in [1, 1024]"},
      {"[[layers]]\ntype = \"conv2d\"\nout_channels = 4\nkernel = \"3\"\n",
       "m.toml:4:10:", "kernel is a string, expected an integer"},
      {"[[layers]]\ntype = \"conv2d\"\nout_channels = 4\nkernel = 3.0\n",
       "m.toml:4:10:", "kernel is a float"},
      {"[[layers]]\ntype = \"dropout\"\np = 1.0\n", "m.toml:3:5:", "p = 1, expected a number in [0, 1)"},
      {"[[layers]]\ntype = \"layernorm\"\neps = -1\n", "m.toml:3:7:", "eps = -1"},
      {"[[layers]]\nkernel = 3\n", "m.toml:1:1:", "has no type"},
      {"[[layers]]\ntype = 3\n", "m.toml:2:8:", "type is an integer, expected a string"},
      {"name = \"x\"\n", "m.toml:", "no layers"},
      {"layers = []\n", "m.toml:1:10:", "expected a non-empty array"},
      {"layers = [1]\n", "m.toml:1:11:", "layers[0] is an integer, expected a table"},
      {"name = 3\n[[layers]]\ntype = \"relu\"\n", "m.toml:1:8:", "name is an integer"},
      {"nmae = \"x\"\n[[layers]]\ntype = \"relu\"\n", "m.toml:1:1:", "did you mean 'name'"},
  };
  for (const Case& c : cases) {
    const std::string e = parse_error(c.text);
    EXPECT_EQ(e.rfind(c.where, 0), 0u) << c.text << "\n-> " << e;
    EXPECT_NE(e.find(c.what), std::string::npos) << c.text << "\n-> " << e;
  }
}

// See Note [toml++ 3.3 unreachable] in model_spec.cc.
TEST(ModelSpec, NonAsciiOnlyInStringsAndComments) {
  const ModelSpec s = parse_model_toml(
      "name = \"modèle § 🙂\"  # commentaire é\n[[layers]]\ntype = 'relu' # ü\n"
      "[[layers]]\ntype = \"linear\"\n",
      "m");
  EXPECT_EQ(s.name, "modèle § 🙂");
  std::string e = parse_error("[[layers]]\ntypé = \"relu\"\n");
  EXPECT_EQ(e.rfind("m.toml:2:4: non-ASCII character here, expected ASCII", 0), 0u) << e;
  e = parse_error("name = \"\"\"\\\n§\"\"\"\n[[layers]]\ntype = \"relu\"\n");  // upstream issue #190
  EXPECT_EQ(e.rfind("m.toml:2:1: non-ASCII", 0), 0u) << e;
  // A bare value that runs into a quote: toml++ would scan on into the non-ASCII text.
  e = parse_error("name = 1111*11105555''=hh\"||8\xCB\x92h|'hh\n");
  EXPECT_EQ(e.rfind("m.toml:1:30: non-ASCII", 0), 0u) << e;
  // Inside a multi-line array, `a="..."` is a bare value to toml++, not a key.
  e = parse_error("x = [\n a=\"\xC3\xA9\"]\n");
  EXPECT_EQ(e.rfind("m.toml:2:5: non-ASCII", 0), 0u) << e;
  // The fuzzer's reproducer (U+FEDF inside a table header).
  e = parse_error("[[la\xEF\xBB\x9Fyers]]\n[[layers]]\nty\xEF\xBB\xBFyers]]\n[[l flatte\n");
  EXPECT_EQ(e.rfind("m.toml:1:5: non-ASCII", 0), 0u) << e;
}

TEST(ModelSpec, CanonicalTomlRoundTrips) {
  ModelSpec s{"a \"quoted\" name\\ with\ttab",
              {LayerSpec::conv2d(8, 3, 2, 1), LayerSpec::gelu(), LayerSpec::avgpool2d(2, 1),
               LayerSpec::maxpool2d(3), LayerSpec::dropout(0.1), LayerSpec::flatten(),
               LayerSpec::layernorm(1e-6), LayerSpec::linear(7), LayerSpec::relu(), LayerSpec::linear()}};
  const std::string text = model_spec_to_toml(s);
  const ModelSpec back = parse_model_toml(text, "canonical");
  EXPECT_EQ(back, s) << text;
  EXPECT_EQ(model_spec_to_toml(back), text);
  for (const char* preset : {"mlp", "cnn"}) {
    const ModelSpec p = model_spec_preset(preset);
    EXPECT_EQ(parse_model_toml(model_spec_to_toml(p), "canonical"), p);
  }
  // Defaults are written out: the canonical text says everything.
  EXPECT_NE(text.find("stride = 2\npadding = 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("p = 0.1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("eps = 1e-06\n"), std::string::npos) << text;
}

TEST(ModelSpec, LoadsPresetsAndFiles) {
  EXPECT_EQ(load_model_spec("cnn"), model_spec_preset("cnn"));
  EXPECT_THROW(load_model_spec("nope"), ConfigError);
  EXPECT_THROW(load_model_spec("/nonexistent/dir/model.toml"), InputError);
  const auto path = std::filesystem::temp_directory_path() / "dpeval_model_spec_test.toml";
  {
    std::ofstream out(path);
    out << "name = \"tiny\"\n[[layers]]\ntype = \"flatten\"\n[[layers]]\ntype = \"linear\"\nkernel = 2\n";
  }
  try {
    load_model_spec(path.string());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path.string() + ":6:1: unknown key 'kernel'", 0), 0u) << e.what();
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace dpeval::nn
