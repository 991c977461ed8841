// libFuzzer target for the serving endpoints' bodies (serve/request.h). Every
// body is read or refused with an HttpError; where the fast scanner reads a
// body (Note [Fast path]), the general parser must read the same rows bit for
// bit. Feedback bodies go through their parser too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "dpeval/core/error.h"
#include "dpeval/serve/http_error.h"
#include "dpeval/serve/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  dpeval::serve::RequestLimits limits;
  limits.num_features = 3;
  limits.max_rows = 8;
  try {
    dpeval::serve::PredictRows fast;
    if (dpeval::serve::parse_predict_json_fast(body, limits, fast)) {
      const dpeval::serve::PredictRows general = dpeval::serve::parse_predict_json_general(body, limits);
      if (general.n != fast.n || general.ids != fast.ids || general.values.size() != fast.values.size() ||
          std::memcmp(general.values.data(), fast.values.data(), fast.values.size() * sizeof(float)) != 0) {
        std::abort();
      }
    }
  } catch (const dpeval::serve::HttpError&) {
    std::abort();  // the general parser refused what the fast one read
  } catch (const dpeval::InternalError&) {
    std::abort();
  }
  for (const char* type : {"application/json", "text/csv"}) {
    try {
      (void)dpeval::serve::parse_predict_body(body, type, limits);
    } catch (const dpeval::serve::HttpError&) {
    } catch (const dpeval::InternalError&) {
      std::abort();
    }
  }
  try {
    (void)dpeval::serve::parse_feedback_body(body, {"a", "b", "c"}, 8);
  } catch (const dpeval::serve::HttpError&) {
  } catch (const dpeval::InternalError&) {
    std::abort();
  }
  return 0;
}
