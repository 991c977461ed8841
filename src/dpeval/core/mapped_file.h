// A regular file mapped read-only: its bytes without a copy (the pages are the
// page cache's), for readers that walk large files once, front to back.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace dpeval {

// Maps `path` when it is a non-empty regular file that mmap accepts; otherwise
// (a pipe, a directory, an empty file, no such file, a failed mmap) mapped() is
// false and the caller reads the file its usual way, which also reports why it
// cannot be opened. Never throws. Not copyable; the mapping ends with the object.
//
// A mapped file that another process truncates while it is read raises SIGBUS
// on the pages past the new end, as with any mapping: the readers that use
// this class read files the user named, not files that change under them.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  bool mapped() const { return map_ != nullptr; }
  // The file's bytes; empty when not mapped.
  std::string_view text() const;
  // Hints for text()[begin, end): prefetch() asks the kernel to start reading
  // the pages into the page cache (MADV_WILLNEED; returns at once), so that a
  // file not yet cached is read while the caller works on the part before;
  // populate() maps the range's pages into this process in one call
  // (MADV_POPULATE_READ, reading what is not cached) and returns when they
  // are: one system call for a block instead of a page fault per 64 KiB
  // (kernels before 5.14 ignore it, and the walk faults as before);
  // release() drops the pages wholly inside the range from this process's
  // memory (they come back from the page cache if read again), keeping a
  // front-to-back walk's resident memory to the part in use. All three are
  // no-ops when not mapped.
  void prefetch(size_t begin, size_t end) const;
  void populate(size_t begin, size_t end) const;
  void release(size_t begin, size_t end) const;

 private:
  void* map_ = nullptr;
  size_t size_ = 0;
};

}  // namespace dpeval
