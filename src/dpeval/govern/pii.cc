// The PII scanner: a byte-count prefilter, one RE2::Set pass, then the
// entity's own patterns to locate candidates, each validated in C++ (Luhn,
// mod-97, octets, inet_pton, SSN areas, calendar dates) before it counts.
#include "dpeval/govern/pii.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <utility>

#include <re2/re2.h>
#include <re2/set.h>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval::govern {
namespace {

constexpr std::array<PiiEntity, 7> kAllEntities = {PiiEntity::kEmail, PiiEntity::kPhone, PiiEntity::kCreditCard,
                                                   PiiEntity::kIban,  PiiEntity::kIp,    PiiEntity::kSsn,
                                                   PiiEntity::kDateOfBirth};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Note [PII entities]
// Each entity has one or more RE2 patterns that find candidates and a
// validator that decides. The patterns only look at shape; everything that
// needs arithmetic (Luhn, mod-97, octet ranges, dates) is C++. Digit-based
// patterns start at \b so that they never begin inside a longer number.
// Overlaps between entities are settled by kPriority (most specific first).
struct PatternSpec {
  PiiEntity entity;
  const char* regex;
};

constexpr PatternSpec kPatterns[] = {
    {PiiEntity::kEmail, R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}\b)"},
    // E.164: +, a country code, an optional (area) right after it, then digits
    // with optional single separators; 8..15 digits in all (checked in C++).
    {PiiEntity::kPhone, R"(\+[1-9]\d{0,3}(?:[ .\-]?\(\d{1,4}\))?(?:[ .\-]?\d){5,14}\b)"},
    // US: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567.
    {PiiEntity::kPhone, R"((?:\(\d{3}\) ?|\b\d{3}[\-. ])\d{3}[\-. ]\d{4}\b)"},
    // National numbers with a trunk 0: 020 7946 0958, 07700 900123, 030 12345678.
    {PiiEntity::kPhone, R"(\b0\d{1,4}[ \-]?\d{2,4}[ \-]?\d{3,4}\b)"},
    // Pairs of digits: 01 23 45 67 89, 06.12.34.56.78.
    {PiiEntity::kPhone, R"(\b0[1-9](?:[ .\-]\d{2}){4}\b)"},
    {PiiEntity::kCreditCard, R"(\b\d(?:[ \-]?\d){12,18}\b)"},
    // Only the start: the validator reads the country's length from there.
    {PiiEntity::kIban, R"(\b[A-Z]{2}\d{2} ?[A-Z0-9])"},
    {PiiEntity::kIp, R"(\b(?:\d{1,3}\.){3}\d{1,3}\b)"},
    {PiiEntity::kIp, R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3})"},
    {PiiEntity::kSsn, R"(\b\d{3}[ \-]\d{2}[ \-]\d{4}\b)"},
    {PiiEntity::kDateOfBirth, R"(\b\d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}\b)"},
    {PiiEntity::kDateOfBirth, R"(\b\d{1,2}[\-/.]\d{1,2}[\-/.]\d{4}\b)"},
    {PiiEntity::kDateOfBirth, R"(\b\d{1,2} ?[A-Za-z]{3,9}\.?,? ?\d{4}\b)"},
    {PiiEntity::kDateOfBirth, R"(\b[A-Za-z]{3,9}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}\b)"},
};
constexpr size_t kPatternCount = sizeof(kPatterns) / sizeof(kPatterns[0]);

// Lower rank wins an overlap.
int priority(PiiEntity e) {
  switch (e) {
    case PiiEntity::kEmail: return 0;
    case PiiEntity::kIban: return 1;
    case PiiEntity::kCreditCard: return 2;
    case PiiEntity::kSsn: return 3;
    case PiiEntity::kIp: return 4;
    case PiiEntity::kDateOfBirth: return 5;
    case PiiEntity::kPhone: return 6;
  }
  return 7;
}

// What a cell must contain before any pattern of an entity can match.
struct CellCounts {
  size_t digits = 0, colons = 0, uppers = 0;
  bool at = false, dot = false;
};

