// PII scanner on planted texts whose right answer is exact.
#include "dpeval/govern/pii.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dpeval/core/error.h"

namespace dpeval::govern {
namespace {

std::vector<PiiMatch> scan(const PiiScanner& s, std::string_view text, bool dob = false) {
  std::vector<PiiMatch> out;
  s.scan(text, dob, out);
  return out;
}

std::vector<std::string> found(const PiiScanner& s, std::string_view text, PiiEntity entity, bool dob = false) {
  std::vector<std::string> values;
  for (const PiiMatch& m : scan(s, text, dob)) {
    if (m.entity == entity) values.emplace_back(text.substr(m.begin, m.end - m.begin));
  }
  return values;
}

TEST(PiiTest, NamesRoundTrip) {
  for (PiiEntity e : all_pii_entities()) EXPECT_EQ(parse_pii_entity(pii_entity_name(e)), e);
  EXPECT_EQ(all_pii_entities().size(), 7u);
  EXPECT_THROW(parse_pii_entity("passport"), UsageError);
}

TEST(PiiTest, ThreeValidCardsAmongTenLuhnInvalidLookAlikes) {
  const PiiScanner s;
  const std::vector<std::string> valid = {"4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"};
  const std::vector<std::string> invalid = {"4111 1111 1111 1112", "5500-0000-0000-0005", "378282246310006",
                                            "4012888888881882",    "6011 1111 1111 1118", "3530 1113 3330 0001",
                                            "5105-1051-0510-5101", "4222222222223",       "4000 0566 5566 5557",
                                            "6011000990139425"};
  std::string text;
  for (size_t i = 0; i < invalid.size(); ++i) {
    text += "order " + invalid[i] + "; ";
    if (i < valid.size()) text += "paid with " + valid[i] + ". ";
  }
  const std::vector<PiiMatch> all = scan(s, text);
  EXPECT_EQ(all.size(), 3u) << text;
  EXPECT_EQ(found(s, text, PiiEntity::kCreditCard), valid);
}

TEST(PiiTest, NoCardInsideALongerRunOfDigitGroups) {
  const PiiScanner s({PiiEntity::kCreditCard});
  // 4111 1111 1111 1111 passes Luhn, but here it is the tail of a longer number.
  EXPECT_TRUE(scan(s, "acct 12 4111 1111 1111 1111").empty());
  EXPECT_TRUE(scan(s, "iban DE64 4111 1111 1111 1111 00").empty());
}

TEST(PiiTest, CardFollowedByOtherNumbersStillFound) {
  const PiiScanner s;
  EXPECT_EQ(found(s, "card 4111 1111 1111 1111 12 25", PiiEntity::kCreditCard),
            std::vector<std::string>{"4111 1111 1111 1111"});
}

TEST(PiiTest, IbanMod97) {
  const PiiScanner s;
  const std::string valid[] = {"DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32",
                               "FR1420041010050500013M02606", "NL91ABNA0417164300"};
  for (const std::string& iban : valid) {
    EXPECT_EQ(found(s, "pay to " + iban + " please", PiiEntity::kIban), std::vector<std::string>{iban});
  }
  // One check digit off: not an IBAN, and nothing else either.
  EXPECT_TRUE(scan(s, "pay to DE88 3704 0044 0532 0130 00 please").empty());
  EXPECT_TRUE(scan(s, "pay to GB83 WEST 1234 5698 7654 32 please").empty());
  // Right check digits, wrong length for the country.
  EXPECT_TRUE(found(s, "DE89 3704 0044 0532 0130", PiiEntity::kIban).empty());
}

TEST(PiiTest, Emails) {
  const PiiScanner s;
  EXPECT_EQ(found(s, "mail jane.doe+x@example.co.uk or bob@mail.example.com.", PiiEntity::kEmail),
            (std::vector<std::string>{"jane.doe+x@example.co.uk", "bob@mail.example.com"}));
  EXPECT_TRUE(found(s, "not an email: user@localhost, a@b, @example.com", PiiEntity::kEmail).empty());
}

TEST(PiiTest, Phones) {
  const PiiScanner s;
  const std::string phones[] = {"+44 20 7946 0958", "+14155552671", "+1-415-555-2671", "(555) 123-4567",
                                "555-123-4567",     "555.123.4567", "020 7946 0958",   "07700 900123",
                                "01 23 45 67 89",   "+49 30 123456"};
  for (const std::string& p : phones) {
    EXPECT_EQ(found(s, "call " + p + " today", PiiEntity::kPhone), std::vector<std::string>{p}) << p;
  }
  // Too short, too long, or no phone shape.
  for (const char* text : {"+1234567", "+1234567890123456", "order 5551234", "version 1.2.3", "12345"}) {
    EXPECT_TRUE(found(s, text, PiiEntity::kPhone).empty()) << text;
  }
}

TEST(PiiTest, IpAddresses) {
  const PiiScanner s;
  EXPECT_EQ(found(s, "from 192.168.1.20 and 8.8.8.8, 10.0.0.255", PiiEntity::kIp),
            (std::vector<std::string>{"192.168.1.20", "8.8.8.8", "10.0.0.255"}));
  for (const char* text : {"999.1.1.1", "1.2.3.256", "version 1.2.3.4.5", "01.2.3.4", "1.2.3"}) {
    EXPECT_TRUE(found(s, text, PiiEntity::kIp).empty()) << text;
  }
  EXPECT_EQ(found(s, "v6 2001:db8::8a2e:370:7334 and ::1 and fe80::1%", PiiEntity::kIp),
            (std::vector<std::string>{"2001:db8::8a2e:370:7334", "::1", "fe80::1"}));
  EXPECT_EQ(found(s, "mapped ::ffff:192.0.2.128 here", PiiEntity::kIp),
            std::vector<std::string>{"::ffff:192.0.2.128"});
  for (const char* text : {"at 12:30:45", "std::string", "mac 00:1A:2B:3C:4D:5E", "1:2:3:4:5:6:7:8:9", "gggg::1"}) {
    EXPECT_TRUE(found(s, text, PiiEntity::kIp).empty()) << text;
  }
}

TEST(PiiTest, SsnShape) {
  const PiiScanner s;
  EXPECT_EQ(found(s, "ssn 123-45-6789 and 078 05 1120", PiiEntity::kSsn),
            (std::vector<std::string>{"123-45-6789", "078 05 1120"}));
  for (const char* text : {"000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567", "123-45-0000",
                           "123-45 6789", "1123-45-6789"}) {
    EXPECT_TRUE(found(s, text, PiiEntity::kSsn).empty()) << text;
  }
}

TEST(PiiTest, DatesOfBirthOnlyInDobColumns) {
  const PiiScanner s;
  for (const char* date : {"1985-03-12", "12/03/1985", "03.12.1985", "12 March 1985", "March 12, 1985", "Mar 3rd, 1985"}) {
    EXPECT_EQ(found(s, date, PiiEntity::kDateOfBirth, true), std::vector<std::string>{date}) << date;
    EXPECT_TRUE(scan(s, date, false).empty()) << date;
  }
  for (const char* text : {"1985-13-12", "1985-02-30", "32/01/1985", "12 Foo 1985", "1850-01-01"}) {
    EXPECT_TRUE(found(s, text, PiiEntity::kDateOfBirth, true).empty()) << text;
  }
}

TEST(PiiTest, DobColumnNames) {
  for (const char* name : {"dob", "DOB", "patient_dob", "date_of_birth", "BirthDate", "birthday", "dateOfBirth",
                           "patientDOB", "dob2"}) {
    EXPECT_TRUE(is_dob_column(name)) << name;
  }
  for (const char* name : {"adobe", "date", "created_at", "doble", "job"}) EXPECT_FALSE(is_dob_column(name)) << name;
}

TEST(PiiTest, OnlyRequestedEntities) {
  const PiiScanner s({PiiEntity::kEmail});
  const std::vector<PiiMatch> m = scan(s, "a@example.com 4111 1111 1111 1111 192.168.0.1");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].entity, PiiEntity::kEmail);
  EXPECT_TRUE(scan(PiiScanner(std::vector<PiiEntity>{}), "a@example.com").empty());
}

