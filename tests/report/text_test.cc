// Note [Number format] and the escaping helpers, by hand-checked cases.
#include "dpeval/report/internal/text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace dpeval::report::internal {
namespace {

TEST(ReportFormatNumber, RatesFourDecimals) {
  EXPECT_EQ(format_number(0.91234), "0.9123");
  EXPECT_EQ(format_number(0.91236), "0.9124");
  EXPECT_EQ(format_number(1.0), "1.0000");
  EXPECT_EQ(format_number(0.0), "0.0000");
  EXPECT_EQ(format_number(-0.0312), "-0.0312");
  EXPECT_EQ(format_number(-0.0), "0.0000");
  EXPECT_EQ(format_number(0.0001), "0.0001");
}

TEST(ReportFormatNumber, LargerValuesFourSignificantDigits) {
  EXPECT_EQ(format_number(1.5), "1.500");
  EXPECT_EQ(format_number(12.3456), "12.35");
  EXPECT_EQ(format_number(1234.56), "1235");
  EXPECT_EQ(format_number(123456.7), "123457");
  EXPECT_EQ(format_number(-42.0), "-42.00");
}

TEST(ReportFormatNumber, TinyHugeAndNonFinite) {
  EXPECT_EQ(format_number(3.14159e-5), "3.142e-05");
  EXPECT_EQ(format_number(2.5e9), "2.500e+09");
  EXPECT_EQ(format_number(std::nan("")), "—");
  EXPECT_EQ(format_number(std::numeric_limits<double>::infinity()), "—");
}

TEST(ReportFormatCount, ThousandsSeparators) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(10000), "10,000");
  EXPECT_EQ(format_count(-1234567), "-1,234,567");
  EXPECT_EQ(format_count(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854,775,808");
  EXPECT_EQ(format_count_value(812.0), "812");
  EXPECT_EQ(format_count_value(812.5), "812.5");
}

TEST(ReportFormatOthers, PValuesCoordsTicks) {
  EXPECT_EQ(format_p_value(0.003), "0.0030");
  EXPECT_EQ(format_p_value(0.0412), "0.041");
  EXPECT_EQ(format_p_value(0.42), "0.42");
  EXPECT_EQ(format_p_value(1e-7), "< 0.0001");
  EXPECT_EQ(format_coord(12.5), "12.5");
  EXPECT_EQ(format_coord(3.0), "3");
  EXPECT_EQ(format_coord(2.346), "2.35");
  EXPECT_EQ(format_coord(-0.001), "0");
  EXPECT_EQ(format_tick(0.4, 0.2), "0.4");
  EXPECT_EQ(format_tick(0.0, 0.2), "0.0");
  EXPECT_EQ(format_tick(0.75, 0.25), "0.75");
  EXPECT_EQ(format_tick(30, 15), "30");
}

TEST(ReportEscape, Html) {
  EXPECT_EQ(escape_html(R"(<a href="x">'&'</a>)"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(escape_html("région×device"), "région×device");
}

TEST(ReportEscape, Markdown) {
  EXPECT_EQ(escape_markdown("a|b"), "a\\|b");
  EXPECT_EQ(escape_markdown("*x* _y_ `z` [l](u) #h \\"), "\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u) \\#h \\\\");
  EXPECT_EQ(escape_markdown("<b>&\n"), "&lt;b&gt;&amp; ");
}

}  // namespace
}  // namespace dpeval::report::internal
