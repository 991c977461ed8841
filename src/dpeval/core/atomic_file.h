// Atomic file output: everything dpeval writes goes to "<path>.tmp.<pid>", is
// fsync'ed, then renamed over <path>, so a reader sees the old file or the
// complete new one, never half of it, and an error leaves no partial output.
#pragma once

#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace dpeval {

// Writes bytes to path atomically. Throws IoError naming the path on failure
// (the temporary file is removed).
void write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> bytes);
void write_file_atomic(const std::filesystem::path& path, std::string_view text);

// Streaming variant for large outputs: write() pieces, then commit(). If the
// object is destroyed without commit() (an exception, an early return), the
// temporary file is deleted and <path> is untouched.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(std::string_view bytes);
  void write(std::span<const std::byte> bytes);
  // Flushes, fsyncs, closes and renames into place. Throws IoError.
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  std::FILE* file_ = nullptr;
};

// Reads a whole file. Throws InputError("<path>: cannot open: <reason>").
std::string read_file(const std::filesystem::path& path);

}  // namespace dpeval
