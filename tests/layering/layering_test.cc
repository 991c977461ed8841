// The include graph under src/dpeval/ agrees with the module graph CMake declares.
//
// The allowed edges are not written here: they come from the DEPS of every dpeval_cc_library,
// which cmake/dpeval_helpers.cmake writes to <build>/dpeval_layering.txt at configure time
// (Note [Layering from DEPS]). A module CMake has never seen before (a new src/dpeval/<m>/ with
// its own dpeval_cc_library) is checked like the others without touching this file. Rules:
//   - a file in module M may include "dpeval/N/..." when N == M or N is reachable from M
//     through DEPS (transitively: DEPS link PUBLIC);
//   - "dpeval/N/internal/..." only from module N itself (tests may include the internals of the
//     module they test, and are not scanned);
//   - every directory under src/dpeval/ with sources is a module with a library, and the module
//     graph has no cycles.
// Each violation names file:line, the including module, the included module and the allowed list.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval {
namespace {

using ModuleGraph = std::map<std::string, std::set<std::string>>;  // module -> modules it may use

// The module graph read from dpeval_layering.txt, with whatever in the file made no sense.
struct Layering {
  ModuleGraph direct;  // module -> modules named (through their libraries) in its DEPS
  std::vector<std::string> problems;
};

// Parses lines "library NAME module M deps L1 L2 ..." ('#' lines are comments). A DEPS entry
// that is no dpeval_cc_library is a problem: the edge it stands for could not be checked.
Layering parse_layering(std::string_view text) {
  Layering out;
  std::map<std::string, std::string> module_of_library;
  std::vector<std::pair<std::string, std::vector<std::string>>> deps_of_library;
  std::istringstream lines{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string library_word, library, module_word, module, deps_word;
    if (!(words >> library_word >> library >> module_word >> module >> deps_word) ||
        library_word != "library" || module_word != "module" || deps_word != "deps") {
      std::string problem = "dpeval_layering.txt:";  // not "literal" + to_string(): GCC 12 -Wrestrict
      problem += std::to_string(number) + ": expected 'library NAME module M deps ...', got '" + line + "'";
      out.problems.push_back(problem);
      continue;
    }
    module_of_library[library] = module;
    out.direct[module];  // a module with no DEPS is still a module
    std::vector<std::string> deps;
    for (std::string dep; words >> dep;) deps.push_back(dep);
    deps_of_library.emplace_back(library, std::move(deps));
  }
  for (const auto& [library, deps] : deps_of_library) {
    const std::string& module = module_of_library[library];
    for (const std::string& dep : deps) {
      auto found = module_of_library.find(dep);
      if (found == module_of_library.end()) {
        out.problems.push_back("library " + library + " (module " + module + ") has DEPS dpeval::" + dep +
                               ", which no dpeval_cc_library defines");
      } else if (found->second != module) {
        out.direct[module].insert(found->second);
      }
    }
  }
  return out;
}

// Every module reachable from each module through one or more edges (a module is in its own set
// only if it lies on a cycle).
ModuleGraph reachable_modules(const ModuleGraph& direct) {
  ModuleGraph out;
  for (const auto& [module, _] : direct) {
    std::set<std::string>& seen = out[module];
    std::vector<std::string> stack(direct.at(module).begin(), direct.at(module).end());
    while (!stack.empty()) {
      std::string next = stack.back();
      stack.pop_back();
      if (!seen.insert(next).second) continue;
      if (auto edges = direct.find(next); edges != direct.end()) {
        stack.insert(stack.end(), edges->second.begin(), edges->second.end());
      }
    }
  }
  return out;
}

std::string join(const std::set<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out.empty() ? "(nothing: no DEPS)" : out;
}

// The problems in one file of module `module`; `path` is how messages name it.
std::vector<std::string> check_includes(const std::string& path, const std::string& module,
                                        std::string_view text, const ModuleGraph& allowed) {
  static const std::regex kInclude(R"(^\s*#\s*include\s*["<](dpeval/([^/">]+)/([^">]*))[">])");
  std::vector<std::string> out;
  std::istringstream lines{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::smatch match;
    if (!std::regex_search(line, match, kInclude)) continue;
    const std::string header = match[1], included = match[2], rest = match[3];
    if (included == module) continue;
    const std::string where =
        path + ":" + std::to_string(number) + ": module " + module + " includes \"" + header + "\"";
    auto modules = allowed.find(included);
    if (modules == allowed.end()) {
      out.push_back(where + ": there is no module " + included + " (no dpeval_cc_library in src/dpeval/" +
                    included + "/)");
      continue;
    }
    if (rest.starts_with("internal/") || rest.find("/internal/") != std::string::npos) {
      out.push_back(where + ", an internal/ header of module " + included + "; only " + included +
                    " may include it (move what both need into a public header)");
      continue;
    }
    const std::set<std::string>& may = allowed.at(module);
    if (!may.contains(included)) {
      out.push_back(where + " of module " + included + ", not in its DEPS; " + module +
                    " may include: " + join(may) + " (add dpeval::" + included + " to DEPS in src/dpeval/" +
                    module + "/CMakeLists.txt if the edge is meant)");
    }
  }
  return out;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string lines_of(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& problem : problems) out += "\n  " + problem;
  return out;
}

// --- the checker itself, on small made-up graphs -------------------------------------------

constexpr std::string_view kSmallLayering =
    "# comment\n"
    "library core module core deps\n"
    "library data module data deps core\n"
    "library eval module eval deps core data\n"
    "library govern_pii module govern deps core data\n"
    "library govern module govern deps govern_pii eval\n"
    "library report module report deps core\n";

TEST(LayeringCheck, ReadsModulesFromLibraries) {
  Layering layering = parse_layering(kSmallLayering);
  EXPECT_TRUE(layering.problems.empty()) << lines_of(layering.problems);
  // Two libraries in one directory are one module; an edge between them is no edge.
  EXPECT_EQ(layering.direct.at("govern"), (std::set<std::string>{"core", "data", "eval"}));
  EXPECT_TRUE(layering.direct.at("core").empty());
}

TEST(LayeringCheck, DepsOnAnUnknownLibraryIsAProblem) {
  Layering layering =
      parse_layering("library core module core deps\nlibrary run module run deps core missing\n");
  ASSERT_EQ(layering.problems.size(), 1u);
  EXPECT_NE(layering.problems[0].find("dpeval::missing"), std::string::npos) << layering.problems[0];
  EXPECT_EQ(parse_layering("library core deps\n").problems.size(), 1u);
}

TEST(LayeringCheck, TransitiveDepsMayBeIncluded) {
  ModuleGraph allowed = reachable_modules(parse_layering(kSmallLayering).direct);
  EXPECT_EQ(allowed.at("govern"), (std::set<std::string>{"core", "data", "eval"}));
  EXPECT_TRUE(check_includes("src/dpeval/govern/a.cc", "govern",
                             "#include \"dpeval/core/error.h\"\n#include <dpeval/eval/metrics.h>\n"
                             "#include \"dpeval/govern/internal/x.h\"\n#include <vector>\n",
                             allowed)
                  .empty());
}

TEST(LayeringCheck, UpwardIncludeNamesFileLineModulesAndAllowedList) {
  ModuleGraph allowed = reachable_modules(parse_layering(kSmallLayering).direct);
  std::vector<std::string> problems = check_includes(
      "src/dpeval/data/csv.cc", "data", "// x\n  #  include \"dpeval/eval/metrics.h\"\n", allowed);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(
      problems[0],
      "src/dpeval/data/csv.cc:2: module data includes \"dpeval/eval/metrics.h\" of module eval, not in its "
      "DEPS; data may include: core (add dpeval::eval to DEPS in src/dpeval/data/CMakeLists.txt if the edge "
      "is meant)");
  // A sideways edge is as wrong as an upward one.
  EXPECT_EQ(
      check_includes("src/dpeval/report/html.h", "report", "#include \"dpeval/data/table.h\"\n", allowed)
          .size(),
      1u);
}

TEST(LayeringCheck, AnotherModulesInternalHeaderIsRefusedEvenWhenItIsADep) {
  ModuleGraph allowed = reachable_modules(parse_layering(kSmallLayering).direct);
  std::vector<std::string> problems = check_includes("src/dpeval/govern/audit.cc", "govern",
                                                     "#include \"dpeval/eval/internal/inputs.h\"\n", allowed);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("audit.cc:1: module govern"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("internal/ header of module eval"), std::string::npos) << problems[0];
  EXPECT_EQ(check_includes("src/dpeval/govern/a.cc", "govern", "#include \"dpeval/eval/sub/internal/x.h\"\n",
                           allowed)
                .size(),
            1u);
}

TEST(LayeringCheck, IncludeOfAnUnknownModuleIsAProblem) {
  ModuleGraph allowed = reachable_modules(parse_layering(kSmallLayering).direct);
  std::vector<std::string> problems =
      check_includes("src/dpeval/eval/a.cc", "eval", "#include \"dpeval/serve/server.h\"\n", allowed);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("there is no module serve"), std::string::npos) << problems[0];
}

