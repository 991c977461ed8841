// flock on DIR/.dpeval.lock; see dir_lock.h.
#include "dpeval/core/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "dpeval/core/error.h"

namespace dpeval {

std::filesystem::path DirLock::lock_path(const std::filesystem::path& dir) { return dir / ".dpeval.lock"; }

DirLock::DirLock(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(dir.string() + ": cannot create the output directory: " + ec.message());
  const std::filesystem::path path = lock_path(dir);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) {
    const int err = errno;
    throw IoError(path.string() + ": cannot open the output directory's lock file: " + std::strerror(err));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buffer[32] = {};
    const ssize_t got = ::pread(fd_, buffer, sizeof(buffer) - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw IoError(path.string() + ": cannot lock: " + std::strerror(err));
    std::string holder = got > 0 ? std::string(buffer, static_cast<size_t>(got)) : std::string();
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    throw Error(dir.string() + " is in use by another dpeval run (pid " +
                (holder.empty() ? "unknown" : holder) + ", holding " + path.string() +
                "); wait for it to finish or choose another --out directory");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock is held; only the holder's pid in messages is lost.
  }
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace dpeval
