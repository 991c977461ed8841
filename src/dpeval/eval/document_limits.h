// Bounds on what the result document (document.h) writes, so that a hostile or
// mistaken input cannot turn a small file into a huge document, report or
// Markdown file: 10,000 classes in a 30-row file would write a 10^8-cell
// confusion matrix (900 MB of JSON), and one 50 MB text cell became 250 MB of
// JSON, HTML and Markdown through the slice values and warnings that repeat it.
//
// Note [Document limits]
//   - more than kDocumentMaxClasses classes: refused (InputError), the same cap
//     as training data (data::kMaxClasses);
//   - more than kDocumentMaxConfusionClasses classes: "confusion_matrix" is
//     left out (K^2 cells nobody reads) and a warning says so; "per_class"
//     still has every class;
//   - key column names and values (slices, fairness groups and the warnings
//     that name them) longer than kDocumentMaxTextBytes are cut at a UTF-8
//     boundary and marked "…[N bytes, #hash]" (the hash keeps two long values
//     with a common start apart);
//   - a key column with more than kDocumentMaxSlices slices lists the
//     kDocumentMaxSlices largest (ties by value) and says how many it left out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dpeval/data/class_check.h"

namespace dpeval::eval {

inline constexpr size_t kDocumentMaxClasses = static_cast<size_t>(data::kMaxClasses);
inline constexpr size_t kDocumentMaxConfusionClasses = 100;
inline constexpr size_t kDocumentMaxTextBytes = 200;
inline constexpr size_t kDocumentMaxSlices = 1000;

// `text` when it is at most kDocumentMaxTextBytes long; else its first bytes
// (cut at a UTF-8 character boundary) and the marker of Note [Document limits].
std::string bounded_text(std::string_view text);

}  // namespace dpeval::eval
