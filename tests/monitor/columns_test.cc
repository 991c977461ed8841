// Reading drift sources: a CSV read in parallel parts equals the cells it
// holds, line numbers in messages are the file's across parts, NPY images
// become the two summary columns.
#include "dpeval/monitor/columns.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dpeval/core/error.h"

namespace dpeval::monitor {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(DriftColumns, AFileReadInPartsCountsEveryCell) {
  std::ostringstream text;
  text << "x,c,m\n";
  const int rows = 200000;  // several MiB: read in parallel parts
  for (int i = 0; i < rows; ++i) {
    text << (i % 1000) * 0.25 << "," << (i % 3 == 0 ? "\"a,b\"" : "z") << "," << (i % 10 == 0 ? "NA" : "inf")
         << "\n";
  }
  ReadOptions o;
  o.threads = 2;
  const SourceData d = read_source(write_file("parts.csv", text.str()), o);
  ASSERT_EQ(d.rows, static_cast<uint64_t>(rows));
  const ColumnValues& x = *d.find("x");
  EXPECT_EQ(x.numbers.size(), static_cast<size_t>(rows));
  EXPECT_TRUE(std::is_sorted(x.numbers.begin(), x.numbers.end()));
  EXPECT_EQ(x.numbers.back(), 999 * 0.25);
  const ColumnValues& c = *d.find("c");
  EXPECT_EQ(c.texts.at("a,b"), static_cast<uint64_t>((rows + 2) / 3));
  EXPECT_EQ(c.texts.at("z"), static_cast<uint64_t>(rows - (rows + 2) / 3));
  const ColumnValues& m = *d.find("m");
  EXPECT_EQ(m.missing, static_cast<uint64_t>(rows / 10));
  EXPECT_EQ(m.non_finite, static_cast<uint64_t>(rows - rows / 10));
  EXPECT_EQ(d.sha256.size(), 64u);
}

TEST(DriftColumns, ARaggedRowLateInABigFileNamesItsLine) {
  std::ostringstream text;
  text << "a,b\n";
  for (int i = 0; i < 150000; ++i) text << i << "," << i << "\n";
  text << "1\n";  // line 150002
  ReadOptions o;
  o.threads = 2;
  try {
    read_source(write_file("ragged_late.csv", text.str()), o);
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("ragged_late.csv:150002"), std::string::npos) << e.what();
  }
}

// Note [Plain parts]: parts without quotes take the fast path; the cells are the
// general reader's (blanks trimmed, CRLF, blank lines skipped, a line of blanks
// one empty cell).
TEST(DriftColumns, PlainPartsGiveTheGeneralReadersCells) {
  std::ostringstream plain, quoted;
  plain << "x,t\r\n";
  quoted << "x,t\r\n";
  for (int i = 0; i < 120000; ++i) {
    const std::string t = i % 7 == 0 ? " NA " : (i % 2 ? "odd" : "even");
    plain << " " << i * 0.5 << " ," << t << "\r\n";
    const std::string bare = i % 7 == 0 ? "NA" : t;            // quoted cells keep their blanks
    quoted << " " << i * 0.5 << " , \"" << bare << "\" \r\n";  // the same cells, through the general reader
    if (i % 1000 == 0) {
      plain << "\r\n";
      quoted << "\r\n";
    }
  }
  ReadOptions o;
  o.threads = 2;
  const SourceData a = read_source(write_file("plain.csv", plain.str()), o);
  const SourceData b = read_source(write_file("quoted.csv", quoted.str()), o);
  ASSERT_EQ(a.rows, b.rows);
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(a.columns[c].numbers, b.columns[c].numbers);
    EXPECT_EQ(a.columns[c].missing, b.columns[c].missing);
    EXPECT_EQ(a.columns[c].texts, b.columns[c].texts);
    EXPECT_EQ(a.columns[c].first_text_line, b.columns[c].first_text_line);
  }
  EXPECT_EQ(a.find("t")->missing, static_cast<uint64_t>((120000 + 6) / 7));
}