// Note [Cell prefilter]: most cells hold no PII, so the scan first counts, in
// one branch-free pass, what every pattern needs (digits, capitals, ':', '@',
// '.'), and a cell that cannot match any enabled pattern never reaches RE2.
// Each byte adds one 64-bit word from a table: four 16-bit lanes (digits,
// capitals, colons, then '@' and '.' as two 8-bit counters), folded every 255
// bytes so that no lane overflows.
constexpr uint64_t kLaneDigit = 1, kLaneUpper = uint64_t{1} << 16, kLaneColon = uint64_t{1} << 32;
constexpr uint64_t kLaneAt = uint64_t{1} << 48, kLaneDot = uint64_t{1} << 56;

struct ByteTable {
  uint64_t lanes[256] = {};
  constexpr ByteTable() {
    for (int c = '0'; c <= '9'; ++c) lanes[c] = kLaneDigit;
    for (int c = 'A'; c <= 'Z'; ++c) lanes[c] = kLaneUpper;
    lanes[static_cast<unsigned char>(':')] = kLaneColon;
    lanes[static_cast<unsigned char>('@')] = kLaneAt;
    lanes[static_cast<unsigned char>('.')] = kLaneDot;
  }
};
constexpr ByteTable kByteTable;

CellCounts count_cell(std::string_view text) {
  CellCounts c;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t left = text.size();
  while (left > 0) {
    // '@' and '.' share the top lane as 8-bit counters: fold before 255 of either.
    const size_t n = std::min<size_t>(left, 255);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; ++i) sum += kByteTable.lanes[p[i]];
    c.digits += sum & 0xFFFF;
    c.uppers += (sum >> 16) & 0xFFFF;
    c.colons += (sum >> 32) & 0xFFFF;
    c.at |= ((sum >> 48) & 0xFF) != 0;
    c.dot |= (sum >> 56) != 0;
    p += n;
    left -= n;
  }
  return c;
}

constexpr uint32_t entity_bit(PiiEntity e) { return uint32_t{1} << static_cast<int>(e); }

// The entities whose patterns could match a cell with these counts.
uint32_t possible_entities(const CellCounts& c, bool dob_column) {
  uint32_t m = 0;
  if (c.at) m |= entity_bit(PiiEntity::kEmail);
  if (c.digits >= 8) m |= entity_bit(PiiEntity::kPhone);
  if (c.digits >= 13) m |= entity_bit(PiiEntity::kCreditCard);
  if (c.digits >= 2 && c.uppers >= 2) m |= entity_bit(PiiEntity::kIban);
  if ((c.digits >= 4 && c.dot) || c.colons >= 2) m |= entity_bit(PiiEntity::kIp);
  if (c.digits >= 9) m |= entity_bit(PiiEntity::kSsn);
  if (dob_column && c.digits >= 4) m |= entity_bit(PiiEntity::kDateOfBirth);
  return m;
}

// ---- validators: each returns the validated [begin, end) or {0, 0} -------------

using Range = std::pair<size_t, size_t>;
constexpr Range kNone{0, 0};

size_t count_digits(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), is_digit));
}

