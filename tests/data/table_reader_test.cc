// The one table reader (data/table_reader.h, data/table.h): the dialect, both
// modes, the error statuses and their places, the quote-aware chunker (the
// tests that were the audit reader's), the gzip path and the typed views.
#include "dpeval/data/table_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/number.h"
#include "dpeval/data/table.h"

namespace dpeval::data {
namespace {

std::vector<std::vector<std::string>> records(std::string_view text, TableMode mode = TableMode::kStrict,
                                              TableStatus* last = nullptr) {
  TableDialect dialect;
  dialect.mode = mode;
  TableRecordReader reader(text, dialect);
  std::vector<std::vector<std::string>> out;
  TableStatus status;
  while ((status = reader.next()) == TableStatus::kRecord) {
    out.emplace_back(reader.fields().begin(), reader.fields().end());
  }
  if (last != nullptr) *last = status;
  return out;
}

using Rows = std::vector<std::vector<std::string>>;

struct Rng {
  std::mt19937_64 engine;
  explicit Rng(uint64_t seed) : engine(seed) {}
  int below(int n) { return static_cast<int>(engine() % static_cast<uint64_t>(n)); }
};

TEST(TableReader, QuotesDoubledQuotesAndEveryLineEnd) {
  EXPECT_EQ(records("a,b\n1,2\n"), (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(records("a,b\r\n1,2\r\n"), (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(records("a,b\r1,2\r"), (Rows{{"a", "b"}, {"1", "2"}}));  // bare CR: old Mac files
  EXPECT_EQ(records("a,b\r1,2"), (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(records("\"a\"\"b\",\"x,\ny\"\n"), (Rows{{"a\"b", "x,\ny"}}));
  EXPECT_EQ(records(" 1 ,\t\"q\" ,  \n"), (Rows{{"1", "q", ""}}));  // blanks around fields
  EXPECT_EQ(records("\n\r\n\r1\n\n"), (Rows{{"1"}}));               // blank lines of every kind
  EXPECT_EQ(records("a,\n,"), (Rows{{"a", ""}, {"", ""}}));
  EXPECT_EQ(records(""), Rows{});
}

TEST(TableReader, LinesCountEveryKindOfLineEnd) {
  TableRecordReader reader("a\r\nb\rc\n\"d\re\r\nf\"\ng", TableDialect{});
  std::vector<uint64_t> lines;
  while (reader.next() == TableStatus::kRecord) lines.push_back(reader.line());
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 2, 3, 4, 7}));
}

TEST(TableReader, StrictErrorsSayWhereAndLenientRepairs) {
  struct Case {
    std::string text;
    TableStatus status;
    uint64_t line;
    size_t field, offset;
    Rows lenient;
  };
  const Case cases[] = {
      {"a,b\n1,\"2\n", TableStatus::kUnterminatedQuote, 2, 1, 6, {{"a", "b"}, {"1", "2\n"}}},
      {"a,b\n\"1\"x ,2\n", TableStatus::kTextAfterQuote, 2, 0, 7, {{"a", "b"}, {"1x", "2"}}},
      {"a,b\n1,2\"3\n", TableStatus::kQuoteInField, 2, 1, 7, {{"a", "b"}, {"1", "2\"3"}}},
      {"a,b\r1,x\"\"\r", TableStatus::kQuoteInField, 2, 1, 7, {{"a", "b"}, {"1", "x\"\""}}},
  };
  for (const Case& c : cases) {
    TableRecordReader reader(c.text, TableDialect{});
    TableStatus status;
    while ((status = reader.next()) == TableStatus::kRecord) {
    }
    EXPECT_EQ(status, c.status) << c.text;
    EXPECT_EQ(reader.line(), c.line) << c.text;
    EXPECT_EQ(reader.error_field(), c.field) << c.text;
    EXPECT_EQ(reader.error_offset(), c.offset) << c.text;
    EXPECT_EQ(reader.next(), TableStatus::kEnd);
    TableStatus last;
    EXPECT_EQ(records(c.text, TableMode::kLenient, &last), c.lenient) << c.text;
    EXPECT_EQ(last, TableStatus::kEnd);
  }
}

TEST(TableReader, CellsOverTheBoundAreRefusedInBothModes) {
  for (TableMode mode : {TableMode::kStrict, TableMode::kLenient}) {
    TableDialect dialect;
    dialect.mode = mode;
    dialect.max_cell_bytes = 4;
    for (const std::string text : {"ab,12345\n", "\"12345\"\n", "\"1\"\"345\"\n"}) {
      TableRecordReader reader(text, dialect);
      EXPECT_EQ(reader.next(), TableStatus::kCellTooLong) << text;
    }
    TableRecordReader ok("1234,\"1\"\"34\"\n", dialect);
    EXPECT_EQ(ok.next(), TableStatus::kRecord);
  }
  TableDialect bad;
  bad.delimiter = '"';
  EXPECT_THROW(check_table_dialect(bad), ConfigError);
}

TEST(TableReader, SpansCoverTheRawFields) {
  TableRecordReader reader(" a ,\"b\"\"\"\r\nc", TableDialect{});
  reader.keep_spans(true);
  ASSERT_EQ(reader.next(), TableStatus::kRecord);
  ASSERT_EQ(reader.spans().size(), 2u);
  EXPECT_EQ(reader.spans()[0].begin, 0u);
  EXPECT_EQ(reader.spans()[0].end, 3u);
  EXPECT_EQ(reader.spans()[1].begin, 4u);
  EXPECT_EQ(reader.spans()[1].end, 9u);
  EXPECT_FALSE(reader.in_text(reader.fields()[1]));  // unescaped: scratch
  EXPECT_TRUE(reader.in_text(reader.fields()[0]));
}

TEST(TableReader, DelimiterByExtensionAndTsv) {
  EXPECT_EQ(table_delimiter_for("x.tsv"), '\t');
  EXPECT_EQ(table_delimiter_for("x.TSV.gz"), '\t');
  EXPECT_EQ(table_delimiter_for("x.csv.gz"), ',');
  TableDialect tsv;
  tsv.delimiter = '\t';
  TableRecordReader reader("a,b\t\"c\td\"\n", tsv);
  ASSERT_EQ(reader.next(), TableStatus::kRecord);
  EXPECT_EQ(std::vector<std::string>(reader.fields().begin(), reader.fields().end()),
            (std::vector<std::string>{"a,b", "c\td"}));
}

TEST(Table, ParsesTypedColumnsAndNamesErrors) {
  const std::string text = "\xEF\xBB\xBFid,v\r\n1,2.5\r\n2,0x10\r\n3,nan\r\n4,\r\n";
  const Table t = parse_table(text, "t.csv", TableDialect{});
  EXPECT_EQ(t.names(), (std::vector<std::string>{"id", "v"}));
  ASSERT_EQ(t.rows(), 4u);
  EXPECT_EQ(t.row_line(3), 5u);
  const Table::Numbers v = t.numbers(1);
  EXPECT_EQ(v.count, 2u);  // 2.5 and nan; 0x10 (hexadecimal) and the empty cell are not numbers
  EXPECT_EQ(v.values[0], 2.5);
  EXPECT_EQ(v.is_number, (std::vector<uint8_t>{1, 0, 1, 0}));
  try {
    parse_table("a,b\n1,2\n3\n", "t.csv", TableDialect{});
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "t.csv:3: got 1 field, expected 2 as in the header (line 1); column 'b' and "
              "those after it are missing");
  }
  try {
    parse_table("a,b\n1,\"2\n", "t.csv", TableDialect{});
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "t.csv:2: column 'b': unterminated quoted field; expected a closing '\"' "
              "before the end of the file (byte 6)");
  }
  TableDialect lenient;
  lenient.mode = TableMode::kLenient;
  const Table l = parse_table("a,b\n1\n2,3,4\n", "t.csv", lenient);
  EXPECT_EQ(l.rows(), 2u);
  EXPECT_EQ(l.cell(0, 1), "");
  EXPECT_EQ(l.ragged_rows(), 2u);
  EXPECT_EQ(l.extra_fields(), 1u);
}

TEST(Table, GzipFilesReadAsTheirContentWithinTheBound) {
  const std::string text = "label,score\n0,0.25\n";
  std::string gz(256, '\0');
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(gz.data());
  z.avail_out = static_cast<uInt>(gz.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  gz.resize(z.total_out);
  deflateEnd(&z);
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("dpeval_table_" + std::to_string(::getpid()) + ".csv.gz");
  write_file_atomic(path, gz);
  EXPECT_EQ(read_table_file(path), text);
  EXPECT_THROW(read_table_file(path, 8), InputError);
  EXPECT_EQ(read_table_header(path), (std::vector<std::string>{"label", "score"}));
  std::filesystem::remove(path);
}

TEST(NumberParser, OneDecimalSyntax) {
  double v = 0;
  for (const char* ok : {"1", "-2.5e3", "+.5", "1.", "nan", "inf", "1e-3"})
    EXPECT_TRUE(parse_number(std::string_view(ok), &v)) << ok;
  for (const char* bad : {"", " 1", "1 ", "0x10", "1,5", "+", "1e", "--1", "0x1p3"}) {
    EXPECT_FALSE(parse_number(std::string_view(bad), &v)) << bad;
  }
  EXPECT_TRUE(parse_finite_number(std::string_view("0.85"), &v));
  EXPECT_FALSE(parse_finite_number(std::string_view("inf"), &v));
}

TEST(TableReader, CsvRecordCutsAreRecordBoundaries) {
  const std::string text = "a,\"x\ny\",1\nb,2,3\n\"q\"\"\n\",4,5\nc,6,7\nlast";
  std::vector<size_t> cuts;
  const size_t end = table_record_cuts(text, 4, cuts);
  EXPECT_EQ(end, text.size() - 4);
  for (size_t c : cuts) {
    EXPECT_EQ(text[c - 1], '\n');
    TableRecordReader reader(std::string_view(text).substr(c, end - c), TableDialect{});
    while (reader.next() == TableStatus::kRecord) EXPECT_EQ(reader.fields().size(), 3u);
  }
}

// The quote-free fast path (Note [Quote-free cuts]) against the general one:
// the same text but for one quoted field of the same length in its first line,
// so both have the same record boundaries; and against a naive list of them.
TEST(TableReader, CsvRecordCutsWithoutQuotesEqualTheGeneralPath) {
  Rng rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    std::string plain = "yxy,1\n", quoted = "\"x\",1\n";
    const int lines = 1 + rng.below(40);
    for (int l = 0; l < lines; ++l) {
      const std::string line = std::string(static_cast<size_t>(rng.below(30)), 'a') + ",b\n";
      plain += line;
      quoted += line;
    }
    const std::string tail(static_cast<size_t>(rng.below(5)), 'z');  // an unfinished last record
    plain += tail;
    quoted += tail;
    std::vector<size_t> line_ends;
    for (size_t i = 0; i < plain.size(); ++i) {
      if (plain[i] == '\n') line_ends.push_back(i + 1);
    }
    for (size_t parts = 1; parts <= 9; ++parts) {
      std::vector<size_t> expected;
      for (size_t p = 1; p < parts; ++p) {
        const auto it = std::lower_bound(line_ends.begin(), line_ends.end(), plain.size() / parts * p);
        if (it != line_ends.end() && *it < line_ends.back() && (expected.empty() || expected.back() != *it)) {
          expected.push_back(*it);
        }
      }
      std::vector<size_t> fast, general;
      EXPECT_EQ(table_record_cuts(plain, parts, fast), line_ends.back());
      EXPECT_EQ(table_record_cuts(quoted, parts, general), line_ends.back());
      EXPECT_EQ(fast, expected) << "trial " << trial << ", parts " << parts;
      EXPECT_EQ(general, expected) << "trial " << trial << ", parts " << parts;
    }
  }
}

TEST(TableReader, RecordReaderSplitsFieldsOfEveryLengthAcrossWordBoundaries) {
  // Field lengths 0..19 put delimiters and line ends at every offset of an 8-byte word.
  for (size_t length = 0; length < 20; ++length) {
    const std::string field(length, 'x');
    const std::string text = field + "," + field + "\n" + field + ";" + field + "\r\n" + field;
    TableRecordReader reader(text, TableDialect{});
    ASSERT_EQ(reader.next(), TableStatus::kRecord);
    ASSERT_EQ(reader.fields().size(), 2u);
    EXPECT_EQ(reader.fields()[0], field);
    EXPECT_EQ(reader.fields()[1], field);
    ASSERT_EQ(reader.next(), TableStatus::kRecord);
    ASSERT_EQ(reader.fields().size(), 1u);
    EXPECT_EQ(reader.fields()[0], field + ";" + field);
    if (length > 0) {
      ASSERT_EQ(reader.next(), TableStatus::kRecord);
      EXPECT_EQ(reader.fields()[0], field);
      EXPECT_EQ(reader.line(), 3u);
    }
    EXPECT_EQ(reader.next(), TableStatus::kEnd);
  }
}

}  // namespace
}  // namespace dpeval::data
