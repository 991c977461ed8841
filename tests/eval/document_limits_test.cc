// Note [Document limits]: a small hostile input cannot make a huge document.
#include "dpeval/eval/document_limits.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "dpeval/core/error.h"
#include "dpeval/eval/document.h"

namespace dpeval::eval {
namespace {

// n rows of a K-class problem, row i of class i % K, predicted right.
Predictions multiclass(size_t n, size_t k) {
  Predictions p;
  p.task = Task::multiclass;
  p.source = "preds.csv";
  p.n = n;
  p.num_classes = k;
  p.probs.assign(n * k, 0.0);
  for (size_t i = 0; i < n; ++i) {
    p.labels.push_back(static_cast<double>(i % k));
    p.probs[i * k + i % k] = 1.0;
  }
  return p;
}

TEST(DocumentLimits, TooManyClassesAreRefusedNamingTheSource) {
  const Predictions p = multiclass(30, kDocumentMaxClasses + 1);
  try {
    evaluate_document(p, {});
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("preds.csv"), std::string::npos) << m;
    EXPECT_NE(m.find(std::to_string(kDocumentMaxClasses + 1) + " classes"), std::string::npos) << m;
  }
}

TEST(DocumentLimits, ManyClassesLeaveTheConfusionMatrixOutWithAWarning) {
  const nlohmann::json doc = evaluate_document(multiclass(30, kDocumentMaxConfusionClasses + 1), {});
  EXPECT_FALSE(doc.contains("confusion_matrix"));
  EXPECT_EQ(doc["per_class"].size(), kDocumentMaxConfusionClasses + 1);
  EXPECT_NE(doc["warnings"].dump().find("confusion_matrix left out"), std::string::npos);
  EXPECT_LT(doc.dump().size(), 200000u);
  const nlohmann::json small = evaluate_document(multiclass(30, kDocumentMaxConfusionClasses), {});
  EXPECT_EQ(small["confusion_matrix"].size(), kDocumentMaxConfusionClasses);
}

TEST(DocumentLimits, AHugeTextCellIsCutInEveryPlaceItAppears) {
  Predictions p = multiclass(40, 3);
  const std::string huge_a = std::string(1 << 20, 'a') + "1", huge_b = std::string(1 << 20, 'a') + "2";
  KeyColumn key{"note", {huge_a, huge_b}, {}};
  for (size_t i = 0; i < p.n; ++i) key.codes.push_back(static_cast<uint32_t>(i % 2));
  p.keys.push_back(key);
  EvalOptions o;
  o.slice_by = {"note"};
  const nlohmann::json doc = evaluate_document(p, o);
  EXPECT_LT(doc.dump().size(), 20000u);
  const auto& slices = doc["slices"]["columns"]["note"];
  ASSERT_EQ(slices.size(), 2u);
  const std::string a = slices[0]["value"], b = slices[1]["value"];
  EXPECT_NE(a, b);  // the marker's hash keeps them apart
  EXPECT_NE(a.find("[1048577 bytes, #"), std::string::npos) << a;
  EXPECT_LE(a.size(), kDocumentMaxTextBytes + 40);
}

TEST(DocumentLimits, BoundedTextCutsAtACharacterBoundary) {
  std::string text(kDocumentMaxTextBytes - 1, 'x');
  text += "\xc3\xa9\xc3\xa9";  // é é: the cut falls inside the first
  const std::string out = bounded_text(text);
  EXPECT_EQ(out.substr(0, kDocumentMaxTextBytes - 1), std::string(kDocumentMaxTextBytes - 1, 'x'));
  EXPECT_EQ(out.substr(kDocumentMaxTextBytes - 1, 3), "\xe2\x80\xa6");  // the ellipsis follows at once
  EXPECT_EQ(bounded_text("short"), "short");
}

TEST(DocumentLimits, ManySlicesListTheLargestAndSaySo) {
  Predictions p = multiclass(3 * kDocumentMaxSlices, 2);
  KeyColumn key{"id", {}, {}};
  for (size_t v = 0; v < 2 * kDocumentMaxSlices; ++v) {
    std::string value = std::to_string(v);  // not "v" + ...: GCC 12's false -Wrestrict
    key.values.push_back(value.insert(0, 1, 'v'));
  }
  for (size_t i = 0; i < p.n; ++i) {
    // Values 0..999 hold two rows each, values 1000..1999 one row each.
    key.codes.push_back(static_cast<uint32_t>(i < 2 * kDocumentMaxSlices ? i / 2 : i - kDocumentMaxSlices));
  }
  p.keys.push_back(key);
  EvalOptions o;
  o.slice_by = {"id"};
  o.min_slice_size = 1;
  const nlohmann::json doc = evaluate_document(p, o);
  const auto& slices = doc["slices"]["columns"]["id"];
  ASSERT_EQ(slices.size(), kDocumentMaxSlices);
  for (const auto& s : slices) EXPECT_EQ(s["n"], 2) << s["value"];
  EXPECT_NE(doc["warnings"].dump().find("left out"), std::string::npos);
}

}  // namespace
}  // namespace dpeval::eval
