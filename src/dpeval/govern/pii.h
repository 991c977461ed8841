// PII scanner: finds personal data in free text (one CSV cell at a time) with
// RE2 patterns and validates every candidate in C++ before it counts. The exact
// rule for each entity is in docs/GOVERN.md and Note [PII entities] in pii.cc:
//
//   email        local@domain.tld (TLD of 2+ letters)
//   phone        E.164 (+ then 8..15 digits, single separators), US (555) 123-4567
//                / 555-123-4567 / 555.123.4567, and national trunk-0 numbers
//                (020 7946 0958, 07700 900123, 01 23 45 67 89; 10 or 11 digits)
//   credit_card  13..19 digits (single spaces or dashes between) passing Luhn
//   iban         2 letters, 2 check digits, the country's registered length,
//                passing ISO 7064 mod-97 (== 1)
//   ip           IPv4 (four octets 0..255, no leading zeros) or IPv6 (inet_pton)
//   ssn          US SSN shape AAA-GG-SSSS: area not 000, 666 or 9xx, group not
//                00, serial not 0000
//   dob          a plausible date (1900..2100) in a column whose name mentions
//                dob/birth (is_dob_column); never reported elsewhere
//
// Matches never overlap: when two entities claim the same bytes, the one first
// in the order email, iban, credit_card, ssn, ip, dob, phone keeps them.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::govern {

enum class PiiEntity { kEmail, kPhone, kCreditCard, kIban, kIp, kSsn, kDateOfBirth };

// "email", "phone", "credit_card", "iban", "ip", "ssn", "dob".
std::string_view pii_entity_name(PiiEntity entity);
// The inverse of pii_entity_name. Throws UsageError naming the unknown name and the valid ones.
PiiEntity parse_pii_entity(std::string_view name);
// Every entity, in enum order.
std::vector<PiiEntity> all_pii_entities();

// One validated finding: bytes [begin, end) of the scanned text.
struct PiiMatch {
  PiiEntity entity;
  size_t begin = 0, end = 0;
};

class PiiScanner {
 public:
  // Compiles the RE2 patterns of `entities` once (InternalError if RE2 rejects one,
  // which would be a bug). An empty list scans for nothing.
  explicit PiiScanner(std::vector<PiiEntity> entities = all_pii_entities());
  ~PiiScanner();
  PiiScanner(PiiScanner&&) noexcept;
  PiiScanner& operator=(PiiScanner&&) noexcept;

  // Appends every validated match in `text` to `out`, in increasing `begin`.
  // dob_column: the cell's column name mentions dob/birth (see is_dob_column);
  // dates are reported only then. Thread-safe: const and shares nothing mutable.
  void scan(std::string_view text, bool dob_column, std::vector<PiiMatch>& out) const;

  const std::vector<PiiEntity>& entities() const { return entities_; }

 private:
  struct Patterns;
  std::vector<PiiEntity> entities_;
  std::unique_ptr<Patterns> patterns_;
};

// True when the column name mentions a birth date: it contains "birth", or "dob"
// as a word of its own (case-insensitive; words split at non-letters and at
// lower→upper case changes: "dob", "DOB", "patient_dob", "dateOfBirth", "BirthDate";
// not "adobe").
bool is_dob_column(std::string_view column_name);

// A masked form of a matched value, safe to print: it keeps the layout and at
// most a small tail, never the whole value, e.g. "j***@e***.com",
// "**** **** **** 1234", "***-**-6789", "+** *** *** **67", "DE** **** **** **** **30 00",
// "192.*.*.*", "****-**-**". Every mask replaces at least one letter or digit with '*'.
std::string mask_pii(std::string_view value, PiiEntity entity);

}  // namespace dpeval::govern