bool luhn_ok(std::string_view s) {
  int sum = 0;
  bool twice = false;
  for (size_t i = s.size(); i-- > 0;) {
    if (!is_digit(s[i])) continue;
    int d = s[i] - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

Range validate_email(std::string_view t, size_t b, size_t e) {
  const std::string_view v = t.substr(b, e - b);
  const size_t at = v.find('@');
  std::string_view local = v.substr(0, at);
  // The pattern may start mid-word after a character it does not allow; trim
  // leading dots so "..a@b.com" reports a@b.com.
  while (!local.empty() && local.front() == '.') {
    local.remove_prefix(1);
    ++b;
  }
  if (local.empty() || local.back() == '.' || local.find("..") != std::string_view::npos) return kNone;
  const std::string_view domain = v.substr(at + 1);
  if (domain.front() == '-' || domain.find(".-") != std::string_view::npos ||
      domain.find("-.") != std::string_view::npos) {
    return kNone;
  }
  return {b, e};
}

Range validate_phone(std::string_view t, size_t b, size_t e) {
  const std::string_view v = t.substr(b, e - b);
  const size_t digits = count_digits(v);
  if (v.front() == '+') return digits >= 8 && digits <= 15 ? Range{b, e} : kNone;
  if (v.front() == '(' || v.front() != '0') return digits == 10 ? Range{b, e} : kNone;
  // A trunk-0 number: not a piece of a longer dotted or dashed run.
  if (b > 0 && (t[b - 1] == '+' || t[b - 1] == '-' || t[b - 1] == '.')) return kNone;
  return digits == 10 || digits == 11 ? Range{b, e} : kNone;
}

// 13..19 digits, one kind of separator (or none), Luhn. When the whole run
// fails, shorter runs ending at a group boundary are tried (a card followed by
// other numbers: "4111 1111 1111 1111 12").
Range validate_card(std::string_view t, size_t b, size_t e) {
  if (b > 0 && (t[b - 1] == '+' || t[b - 1] == '.' || t[b - 1] == '/')) return kNone;
  // Not the tail of a longer run of digit groups (an IBAN's BBAN after "DE89 ",
  // an account number): a card starts its run.
  if (b >= 2 && (t[b - 1] == ' ' || t[b - 1] == '-') && is_digit(t[b - 2])) return kNone;
  for (size_t end = e; end > b;) {
    const std::string_view v = t.substr(b, end - b);
    const size_t digits = count_digits(v);
    if (digits < 13) return kNone;
    char sep = 0;
    bool mixed = false;
    for (char c : v) {
      if (is_digit(c)) continue;
      if (sep != 0 && c != sep) mixed = true;
      sep = c;
    }
    if (digits <= 19 && !mixed && luhn_ok(v)) return {b, end};
    if (sep == 0) return kNone;
    const size_t cut = v.find_last_of(sep);
    end = b + cut;
  }
  return kNone;
}

int iban_length(std::string_view country) {
  static constexpr std::pair<const char*, int> kLengths[] = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
      {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28},
      {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23},
      {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26},
      {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
      {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18},
      {"NO", 15}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24},
      {"SC", 31}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
      {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}};
  for (const auto& [code, length] : kLengths) {
    if (country == code) return length;
  }
  return 0;
}

// ISO 13616: the country's length in letters and digits (single spaces may
// separate them), then ISO 7064 mod 97-10 over BBAN + country + check == 1.
Range validate_iban(std::string_view t, size_t b, size_t /*e*/) {
  const int length = iban_length(t.substr(b, 2));
  if (length == 0) return kNone;
  std::string compact;
  size_t i = b;
  while (i < t.size() && static_cast<int>(compact.size()) < length) {
    const char c = t[i];
    if (is_upper(c) || is_digit(c)) {
      compact.push_back(c);
      ++i;
    } else if (c == ' ' && i + 1 < t.size() && (is_upper(t[i + 1]) || is_digit(t[i + 1])) && t[i - 1] != ' ') {
      ++i;
    } else {
      break;
    }
  }
  if (static_cast<int>(compact.size()) != length) return kNone;
  if (i < t.size() && is_alnum(t[i])) return kNone;
  const std::string rearranged = compact.substr(4) + compact.substr(0, 4);
  int rem = 0;
  for (char c : rearranged) {
    if (is_digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return rem == 1 ? Range{b, i} : kNone;
}

Range validate_ipv4(std::string_view t, size_t b, size_t e) {
  // Not a piece of a longer dotted run (a version number 1.2.3.4.5).
  if (b >= 2 && t[b - 1] == '.' && is_digit(t[b - 2])) return kNone;
  if (e + 1 < t.size() && t[e] == '.' && is_digit(t[e + 1])) return kNone;
  const std::string_view v = t.substr(b, e - b);
  size_t start = 0;
  for (int octet = 0; octet < 4; ++octet) {
    size_t stop = v.find('.', start);
    if (stop == std::string_view::npos) stop = v.size();
    const std::string_view part = v.substr(start, stop - start);
    if (part.size() > 1 && part.front() == '0') return kNone;
    int value = 0;
    for (char c : part) value = value * 10 + (c - '0');
    if (value > 255) return kNone;
    start = stop + 1;
  }
  return {b, e};
}

Range validate_ipv6(std::string_view t, size_t b, size_t e) {
  if (e - b < 2 || e - b > 45) return kNone;
  if (b > 0 && (is_alnum(t[b - 1]) || t[b - 1] == ':' || t[b - 1] == '.')) return kNone;
  if (e < t.size() && (is_alnum(t[e]) || t[e] == ':' || t[e] == '.')) return kNone;
  const std::string_view v = t.substr(b, e - b);
  if (std::none_of(v.begin(), v.end(), is_hex)) return kNone;  // "::" alone
  char buffer[46];
  std::memcpy(buffer, v.data(), v.size());
  buffer[v.size()] = '\0';
  unsigned char address[16];
  return inet_pton(AF_INET6, buffer, address) == 1 ? Range{b, e} : kNone;
}

Range validate_ssn(std::string_view t, size_t b, size_t e) {
  const std::string_view v = t.substr(b, e - b);  // AAA?GG?SSSS
  if (v[3] != v[6]) return kNone;
  if (b > 0 && (t[b - 1] == '-' || t[b - 1] == '+')) return kNone;
  const int area = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
  if (area == 0 || area == 666 || area >= 900) return kNone;
  if (v.substr(4, 2) == "00" || v.substr(7, 4) == "0000") return kNone;
  return {b, e};
}

int parse_int(std::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

// The month a word names: a prefix (3 letters or more) of its English name.
int month_of(std::string_view word) {
  static constexpr const char* kMonths[] = {"january", "february", "march",     "april",   "may",      "june",
                                            "july",    "august",   "september", "october", "november", "december"};
  if (word.size() < 3) return 0;
  for (int m = 0; m < 12; ++m) {
    const std::string_view name = kMonths[m];
    if (word.size() > name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < word.size(); ++i) {
      same &= std::tolower(static_cast<unsigned char>(word[i])) == name[i];
    }
    if (same) return m + 1;
  }
  return 0;
}

bool date_ok(int year, int month, int day) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return year >= 1900 && year <= 2100 && month >= 1 && month <= 12 && day >= 1 && day <= kDays[month - 1];
}

Range validate_dob(std::string_view t, size_t b, size_t e) {
  const std::string_view v = t.substr(b, e - b);
  std::vector<std::string_view> numbers, words;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    if (is_digit(v[i])) {
      while (j < v.size() && is_digit(v[j])) ++j;
      numbers.push_back(v.substr(i, j - i));
    } else if (std::isalpha(static_cast<unsigned char>(v[i]))) {
      while (j < v.size() && std::isalpha(static_cast<unsigned char>(v[j]))) ++j;
      words.push_back(v.substr(i, j - i));
    } else {
      j = i + 1;
    }
    i = j;
  }
  if (words.empty() && numbers.size() == 3) {
    const int a = parse_int(numbers[0]), m = parse_int(numbers[1]), c = parse_int(numbers[2]);
    if (numbers[0].size() == 4) return date_ok(a, m, c) ? Range{b, e} : kNone;
    // D/M/Y or M/D/Y: either reading will do.
    return date_ok(c, m, a) || date_ok(c, a, m) ? Range{b, e} : kNone;
  }
  if (numbers.size() == 2 && !words.empty()) {
    const int month = month_of(words.front());
    const size_t ordinal = words.size() == 2 ? 1 : 0;  // "March 3rd, 1985"
    if (words.size() > 2 || (ordinal == 1 && month_of(words[1]) != 0)) return kNone;
    return month != 0 && date_ok(parse_int(numbers[1]), month, parse_int(numbers[0])) ? Range{b, e} : kNone;
  }
  return kNone;
}

Range validate(size_t pattern, std::string_view t, size_t b, size_t e) {
  switch (kPatterns[pattern].entity) {
    case PiiEntity::kEmail: return validate_email(t, b, e);
    case PiiEntity::kPhone: return validate_phone(t, b, e);
    case PiiEntity::kCreditCard: return validate_card(t, b, e);
    case PiiEntity::kIban: return validate_iban(t, b, e);
    case PiiEntity::kIp: return t[b] == ':' || t.substr(b, e - b).find(':') != std::string_view::npos
                                    ? validate_ipv6(t, b, e)
                                    : validate_ipv4(t, b, e);
    case PiiEntity::kSsn: return validate_ssn(t, b, e);
    case PiiEntity::kDateOfBirth: return validate_dob(t, b, e);
  }
  return kNone;
}

// Where to search next after a rejected candidate starting at b: past the word
// it starts in (a digit pattern begins only at a word boundary anyway).
size_t next_start(std::string_view t, size_t b) {
  size_t i = b + 1;
  while (i < t.size() && is_alnum(t[i]) && is_alnum(t[i - 1])) ++i;
  return i;
}

}  // namespace

struct PiiScanner::Patterns {
  std::vector<std::unique_ptr<re2::RE2>> regexes;  // index = kPatterns index, null when not enabled
  std::unique_ptr<re2::RE2::Set> set;               // set index -> set_patterns[index]
  std::vector<size_t> set_patterns;
  uint32_t enabled = 0;  // entity_bit of every entity scanned for
};

std::string_view pii_entity_name(PiiEntity entity) {
  switch (entity) {
    case PiiEntity::kEmail: return "email";
    case PiiEntity::kPhone: return "phone";
    case PiiEntity::kCreditCard: return "credit_card";
    case PiiEntity::kIban: return "iban";
    case PiiEntity::kIp: return "ip";
    case PiiEntity::kSsn: return "ssn";
    case PiiEntity::kDateOfBirth: return "dob";
  }
  return "unknown";
}

PiiEntity parse_pii_entity(std::string_view name) {
  std::string known;
  for (PiiEntity e : kAllEntities) {
    if (name == pii_entity_name(e)) return e;
    known += known.empty() ? "" : ", ";
    known += pii_entity_name(e);
  }
  throw UsageError("unknown PII entity '" + std::string(name) + "', expected one of: " + known);
}

std::vector<PiiEntity> all_pii_entities() { return {kAllEntities.begin(), kAllEntities.end()}; }

PiiScanner::PiiScanner(std::vector<PiiEntity> entities)
    : entities_(std::move(entities)), patterns_(std::make_unique<Patterns>()) {
  std::sort(entities_.begin(), entities_.end());
  entities_.erase(std::unique(entities_.begin(), entities_.end()), entities_.end());
  re2::RE2::Options options;
  options.set_log_errors(false);
  patterns_->regexes.resize(kPatternCount);
  patterns_->set = std::make_unique<re2::RE2::Set>(options, re2::RE2::UNANCHORED);
  for (size_t p = 0; p < kPatternCount; ++p) {
    if (std::find(entities_.begin(), entities_.end(), kPatterns[p].entity) == entities_.end()) continue;
    patterns_->regexes[p] = std::make_unique<re2::RE2>(kPatterns[p].regex, options);
    DPEVAL_CHECK(patterns_->regexes[p]->ok()) << kPatterns[p].regex << ": " << patterns_->regexes[p]->error();
    std::string error;
    const int index = patterns_->set->Add(kPatterns[p].regex, &error);
    DPEVAL_CHECK(index >= 0) << kPatterns[p].regex << ": " << error;
    patterns_->set_patterns.push_back(p);
    patterns_->enabled |= entity_bit(kPatterns[p].entity);
  }
  DPEVAL_CHECK(patterns_->set->Compile()) << "RE2::Set::Compile";
}

PiiScanner::~PiiScanner() = default;
PiiScanner::PiiScanner(PiiScanner&&) noexcept = default;
PiiScanner& PiiScanner::operator=(PiiScanner&&) noexcept = default;

void PiiScanner::scan(std::string_view text, bool dob_column, std::vector<PiiMatch>& out) const {
  if (text.empty() || patterns_->set_patterns.empty()) return;
  const uint32_t possible = possible_entities(count_cell(text), dob_column) & patterns_->enabled;
  if (possible == 0) return;
  std::vector<int> hits;
  const re2::StringPiece piece(text.data(), text.size());
  if (!patterns_->set->Match(piece, &hits)) return;

  std::vector<PiiMatch> found;
  for (int hit : hits) {
    const size_t p = patterns_->set_patterns[static_cast<size_t>(hit)];
    if ((possible & entity_bit(kPatterns[p].entity)) == 0) continue;
    const re2::RE2& re = *patterns_->regexes[p];
    size_t pos = 0;
    re2::StringPiece m;
    while (pos < text.size() && re.Match(piece, pos, text.size(), re2::RE2::UNANCHORED, &m, 1)) {
      const size_t b = static_cast<size_t>(m.data() - text.data());
      const size_t e = b + m.size();
      const Range r = validate(p, text, b, e);
      if (r.second > r.first) {
        found.push_back({kPatterns[p].entity, r.first, r.second});
        pos = std::max(r.second, b + 1);
      } else {
        pos = next_start(text, b);
      }
    }
  }
  // Settle overlaps: most specific entity first, then earliest, then longest.
  std::sort(found.begin(), found.end(), [](const PiiMatch& x, const PiiMatch& y) {
    if (priority(x.entity) != priority(y.entity)) return priority(x.entity) < priority(y.entity);
    if (x.begin != y.begin) return x.begin < y.begin;
    return x.end > y.end;
  });
  std::vector<PiiMatch> kept;
  for (const PiiMatch& m : found) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(),
                                      [&](const PiiMatch& k) { return m.begin < k.end && k.begin < m.end; });
    if (!overlaps) kept.push_back(m);
  }
  std::sort(kept.begin(), kept.end(), [](const PiiMatch& x, const PiiMatch& y) { return x.begin < y.begin; });
  out.insert(out.end(), kept.begin(), kept.end());
}

