// Atomic file output: everything dpeval writes goes to a temporary file made
// by mkstemp beside the target, is fsync'ed, then renamed over the target, so a
// reader sees the old file or the complete new one, never half of it, and an
// error leaves no partial output. See Note [Output targets].
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dpeval {

// Note [Output targets]
// What an output path names decides how it is written:
// - nothing yet, or a regular file: a temporary ".<name>.tmp.XXXXXX" is made
//   by mkstemp (O_EXCL: a planted symlink at that name is never followed) in
//   the target's directory, written, fsync'ed and renamed over the target; a
//   replaced file keeps its permission bits, a new one gets 0666 & ~umask.
// - a symbolic link to a regular file: the file it resolves to is replaced
//   (the link stays a link), as `>` in a shell would write through it.
// - a character device (/dev/null, a terminal) or a FIFO: written in place,
//   never renamed over; a FIFO with no reader is an IoError, not a hang.
// - a directory, socket, block device or dangling symlink: IoError.
// Temporary files are registered while they exist, and
// remove_temporary_files_on_signals() removes them on SIGINT, SIGTERM and
// SIGHUP before the process dies of the signal.

// Writes bytes to path atomically. Throws IoError naming the path on failure
// (the temporary file is removed).
void write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> bytes);
void write_file_atomic(const std::filesystem::path& path, std::string_view text);

// Streaming variant for large outputs: write() pieces, then commit(). If the
// object is destroyed without commit() (an exception, an early return), the
// temporary file is deleted and <path> is untouched.
class AtomicFileWriter {
 public:
  // Throws IoError when the target cannot be written (see Note [Output targets]).
  explicit AtomicFileWriter(std::filesystem::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(std::string_view bytes);
  void write(std::span<const std::byte> bytes);
  // Flushes, fsyncs and closes the temporary file, then renames it into
  // place. Throws IoError. commit() = finish() then publish().
  void commit();
  // The two halves of commit(), for several outputs that must be replaced
  // all or none: finish() every writer first (the step that fails on a full
  // disk), then publish() each. See write_files_atomic.
  void finish();
  void publish();

 private:
  std::filesystem::path path_;       // as the caller named it (for messages)
  std::filesystem::path target_;     // where the bytes end up
  std::filesystem::path temp_path_;  // empty when writing in place
  std::FILE* file_ = nullptr;
  int temp_slot_ = -1;
  bool finished_ = false;
};

// One of several outputs written together by write_files_atomic.
struct FileText {
  std::filesystem::path path;
  std::string_view text;
};

// Writes every file's text to its temporary file and fsyncs all of them
// before the first rename, so that an error (a full disk) replaces none of
// the targets. Throws IoError naming the file that failed.
void write_files_atomic(std::span<const FileText> files);

// Removes registered temporary files when the process gets SIGINT, SIGTERM or
// SIGHUP, then dies of the signal as it would have. Call once from main().
void remove_temporary_files_on_signals();

// Reads a whole file. Throws InputError("<path>: cannot open: <reason>").
std::string read_file(const std::filesystem::path& path);

// The identity of the file a path names (symlinks followed), or nullopt when
// it names nothing. Two paths name the same file when these are equal.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};
std::optional<FileIdentity> file_identity(const std::filesystem::path& path);

}  // namespace dpeval
