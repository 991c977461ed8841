// DirLock: one writer per output directory. Two runs writing into one
// directory at once leave one run's summary beside the other's checkpoint;
// taking this lock first makes the second run fail at once instead.
//
// The lock is flock(LOCK_EX | LOCK_NB) on DIR/.dpeval.lock, which holds the
// pid of the process holding it. flock locks belong to the open file, so the
// kernel drops the lock when the holder exits or is killed: a stale lock file
// never blocks a later run. The file itself is left in place (removing it
// would race with a run that just opened it).
#pragma once

#include <filesystem>

namespace dpeval {

class DirLock {
 public:
  // Creates `dir` (and its parents) if needed and locks it. Throws IoError
  // naming the directory when it cannot be created or the lock file cannot be
  // opened, and Error "<dir> is in use by another dpeval run (pid N) ..." when
  // another process (or another DirLock of this process) holds the lock.
  explicit DirLock(const std::filesystem::path& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  // DIR/.dpeval.lock
  static std::filesystem::path lock_path(const std::filesystem::path& dir);

 private:
  int fd_ = -1;
};

}  // namespace dpeval