TEST(PiiTest, MasksNeverHoldTheValue) {
  const PiiScanner s;
  const std::string text =
      "jane.doe@example.com 4111 1111 1111 1111 DE89 3704 0044 0532 0130 00 192.168.1.20 ::1 "
      "123-45-6789 +44 20 7946 0958 (555) 123-4567 a@b.co";
  const std::vector<PiiMatch> m = scan(s, text);
  ASSERT_EQ(m.size(), 9u);
  for (const PiiMatch& match : m) {
    const std::string value = text.substr(match.begin, match.end - match.begin);
    const std::string masked = mask_pii(value, match.entity);
    EXPECT_EQ(masked.find(value), std::string::npos) << value << " -> " << masked;
    EXPECT_NE(masked.find('*'), std::string::npos) << masked;
  }
  EXPECT_EQ(mask_pii("jane.doe@example.com", PiiEntity::kEmail), "j***@e***.com");
  EXPECT_EQ(mask_pii("4111 1111 1111 1111", PiiEntity::kCreditCard), "**** **** **** 1111");
  EXPECT_EQ(mask_pii("123-45-6789", PiiEntity::kSsn), "***-**-6789");
  EXPECT_EQ(mask_pii("192.168.1.20", PiiEntity::kIp), "192.*.*.*");
  EXPECT_EQ(mask_pii("123::", PiiEntity::kIp), "***::");  // found by fuzz_pii
  EXPECT_EQ(mask_pii("1985-03-12", PiiEntity::kDateOfBirth), "****-**-**");
  EXPECT_EQ(mask_pii("DE89 3704 0044 0532 0130 00", PiiEntity::kIban), "DE** **** **** **** **30 00");
  EXPECT_EQ(mask_pii("+44 20 7946 0958", PiiEntity::kPhone), "+** ** **** **58");
}

