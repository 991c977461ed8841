// A regular file mapped read-only; see mapped_file.h.
#include "dpeval/core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace dpeval {
namespace {

size_t page_size() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      map_ = map;
      size_ = static_cast<size_t>(st.st_size);
    }
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (map_ != nullptr) ::munmap(map_, size_);
}

std::string_view MappedFile::text() const {
  return map_ != nullptr ? std::string_view(static_cast<const char*>(map_), size_) : std::string_view();
}

void MappedFile::prefetch(size_t begin, size_t end) const {
  if (map_ == nullptr || end <= begin || begin >= size_) return;
  const size_t first = begin / page_size() * page_size();
  ::madvise(static_cast<char*>(map_) + first, std::min(end, size_) - first, MADV_WILLNEED);
}

void MappedFile::populate(size_t begin, size_t end) const {
  if (map_ == nullptr || end <= begin || begin >= size_) return;
  const size_t first = begin / page_size() * page_size();
  ::madvise(static_cast<char*>(map_) + first, std::min(end, size_) - first, MADV_POPULATE_READ);  // a hint
}

void MappedFile::release(size_t begin, size_t end) const {
  if (map_ == nullptr) return;
  const size_t page = page_size();
  const size_t first = (begin + page - 1) / page * page, last = std::min(end, size_) / page * page;
  if (last > first) ::madvise(static_cast<char*>(map_) + first, last - first, MADV_DONTNEED);
}

}  // namespace dpeval