TEST(LayeringCheck, CyclesAreFound) {
  ModuleGraph allowed = reachable_modules(
      parse_layering("library a module a deps b\nlibrary b module b deps c\nlibrary c module c deps a\n")
          .direct);
  EXPECT_TRUE(allowed.at("a").contains("a"));
  EXPECT_FALSE(reachable_modules(parse_layering(kSmallLayering).direct).at("govern").contains("govern"));
}

// --- the real tree --------------------------------------------------------------------------

Layering real_layering() {
  const std::filesystem::path file = DPEVAL_LAYERING_FILE;
  if (!std::filesystem::exists(file)) {
    Layering missing;
    missing.problems.push_back(file.string() +
                               " is missing: run cmake again (cmake/dpeval_helpers.cmake writes it)");
    return missing;
  }
  return parse_layering(read_text(file));
}

TEST(Layering, CMakeModuleGraphIsReadableAndHasNoCycles) {
  Layering layering = real_layering();
  ASSERT_TRUE(layering.problems.empty()) << lines_of(layering.problems);
  ASSERT_TRUE(layering.direct.contains("core"));
  std::vector<std::string> cycles;
  for (const auto& [module, reachable] : reachable_modules(layering.direct)) {
    if (reachable.contains(module)) {
      cycles.push_back("module " + module + " reaches itself through DEPS (" + module + " -> " +
                       join(layering.direct.at(module)) + " -> ... -> " + module + ")");
    }
  }
  EXPECT_TRUE(cycles.empty()) << lines_of(cycles);
}