bool is_dob_column(std::string_view column_name) {
  std::string lower;
  for (char c : column_name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower.find("birth") != std::string::npos) return true;
  // Words: runs of letters, also split where lower case turns upper ("patientDOB").
  for (size_t i = 0; i < column_name.size();) {
    if (!std::isalpha(static_cast<unsigned char>(column_name[i]))) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < column_name.size() && std::isalpha(static_cast<unsigned char>(column_name[j])) &&
           !(std::islower(static_cast<unsigned char>(column_name[j - 1])) &&
             std::isupper(static_cast<unsigned char>(column_name[j])))) {
      ++j;
    }
    if (lower.substr(i, j - i) == "dob") return true;
    i = j;
  }
  return false;
}

namespace {

// Replaces letters and digits with '*', keeping the last `keep` of them (and
// always masking at least half).
std::string mask_keep_tail(std::string_view v, size_t keep) {
  const size_t alnum = static_cast<size_t>(std::count_if(v.begin(), v.end(), is_alnum));
  keep = std::min(keep, alnum / 2);
  std::string out(v);
  size_t seen = 0;
  for (char& c : out) {
    if (!is_alnum(c)) continue;
    if (seen++ < alnum - keep) c = '*';
  }
  return out;
}

}  // namespace

std::string mask_pii(std::string_view value, PiiEntity entity) {
  if (value.empty()) return "*";
  switch (entity) {
    case PiiEntity::kEmail: {
      const size_t at = value.find('@');
      const size_t dot = value.rfind('.');
      if (at == std::string_view::npos || at == 0 || dot == std::string_view::npos || dot <= at + 1) break;
      return std::string(1, value[0]) + "***@" + std::string(1, value[at + 1]) + "***" +
             std::string(value.substr(dot));
    }
    case PiiEntity::kCreditCard:
    case PiiEntity::kSsn: return mask_keep_tail(value, 4);
    case PiiEntity::kPhone: return mask_keep_tail(value, 2);
    case PiiEntity::kIban: {
      if (value.size() < 4) break;
      std::string tail = mask_keep_tail(value.substr(2), 4);
      return std::string(value.substr(0, 2)) + tail;
    }
    case PiiEntity::kIp: {
      // The first group stays; every later run of letters/digits becomes one '*'.
      std::string out;
      size_t i = 0;
      while (i < value.size() && is_alnum(value[i])) out.push_back(value[i++]);
      if (i == value.size()) break;
      bool masked = false;
      for (; i < value.size(); ++i) {
        if (!is_alnum(value[i])) {
          out.push_back(value[i]);
        } else if (out.back() != '*') {
          out.push_back('*');
          masked = true;
        }
      }
      if (!masked) break;  // "123::": nothing after the first group; mask it all
      return out;
    }
    case PiiEntity::kDateOfBirth: break;
  }
  std::string out(value);
  for (char& c : out) {
    if (is_alnum(c)) c = '*';
  }
  return out;
}

}  // namespace dpeval::govern
