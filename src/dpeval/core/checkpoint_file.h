// CheckpointFile: the container every dpeval checkpoint is written in — one file
// of named binary sections (the trainer stores parameters, optimizer state,
// progress and the config JSON in them), with a magic, a format version and a
// checksum, written atomically and verified completely before anything in it
// is trusted.
//
// Format version 1, all integers little-endian:
//   offset 0   8 bytes  magic "DPEVALCK"
//          8   u32      format version (1)
//         12   u32      section count S
//         16   S times: u32 name length L (1..kMaxNameBytes), L name bytes,
//                       u64 payload length P, P payload bytes
//        end-8 u64      XXH3-64 (seed 0) of every preceding byte
// Sections keep the order they were first put in, so equal contents serialize to
// equal bytes (see Note [Bitwise checkpoints] in parallel/train_checkpoint.cc).
// Floats are stored as IEEE-754 binary32, little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval {

// Not thread-safe for concurrent writers; const methods may run concurrently.
class CheckpointFile {
 public:
  static constexpr std::string_view kMagic = "DPEVALCK";
  static constexpr uint32_t kFormatVersion = 1;
  static constexpr size_t kHeaderBytes = 16;  // magic, version, section count
  static constexpr size_t kTrailerBytes = 8;  // checksum
  static constexpr size_t kMaxNameBytes = 1024;

  // An empty checkpoint; error messages call it "checkpoint" until it is loaded.
  CheckpointFile() = default;

  // Adds section `name`, or replaces the payload of the section already named so
  // (keeping its position). Precondition (DPEVAL_CHECK): name is 1..kMaxNameBytes bytes.
  void put(std::string name, std::vector<std::byte> payload);
  // put() of `values` as float32 little-endian (4 * values.size() bytes).
  void put_floats(std::string name, std::span<const float> values);
  // put() of the bytes of `text`.
  void put_string(std::string name, std::string_view text);

  bool has(std::string_view name) const;
  // Section names in file order.
  std::vector<std::string_view> section_names() const;
  // The file this was loaded from (or the source name given to parse()).
  const std::string& source_name() const { return source_name_; }

  // The payload of section `name`, valid until the section is replaced or this
  // object is destroyed. Throws InputError
  // "<source>: checkpoint has no section 'x' (sections: a, b)".
  std::span<const std::byte> get(std::string_view name) const;
  // The payload as expected_count floats. Throws InputError (naming the section,
  // its size and expected_count) unless it holds exactly 4 * expected_count bytes.
  std::vector<float> get_floats(std::string_view name, size_t expected_count) const;
  std::string get_string(std::string_view name) const;

  // The whole file: header, sections, checksum trailer.
  std::vector<std::byte> serialize() const;
  // Writes serialize()'s bytes to `path` atomically (temporary file, fsync,
  // rename; see core/atomic_file.h), streaming section by section. Throws IoError;
  // on failure an existing file at `path` is untouched and no temporary is left.
  void save(const std::filesystem::path& path) const;

  // Parses a whole checkpoint held in memory, validating size, magic, version and
  // checksum first, then every length against the bytes that remain, unique
  // names and the absence of trailing bytes. Never reads out of bounds, never
  // allocates more than `bytes` holds. Throws InputError
  // "<source_name>: byte <offset>: <what was found>, expected <what>".
  static CheckpointFile parse(std::span<const std::byte> bytes, std::string_view source_name);
  // read_file(path) then parse(). Throws InputError (missing file, bad content).
  static CheckpointFile load(const std::filesystem::path& path);

 private:
  struct Section {
    std::string name;
    std::vector<std::byte> payload;
  };

  const Section* find(std::string_view name) const;
  // Feeds the header and every section (everything the checksum covers) to `sink`
  // in order, a few pieces per section.
  template <typename Sink>
  void write_body(Sink&& sink) const;

  std::vector<Section> sections_;
  std::string source_name_ = "checkpoint";
};

}  // namespace dpeval
