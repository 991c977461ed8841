// Request bodies of the serving endpoints (serve/request.h): what is read,
// and that every malformed body is an HttpError naming its field.
#include "dpeval/serve/request.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "dpeval/serve/http_error.h"

namespace dpeval::serve {
namespace {

RequestLimits limits(size_t f = 3, size_t rows = 4) {
  RequestLimits l;
  l.num_features = f;
  l.max_rows = rows;
  return l;
}

// The status and field of the HttpError `fn` throws.
template <typename Fn>
std::pair<int, std::string> error_of(Fn fn) {
  try {
    fn();
  } catch (const HttpError& e) {
    return {e.status(), e.field()};
  }
  return {0, "no error"};
}

TEST(Request, ReadsOneInstanceABatchAndCsv) {
  PredictRows one =
      parse_predict_body(R"({"id": "a", "features": [1, 2.5, -3]})", "application/json", limits());
  ASSERT_EQ(one.n, 1u);
  EXPECT_EQ(one.ids[0], "a");
  EXPECT_EQ(one.values, (std::vector<float>{1, 2.5f, -3}));
  PredictRows batch =
      parse_predict_body(R"({"instances": [{"features": [1, 2, 3]}, {"id": "b", "features": [4, 5, 6]}]})",
                         "application/json", limits());
  ASSERT_EQ(batch.n, 2u);
  EXPECT_EQ(batch.ids[0], "");
  EXPECT_EQ(batch.ids[1], "b");
  EXPECT_EQ(batch.values[5], 6.0f);
  PredictRows csv = parse_predict_body("id,a,b,c\r\nx,1,2,3\ny,4,5,0.5\n", "text/csv", limits());
  ASSERT_EQ(csv.n, 2u);
  EXPECT_EQ(csv.ids[1], "y");
  EXPECT_EQ(csv.values[5], 0.5f);
  PredictRows no_ids = parse_predict_body("a,b,c\n1,2,3\n", "text/csv; charset=utf-8", limits());
  EXPECT_EQ(no_ids.ids[0], "");
}

TEST(Request, EveryMalformedBodyNamesItsField) {
  const auto p = [](std::string body, std::string type = "application/json") {
    return error_of([&] { parse_predict_body(body, type, limits()); });
  };
  EXPECT_EQ(p("{nope"), (std::pair<int, std::string>{400, "body"}));
  EXPECT_EQ(p(""), (std::pair<int, std::string>{400, "body"}));
  EXPECT_EQ(p("[1, 2]"), (std::pair<int, std::string>{400, "body"}));
  EXPECT_EQ(p(R"({"features": [NaN, 1, 2]})"), (std::pair<int, std::string>{400, "body"}));
  EXPECT_EQ(p(R"({"features": [1, 2]})"), (std::pair<int, std::string>{400, "features"}));
  EXPECT_EQ(p(R"({"features": [1, "a", 2]})"), (std::pair<int, std::string>{400, "features[1]"}));
  EXPECT_EQ(p(R"({"features": [1, 1e300, 2]})"), (std::pair<int, std::string>{400, "features[1]"}));
  EXPECT_EQ(p(R"({"features": [1, -2e917, 2]})"), (std::pair<int, std::string>{400, "body"}));  // past double
  EXPECT_EQ(p(R"({"features": "1,2,3"})"), (std::pair<int, std::string>{400, "features"}));
  EXPECT_EQ(p(R"({"id": 5, "features": [1, 2, 3]})"), (std::pair<int, std::string>{400, "id"}));
  EXPECT_EQ(p(R"({"id": "", "features": [1, 2, 3]})"), (std::pair<int, std::string>{400, "id"}));
  EXPECT_EQ(p(R"({"id": ")" + std::string(300, 'x') + R"(", "features": [1, 2, 3]})"),
            (std::pair<int, std::string>{400, "id"}));
  EXPECT_EQ(p(R"({"instances": [{"features": [1, 2, 3]}, {"features": [1, null, 3]}]})"),
            (std::pair<int, std::string>{400, "instances[1].features[1]"}));
  EXPECT_EQ(p(R"({"instances": [{"features": [1, 2, 3]}, 7]})"),
            (std::pair<int, std::string>{400, "instances[1]"}));
  EXPECT_EQ(p(R"({"instances": []})"), (std::pair<int, std::string>{400, "instances"}));
  EXPECT_EQ(p(R"({"instances": {}})"), (std::pair<int, std::string>{400, "instances"}));
  std::string five = R"({"instances": [)";
  for (int i = 0; i < 5; ++i) five += std::string(i ? "," : "") + R"({"features": [1, 2, 3]})";
  EXPECT_EQ(p(five + "]}"), (std::pair<int, std::string>{413, "instances"}));
  EXPECT_EQ(p("a,b,c\n1,2\n", "text/csv"), (std::pair<int, std::string>{400, "line 2"}));
  EXPECT_EQ(p("a,b,c\n1,x,3\n", "text/csv"), (std::pair<int, std::string>{400, "line 2 column 2"}));
  EXPECT_EQ(p("a,b\n1,2\n", "text/csv"), (std::pair<int, std::string>{400, "line 1"}));
  EXPECT_EQ(p("a,b,c\n1,nan,3\n", "text/csv"), (std::pair<int, std::string>{400, "line 2 column 2"}));
  EXPECT_EQ(p("a,b,c\n", "text/csv"), (std::pair<int, std::string>{400, "body"}));
}

TEST(Request, FeedbackTakesAnIndexOrAClassName) {
  const std::vector<std::string> names = {"cat", "dog", "eel"};
  std::vector<FeedbackItem> one = parse_feedback_body(R"({"id": "a", "label": 2})", names, 10);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].label, 2);
  std::vector<FeedbackItem> batch = parse_feedback_body(
      R"({"feedback": [{"id": "a", "label": "dog"}, {"id": "b", "label": 0}]})", names, 10);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].label, 1);
  // Where each id stood, for the server's 404 and 409 about it.
  EXPECT_EQ(one[0].id_field, "id");
  EXPECT_EQ(batch[1].id_field, "feedback[1].id");
  EXPECT_EQ(parse_feedback_body(R"( {"feedback": [{"id": "a", "label": 1}]})", names, 10)[0].id_field,
            "feedback[0].id");
  const auto f = [&](std::string body) { return error_of([&] { parse_feedback_body(body, names, 2); }); };
  EXPECT_EQ(f(R"({"label": 1})"), (std::pair<int, std::string>{400, "id"}));
  EXPECT_EQ(f(R"({"id": "a"})"), (std::pair<int, std::string>{400, "label"}));
  EXPECT_EQ(f(R"({"id": "a", "label": 3})"), (std::pair<int, std::string>{400, "label"}));
  EXPECT_EQ(f(R"({"id": "a", "label": -1})"), (std::pair<int, std::string>{400, "label"}));
  EXPECT_EQ(f(R"({"id": "a", "label": 1.5})"), (std::pair<int, std::string>{400, "label"}));
  EXPECT_EQ(f(R"({"id": "a", "label": "cow"})"), (std::pair<int, std::string>{400, "label"}));
  EXPECT_EQ(f(R"({"feedback": [{"id": "a", "label": 1}, {"id": "b"}]})"),
            (std::pair<int, std::string>{400, "feedback[1].label"}));
  EXPECT_EQ(f(R"({"feedback": [{"id": "a", "label": 1}, {"id": "b", "label": 1}, {"id": "c", "label": 1}]})"),
            (std::pair<int, std::string>{413, "feedback"}));
}

}  // namespace
}  // namespace dpeval::serve

