// CSV redaction: exact counts on a planted file, no original value left in the
// copy, quoting kept, batches and threads agree.
#include "dpeval/govern/redact.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"

namespace dpeval::govern {
namespace {

namespace fs = std::filesystem;

fs::path temp(const std::string& name) {
  return fs::temp_directory_path() / ("dpeval_redact_" + std::to_string(::getpid()) + "_" + name);
}

const char* const kPlanted[] = {"jane.doe@example.com", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00",
                                "192.168.1.20",         "123-45-6789",         "+44 20 7946 0958",
                                "(555) 123-4567",       "2001:db8::1"};

std::string planted_csv() {
  return "id,note,birth_date,other\n"
         "1,\"mail jane.doe@example.com, card 4111 1111 1111 1111\",1985-03-12,plain\n"
         "2,nothing to see,n/a,\"quoted \"\"text\"\" only\"\n"
         "3,\"IBAN DE89 3704 0044 0532 0130 00\nssn 123-45-6789\",12/03/1990,ip 192.168.1.20\r\n"
         "\n"
         "4,call +44 20 7946 0958 or (555) 123-4567,1985-03-12 is not here,2001:db8::1\n"
         "5,1985-03-12 in a note is no DOB,,999.1.1.1 and 4111 1111 1111 1112\n";
}

TEST(RedactTest, CountsAreExactAndNoValueIsLeft) {
  const fs::path in = temp("in.csv"), out = temp("out.csv");
  write_file_atomic(in, planted_csv());
  const PiiReport r = redact_csv(in, out, {});
  EXPECT_EQ(r.rows, 5u);
  EXPECT_EQ(r.cells_scanned, 20u);
  EXPECT_EQ(r.counts.at(PiiEntity::kEmail), 1u);
  EXPECT_EQ(r.counts.at(PiiEntity::kCreditCard), 1u);
  EXPECT_EQ(r.counts.at(PiiEntity::kIban), 1u);
  EXPECT_EQ(r.counts.at(PiiEntity::kSsn), 1u);
  EXPECT_EQ(r.counts.at(PiiEntity::kIp), 2u);
  EXPECT_EQ(r.counts.at(PiiEntity::kPhone), 2u);
  EXPECT_EQ(r.counts.at(PiiEntity::kDateOfBirth), 3u);  // rows 1, 3, and the date at the start of row 4's cell
  EXPECT_EQ(r.total(), 11u);
  EXPECT_EQ(r.by_column.at("birth_date").at(PiiEntity::kDateOfBirth), 3u);
  EXPECT_EQ(r.by_column.count("id"), 0u);
  ASSERT_EQ(r.findings.size(), 11u);
  EXPECT_EQ(r.findings[0].row, 1u);
  EXPECT_EQ(r.findings[0].column, "note");
  EXPECT_EQ(r.findings[0].masked, "j***@e***.com");
  EXPECT_EQ(r.findings.back().row, 4u);

  const std::string copy = read_file(out);
  for (const char* value : kPlanted) EXPECT_EQ(copy.find(value), std::string::npos) << value;
  EXPECT_EQ(copy.find("1985-03-12,"), std::string::npos);
  // Untouched cells keep their bytes, quotes and line ends.
  EXPECT_NE(copy.find("2,nothing to see,n/a,\"quoted \"\"text\"\" only\"\n"), std::string::npos);
  EXPECT_NE(copy.find("\r\n\n4,"), std::string::npos);
  EXPECT_NE(copy.find("1985-03-12 in a note is no DOB,,999.1.1.1 and 4111 1111 1111 1112\n"), std::string::npos);
  EXPECT_NE(copy.find("\"IBAN DE** **** **** **** **30 00\nssn ***-**-6789\""), std::string::npos) << copy;

  // A rescan of the copy finds nothing but the masks' kept tails, which are no PII.
  const PiiReport again = redact_csv(out, std::nullopt, {});
  EXPECT_EQ(again.total(), 0u);
  fs::remove(in);
  fs::remove(out);
}

TEST(RedactTest, ColumnsAndEntitiesNarrowTheScan) {
  const fs::path in = temp("narrow.csv");
  write_file_atomic(in, planted_csv());
  RedactOptions options;
  options.columns = {"other"};
  options.entities = {PiiEntity::kIp};
  const PiiReport r = redact_csv(in, std::nullopt, options);
  EXPECT_EQ(r.cells_scanned, 5u);
  EXPECT_EQ(r.total(), 2u);
  EXPECT_EQ(r.counts.size(), 1u);
  options.columns = {"nope"};
  EXPECT_THROW(redact_csv(in, std::nullopt, options), InputError);
  fs::remove(in);
  EXPECT_THROW(redact_csv(in, std::nullopt, {}), InputError);
}

// Issue 15: a file with CR-only line ends was one long record of 0 rows, and
// redact wrote an unmasked copy with exit 0. A bare CR is a line end, and a
// table without rows is an error, never a clean report.
TEST(RedactTest, BareCrLineEndsAreLineEndsAndNoRowsIsAnError) {
  const fs::path in = temp("cr.csv"), out = temp("cr_out.csv");
  write_file_atomic(in, "id,note\r1,mail jane.doe@example.com\r2,\"call (555) 123-4567\"\r");
  const PiiReport r = redact_csv(in, out, {});
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.counts.at(PiiEntity::kEmail), 1u);
  EXPECT_EQ(r.counts.at(PiiEntity::kPhone), 1u);
  const std::string copy = read_file(out);
  EXPECT_EQ(copy.find("jane.doe@example.com"), std::string::npos) << copy;
  EXPECT_EQ(copy.find("123-4567"), std::string::npos) << copy;
  EXPECT_EQ(copy.rfind("id,note\r1,", 0), 0u) << copy;  // line ends kept as they were

