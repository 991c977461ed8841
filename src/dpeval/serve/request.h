// Bodies of the serving endpoints, parsed and validated (docs/MLOPS.md):
//
//   POST /v1/predict   {"id": "...", "features": [F numbers]}            one row
//                      {"instances": [{"id": "...", "features": [...]}]}  a batch
//                      or CSV (Content-Type text/csv): a header, then one row
//                      per line, F numbers, with an optional first column "id"
//   POST /v1/feedback  {"id": "...", "label": 3}                          one label
//                      {"feedback": [{"id": "...", "label": 3}, ...]}     a batch
//
// A label is the class index or the class's name. An id is 1 to kMaxIdBytes
// bytes; absent, the server makes one. Every failure is an HttpError (400, or
// 413 for too many rows) naming the field: "body" for text that is not JSON
// (with its byte offset), "instances[3].features[12]" for a cell that is not
// a finite float32, "instances[3].features" for a row of the wrong length.
// Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::serve {

inline constexpr size_t kMaxIdBytes = 256;

struct PredictRows {
  size_t n = 0;
  std::vector<std::string> ids;  // n entries; "" where the request gave none
  std::vector<float> values;     // n x F, row-major
};

struct RequestLimits {
  size_t num_features = 0;  // F
  size_t max_rows = 1000;   // rows per request (413 above)
};

PredictRows parse_predict_body(std::string_view body, std::string_view content_type,
                               const RequestLimits& limits);

// The two JSON readers parse_predict_body tries in turn (Note [Fast path] in
// request.cc), apart for tests and fuzzing: the fast one returns false for
// any body outside its subset (out is then unspecified); the general one
// reads every body and throws HttpError for a bad one. Where the fast one
// returns true, both give the same rows bit for bit.
bool parse_predict_json_fast(std::string_view body, const RequestLimits& limits, PredictRows& out);
PredictRows parse_predict_json_general(std::string_view body, const RequestLimits& limits);

struct FeedbackItem {
  std::string id;
  int32_t label = 0;
  std::string id_field;  // where the id stood, for errors about it: "id" or "feedback[3].id"
};

// class_names: the model's (a label may name one); K = class_names.size().
std::vector<FeedbackItem> parse_feedback_body(std::string_view body,
                                              const std::vector<std::string>& class_names, size_t max_rows);

}  // namespace dpeval::serve