namespace dpeval::serve {
namespace {

// Note [Fast path]: where the scanner reads a body, the general parser reads
// the same rows, bit for bit; where it gives up, the general parser decides.
TEST(Request, TheFastPathReadsWhatTheGeneralParserReads) {
  const RequestLimits l = limits(3, 4);
  const char* fast_bodies[] = {
      R"({"features": [1, 2.5, -3]})",
      R"( { "id" : "r-1" , "features" : [ -0 , 0.0 , -0.0 ] } )",
      R"({"features": [1e5, 1E-7, 12345678901234567890], "id": "x"})",
      R"({"features": [3.4028234663852886e38, -1.17549435e-38, 0.1]})",
      R"({"instances": [{"features": [1, 2, 3]}, {"id": "b", "features": [4, 5, 6]}]})",
      "{\"instances\":[{\"features\":[0.30000000000000004,7,8]}]}\n",
  };
  for (const char* body : fast_bodies) {
    PredictRows fast;
    ASSERT_TRUE(parse_predict_json_fast(body, l, fast)) << body;
    const PredictRows general = parse_predict_json_general(body, l);
    ASSERT_EQ(fast.n, general.n) << body;
    EXPECT_EQ(fast.ids, general.ids) << body;
    ASSERT_EQ(fast.values.size(), general.values.size()) << body;
    EXPECT_EQ(std::memcmp(fast.values.data(), general.values.data(), fast.values.size() * sizeof(float)), 0)
        << body;
  }
  const char* slow_bodies[] = {
      R"({"id": "a\u0041", "features": [1, 2, 3]})",  // an escape
      R"({"id": null, "features": [1, 2, 3]})",       // null id
      R"({"features": [1, 2, 3], "extra": 1})",       // another member
      R"({"features": [1, 2, 3], "features": [4, 5, 6]})",
      R"({"features": [1, 2]})",      // wrong length: the general parser says so
      R"({"features": [01, 2, 3]})",  // not JSON
      R"({"features": [.5, 2, 3]})",
      R"({"features": [NaN, 2, 3]})",
      R"({"features": [1e39, 2, 3]})",  // outside float32
      R"({"features": [1, 2, 3]} x)",
      R"({"instances": [{"features": [1, 2, 3]}, {"features": [1, 2, 3]}, {"features": [1, 2, 3]},
                        {"features": [1, 2, 3]}, {"features": [1, 2, 3]}]})",  // over max_rows
  };
  for (const char* body : slow_bodies) {
    PredictRows fast;
    EXPECT_FALSE(parse_predict_json_fast(body, l, fast)) << body;
  }
  // The ones the general parser accepts give the same rows through parse_predict_body.
  const PredictRows escaped =
      parse_predict_body(R"({"id": "a\u0041", "features": [1, 2, 3]})", "application/json", l);
  EXPECT_EQ(escaped.ids[0], "aA");
}

}  // namespace
}  // namespace dpeval::serve