  for (const char* rowless : {"id,note\r", "id,note\r\r\n\n"}) {
    write_file_atomic(in, rowless);
    fs::remove(out);
    EXPECT_THROW(redact_csv(in, out, {}), InputError) << rowless;
    EXPECT_FALSE(fs::exists(out)) << rowless;
  }
  fs::remove(in);
}

TEST(RedactTest, StrictRefusesRaggedAndMalformedRecordsLenientReadsThem) {
  const fs::path in = temp("ragged.csv"), out = temp("ragged_out.csv");
  write_file_atomic(in, "id,note\n1,a@example.com\n2,b@example.com,c@example.com\n3,x\"y\n");
  fs::remove(out);
  try {
    redact_csv(in, out, {});
    ADD_FAILURE() << "a ragged record was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(":3: got 3 fields, expected 2"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
  RedactOptions lenient;
  lenient.mode = data::TableMode::kLenient;
  const PiiReport r = redact_csv(in, out, lenient);
  EXPECT_EQ(r.rows, 3u);
  EXPECT_EQ(r.counts.at(PiiEntity::kEmail), 3u);
  EXPECT_EQ(r.by_column.at("#3").at(PiiEntity::kEmail), 1u);  // the extra field, scanned
  EXPECT_EQ(read_file(out).find("@example.com"), std::string::npos);
  fs::remove(in);
  fs::remove(out);
}

TEST(RedactTest, ManyBatchesAndThreadsGiveTheSameCopy) {
  // ~40 MiB: several 16 MiB batches; quoted cells with line breaks everywhere.
  const fs::path in = temp("big.csv"), out1 = temp("big1.csv"), out4 = temp("big4.csv");
  {
    AtomicFileWriter w(in);
    w.write("id,text,dob\n");
    std::string chunk;
    for (int i = 0; i < 400000; ++i) {
      chunk += std::to_string(i);
      if (i % 1000 == 7) {
        chunk += ",\"card 4111 1111 1111 1111\nnext line, a@example.com\",1990-01-0" + std::to_string(1 + i % 9) + "\n";
      } else {
        chunk += ",\"plain text with no personal data, but many words to fill the line up\",unknown\n";
      }
      if (chunk.size() > (1 << 20)) {
        w.write(chunk);
        chunk.clear();
      }
    }
    w.write(chunk);
    w.commit();
  }
  RedactOptions one;
  one.threads = 1;
  RedactOptions four;
  four.threads = 4;
  const PiiReport r1 = redact_csv(in, out1, one);
  const PiiReport r4 = redact_csv(in, out4, four);
  EXPECT_EQ(r1.rows, 400000u);
  EXPECT_EQ(r4.rows, 400000u);
  EXPECT_EQ(r1.counts.at(PiiEntity::kCreditCard), 400u);
  EXPECT_EQ(r1.counts.at(PiiEntity::kEmail), 400u);
  EXPECT_EQ(r1.counts.at(PiiEntity::kDateOfBirth), 400u);
  EXPECT_EQ(r4.to_json(), r1.to_json());
  EXPECT_EQ(read_file(out1), read_file(out4));
  EXPECT_EQ(r1.findings[0].row, 8u);
  EXPECT_EQ(r1.findings[3].row, 1008u);
  fs::remove(in);
  fs::remove(out1);
  fs::remove(out4);
}

}  // namespace
}  // namespace dpeval::govern
