// CheckpointFile: serialization and the validating parser.
#include "dpeval/core/checkpoint_file.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <unordered_set>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"

namespace dpeval {
namespace {

static_assert(std::endian::native == std::endian::little,
              "checkpoint floats are copied as-is: a big-endian host needs a byte swap here");

// A u32 or u64 as little-endian bytes.
template <typename T>
std::array<std::byte, sizeof(T)> le_bytes(T value) {
  std::array<std::byte, sizeof(T)> out;
  for (size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<std::byte>((value >> (8 * i)) & 0xff);
  return out;
}

template <typename T>
T read_le(const std::byte* p) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(std::to_integer<uint8_t>(p[i])) << (8 * i);
  return value;
}

std::span<const std::byte> as_bytes(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

// `bytes` for a message: printable ASCII as is, anything else as \xNN.
std::string printable(std::span<const std::byte> bytes) {
  std::string out;
  for (std::byte b : bytes) {
    const auto c = std::to_integer<unsigned char>(b);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

// Throws InputError("<source>: byte <offset>: <found>, expected <expected>").
[[noreturn]] void throw_parse_error(std::string_view source, size_t offset, std::string_view found,
                                    std::string_view expected) {
  throw InputError(fmt::format("{}: byte {}: {}, expected {}", source, offset, found, expected));
}

// Bounds-checked cursor over the body of a checkpoint (header and sections, not
// the trailer). Every read checks the bytes that remain before touching them.
class BodyReader {
 public:
  BodyReader(std::span<const std::byte> body, std::string_view source) : body_(body), source_(source) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return body_.size() - offset_; }

  [[noreturn]] void fail_at(size_t offset, std::string_view found, std::string_view expected) const {
    throw_parse_error(source_, offset, found, expected);
  }

  // `describe()` names the field for the message ("section 2 name length"); it
  // runs only on failure, so the happy path formats nothing.
  template <typename T, typename Describe>
  T read_int(Describe describe) {
    need(sizeof(T), describe);
    const T value = read_le<T>(body_.data() + offset_);
    offset_ += sizeof(T);
    return value;
  }

  template <typename Describe>
  std::span<const std::byte> read_bytes(uint64_t count, Describe describe) {
    need(count, describe);
    const auto out = body_.subspan(offset_, static_cast<size_t>(count));
    offset_ += static_cast<size_t>(count);
    return out;
  }

 private:
  template <typename Describe>
  void need(uint64_t count, Describe describe) const {
    if (count > remaining()) {
      fail_at(offset_,
              fmt::format("{} of {} bytes runs past the end ({} bytes remain before the checksum)",
                          describe(), count, remaining()),
              fmt::format("at most {} bytes", remaining()));
    }
  }

  std::span<const std::byte> body_;
  std::string_view source_;
  size_t offset_ = 0;
};

}  // namespace

void CheckpointFile::put(std::string name, std::vector<std::byte> payload) {
  DPEVAL_CHECK(!name.empty() && name.size() <= kMaxNameBytes)
      << "section name of " << name.size() << " bytes";
  for (Section& s : sections_) {
    if (s.name == name) {
      s.payload = std::move(payload);
      return;
    }
  }
  sections_.push_back(Section{std::move(name), std::move(payload)});
}

void CheckpointFile::put_floats(std::string name, std::span<const float> values) {
  const auto bytes = std::as_bytes(values);
  put(std::move(name), std::vector<std::byte>(bytes.begin(), bytes.end()));
}

void CheckpointFile::put_string(std::string name, std::string_view text) {
  const auto bytes = as_bytes(text);
  put(std::move(name), std::vector<std::byte>(bytes.begin(), bytes.end()));
}

const CheckpointFile::Section* CheckpointFile::find(std::string_view name) const {
  for (const Section& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool CheckpointFile::has(std::string_view name) const { return find(name) != nullptr; }

std::vector<std::string_view> CheckpointFile::section_names() const {
  std::vector<std::string_view> names;
  names.reserve(sections_.size());
  for (const Section& s : sections_) names.push_back(s.name);
  return names;
}

std::span<const std::byte> CheckpointFile::get(std::string_view name) const {
  const Section* s = find(name);
  if (!s) {
    throw InputError(
        fmt::format("{}: checkpoint has no section '{}' (sections: {})", source_name_, name,
                    sections_.empty() ? "none" : fmt::format("{}", fmt::join(section_names(), ", "))));
  }
  return s->payload;
}

std::vector<float> CheckpointFile::get_floats(std::string_view name, size_t expected_count) const {
  const std::span<const std::byte> payload = get(name);
  if (payload.size() % sizeof(float) != 0 || payload.size() / sizeof(float) != expected_count) {
    throw InputError(fmt::format("{}: section '{}' holds {} bytes ({} floats), expected {} floats",
                                 source_name_, name, payload.size(),
                                 static_cast<double>(payload.size()) / sizeof(float), expected_count));
  }
  std::vector<float> values(expected_count);
  if (!payload.empty()) std::memcpy(values.data(), payload.data(), payload.size());
  return values;
}

std::string CheckpointFile::get_string(std::string_view name) const {
  const std::span<const std::byte> payload = get(name);
  return std::string(reinterpret_cast<const char*>(payload.data()), payload.size());
}

template <typename Sink>
void CheckpointFile::write_body(Sink&& sink) const {
  sink(as_bytes(kMagic));
  sink(le_bytes<uint32_t>(kFormatVersion));
  sink(le_bytes<uint32_t>(static_cast<uint32_t>(sections_.size())));
  for (const Section& s : sections_) {
    sink(le_bytes<uint32_t>(static_cast<uint32_t>(s.name.size())));
    sink(as_bytes(s.name));
    sink(le_bytes<uint64_t>(s.payload.size()));
    sink(std::span<const std::byte>(s.payload));
  }
}

std::vector<std::byte> CheckpointFile::serialize() const {
  size_t total = kHeaderBytes + kTrailerBytes;
  for (const Section& s : sections_) total += 4 + s.name.size() + 8 + s.payload.size();
  std::vector<std::byte> out(total);
  size_t filled = 0;
  auto append = [&](std::span<const std::byte> piece) {
    DPEVAL_CHECK(piece.size() <= total - filled);
    std::ranges::copy(piece, out.begin() + static_cast<std::ptrdiff_t>(filled));
    filled += piece.size();
  };
  write_body(append);
  append(le_bytes<uint64_t>(hash64(std::span<const std::byte>(out).first(filled))));
  DPEVAL_CHECK(filled == total);
  return out;
}

void CheckpointFile::save(const std::filesystem::path& path) const {
  AtomicFileWriter writer(path);
  Hasher hasher;
  write_body([&](std::span<const std::byte> piece) {
    writer.write(piece);
    hasher.update(piece);
  });
  writer.write(std::span<const std::byte>(le_bytes<uint64_t>(hasher.digest())));
  writer.commit();
}

// Note [Checkpoint validation order]
// Cheap identity checks come first so a wrong file gets the most useful message:
// size, then magic (not a checkpoint at all), then version (a newer format may
// lay out the rest differently, so nothing after it is read), then the checksum
// over everything (corruption, truncation). Only a file that passes all four is
// walked section by section, and even then every length is checked against the
// bytes that remain before it is used: a crafted file with a valid checksum
// must still fail cleanly.
CheckpointFile CheckpointFile::parse(std::span<const std::byte> bytes, std::string_view source_name) {
  if (bytes.size() < kHeaderBytes + kTrailerBytes) {
    throw_parse_error(source_name, bytes.size(),
                      fmt::format("file ends after {} bytes, too short for a checkpoint", bytes.size()),
                      fmt::format("at least {} bytes (header and checksum)", kHeaderBytes + kTrailerBytes));
  }
  const auto magic = bytes.first(kMagic.size());
  if (!std::ranges::equal(magic, as_bytes(kMagic))) {
    throw_parse_error(source_name, 0,
                      fmt::format("not a dpeval checkpoint: bad magic \"{}\"", printable(magic)),
                      fmt::format("\"{}\"", kMagic));
  }
  const auto version = read_le<uint32_t>(bytes.data() + 8);
  if (version > kFormatVersion) {
    throw_parse_error(source_name, 8, fmt::format("format version {} was written by a newer dpeval", version),
                      fmt::format("version {} (upgrade dpeval to read this checkpoint)", kFormatVersion));
  }
  if (version != kFormatVersion) {
    throw_parse_error(source_name, 8, fmt::format("unsupported format version {}", version),
                      fmt::format("version {}", kFormatVersion));
  }
  const size_t body_size = bytes.size() - kTrailerBytes;
  const auto stored = read_le<uint64_t>(bytes.data() + body_size);
  const uint64_t computed = hash64(bytes.first(body_size));
  if (stored != computed) {
    throw_parse_error(
        source_name, body_size,
        fmt::format("checksum mismatch: file is corrupted or truncated (trailer holds {})", hex64(stored)),
        fmt::format("{}, the XXH3-64 of the preceding {} bytes", hex64(computed), body_size));
  }

  BodyReader in(bytes.first(body_size), source_name);
  in.read_bytes(12, [] { return "header"; });  // magic and version, checked above
  const size_t count_offset = in.offset();
  const auto count = in.read_int<uint32_t>([] { return "section count"; });
  constexpr size_t kMinSectionBytes = 4 + 1 + 8;
  if (count > in.remaining() / kMinSectionBytes) {
    in.fail_at(count_offset,
               fmt::format("section count {} cannot fit in the {} bytes of sections", count, in.remaining()),
               fmt::format("at most {} sections", in.remaining() / kMinSectionBytes));
  }
  CheckpointFile file;
  file.source_name_ = std::string(source_name);
  std::unordered_set<std::string_view> seen_names;  // views into `bytes`
  for (uint32_t i = 0; i < count; ++i) {
    const size_t name_offset = in.offset();
    const auto name_length = in.read_int<uint32_t>([i] { return fmt::format("section {} name length", i); });
    if (name_length < 1 || name_length > kMaxNameBytes) {
      in.fail_at(name_offset, fmt::format("section {} name length {}", i, name_length),
                 fmt::format("1 to {} bytes", kMaxNameBytes));
    }
    const auto name_bytes = in.read_bytes(name_length, [i] { return fmt::format("section {} name", i); });
    const std::string_view name(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size());
    if (!seen_names.insert(name).second) {  // a hash set: a crafted file may hold millions of sections
      in.fail_at(name_offset, fmt::format("duplicate section '{}'", printable(name_bytes)),
                 "unique section names");
    }
    const auto payload_length = in.read_int<uint64_t>(
        [&] { return fmt::format("section '{}' payload length", printable(name_bytes)); });
    const auto payload = in.read_bytes(
        payload_length, [&] { return fmt::format("section '{}' payload", printable(name_bytes)); });
    file.sections_.push_back(
        Section{std::string(name), std::vector<std::byte>(payload.begin(), payload.end())});
  }
  if (in.remaining() != 0) {
    in.fail_at(in.offset(), fmt::format("{} bytes after the last of {} sections", in.remaining(), count),
               "the checksum trailer");
  }
  return file;
}

CheckpointFile CheckpointFile::load(const std::filesystem::path& path) {
  // A checkpoint is a file: a FIFO or a device would block the read or never end.
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    throw InputError(path.string() +
                     ": not a regular file (a directory, FIFO or device); expected a checkpoint");
  }
  const std::string bytes = read_file(path);
  return parse(as_bytes(bytes), path.string());
}

}  // namespace dpeval