TEST(Layering, EveryIncludeUnderSrcFollowsCMakeDeps) {
  Layering layering = real_layering();
  ASSERT_TRUE(layering.problems.empty()) << lines_of(layering.problems);
  const ModuleGraph allowed = reachable_modules(layering.direct);
  const std::filesystem::path root = std::filesystem::path(DPEVAL_SOURCE_DIR) / "src" / "dpeval";
  static const std::set<std::string> kSourceExtensions = {".h", ".cc", ".hpp", ".cpp", ".inc"};

  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && kSourceExtensions.contains(entry.path().extension().string())) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());  // the same order of messages on every machine

  std::vector<std::string> problems;
  std::set<std::string> modules_seen;
  for (const std::filesystem::path& file : files) {
    const std::filesystem::path relative = file.lexically_relative(root);
    const std::string path = std::string("src/dpeval/").append(relative.generic_string());
    const std::string module = relative.begin()->string();
    if (std::next(relative.begin()) == relative.end()) {
      problems.push_back(path + ": outside any module (sources live in src/dpeval/<module>/)");
      continue;
    }
    if (!allowed.contains(module)) {
      problems.push_back(path + ": src/dpeval/" + module + "/ has sources but no dpeval_cc_library");
      continue;
    }
    modules_seen.insert(module);
    std::vector<std::string> found = check_includes(path, module, read_text(file), allowed);
    problems.insert(problems.end(), found.begin(), found.end());
  }
  // Not a vacuous pass: the scan found the modules CMake knows.
  EXPECT_GT(files.size(), 100u) << "scanned " << root;
  for (const auto& [module, _] : allowed) {
    EXPECT_TRUE(modules_seen.contains(module))
        << "CMake knows module " << module << " but no source was scanned in it";
  }
  EXPECT_TRUE(problems.empty()) << problems.size() << " layering problem(s):" << lines_of(problems);
}

}  // namespace
}  // namespace dpeval