// Note [Numbers first]: a field read as a plain decimal is the same cell as
// through the general reader, whatever follows the digits (a delimiter, LF,
// CRLF, the end of the file, a letter, an exponent, too many digits).
TEST(DriftColumns, NumbersReadFirstAreTheGeneralReadersCells) {
  const std::vector<std::string> cells = {"-0.0",
                                          "12",
                                          "3.25",
                                          "1.5x",
                                          "007",
                                          "-",
                                          "1e5",
                                          "5.",
                                          "+2",
                                          "-7.5",
                                          "",
                                          "NA",
                                          "0.1",
                                          "1.2.3",
                                          "9007199254740993",
                                          "inf",
                                          "1e400",
                                          "-.5",
                                          "12345678901234567890"};
  std::ostringstream plain, quoted;
  plain << "a,b\n";
  quoted << "a,b\n";
  for (int i = 0; i < 60000; ++i) {
    const std::string& x = cells[static_cast<size_t>(i) % cells.size()];
    const std::string& y = cells[static_cast<size_t>(i * 7 + 3) % cells.size()];
    const char* end = i % 3 == 0 ? "\r\n" : "\n";
    plain << x << "," << y << end;
    quoted << '"' << x << "\",\"" << y << '"' << end;
  }
  plain << "4.5,6";  // no line end at the end of the file
  quoted << "\"4.5\",\"6\"";
  ReadOptions o;
  o.threads = 2;
  const SourceData a = read_source(write_file("numbers_plain.csv", plain.str()), o);
  const SourceData b = read_source(write_file("numbers_quoted.csv", quoted.str()), o);
  ASSERT_EQ(a.rows, b.rows);
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(a.columns[c].numbers, b.columns[c].numbers) << c;
    EXPECT_EQ(a.columns[c].missing, b.columns[c].missing) << c;
    EXPECT_EQ(a.columns[c].non_finite, b.columns[c].non_finite) << c;
    EXPECT_EQ(a.columns[c].texts, b.columns[c].texts) << c;
    EXPECT_EQ(a.columns[c].first_number_line, b.columns[c].first_number_line) << c;
    EXPECT_EQ(a.columns[c].first_text_line, b.columns[c].first_text_line) << c;
  }
  EXPECT_EQ(a.rows, 60001u);
  EXPECT_EQ(a.find("a")->texts.count("1.5x"), 1u);
}

// Note [Text cells are UTF-8]: bytes that are not UTF-8 become U+FFFD, so the
// drift document can be written and the categories still compare.
TEST(DriftColumns, CellsThatAreNotUtf8AreReadWithReplacementCharacters) {
  const SourceData d = read_source(write_file("latin1.csv", "na\xefve,c\n1,caf\xe9\n2,caf\xc3\xa9\n"), {});
  EXPECT_EQ(d.columns[0].name, "na\xEF\xBF\xBDve");
  EXPECT_EQ(d.find("c")->texts.at("caf\xEF\xBF\xBD"), 1u);
  EXPECT_EQ(d.find("c")->texts.at("caf\xC3\xA9"), 1u);  // valid UTF-8 is kept as it is
}

// Bare CRs end lines too (old Mac files): the general reader takes such a
// part, and every record has its place (the fuzzer found one that had not).
TEST(DriftColumns, BareCarriageReturnsEndRecords) {
  std::string text = "x\r";
  for (int i = 0; i < 100; ++i) text += std::to_string(i) + "\r";
  const SourceData d = read_source(write_file("mac.csv", text), {});
  EXPECT_EQ(d.rows, 100u);
  EXPECT_EQ(d.find("x")->numbers.size(), 100u);
  EXPECT_EQ(d.find("x")->numbers.back(), 99);
}

TEST(DriftColumns, SourcesThatAreNotDataAreRefused) {
  EXPECT_THROW(read_source("model.bin", {}), ConfigError);
  EXPECT_THROW(read_source(testing::TempDir() + "/nope.csv", {}), InputError);
  EXPECT_THROW(read_source(testing::TempDir(), {}), ConfigError);  // a directory has no data suffix
}

}  // namespace
}  // namespace dpeval::monitor