// The prefilter (Note [Cell prefilter]) counts eight bytes at a time: values
// that just meet its thresholds (an IBAN with two capitals, an IP with four
// digits) are still found at every alignment, among bytes whose low seven bits
// spell digits, capitals, ':', '@' or '.'.
TEST(PiiTest, PrefilterCountsAtEveryAlignment) {
  const PiiScanner s;
  const std::pair<PiiEntity, std::string> values[] = {{PiiEntity::kIban, "DE89 3704 0044 0532 0130 00"},
                                                      {PiiEntity::kIp, "1.2.3.4"},
                                                      {PiiEntity::kEmail, "a.b@example.com"},
                                                      {PiiEntity::kPhone, "+49 30 123456"}};
  for (const auto& [entity, value] : values) {
    for (size_t pad = 0; pad < 16; ++pad) {
      std::string filler;
      for (size_t i = 0; i < pad; ++i) filler.push_back(static_cast<char>(0x80 | "0A:@.9Z"[i % 7]));
      EXPECT_EQ(found(s, filler + " " + value + " " + filler, entity), std::vector<std::string>{value})
          << pii_entity_name(entity) << ", pad " << pad;
    }
  }
}

TEST(PiiTest, ScanIsSafeOnOddBytes) {
  const PiiScanner s;
  std::string text(4096, '\0');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>((i * 131) % 256);
  std::vector<PiiMatch> out;
  s.scan(text, true, out);
  for (const PiiMatch& m : out) EXPECT_LE(m.end, text.size());
  const std::string digits(100000, '1');
  EXPECT_TRUE(scan(s, digits).empty());
}

}  // namespace
}  // namespace dpeval::govern
