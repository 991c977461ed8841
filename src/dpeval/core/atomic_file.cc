#include "dpeval/core/atomic_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "dpeval/core/error.h"

namespace dpeval {
namespace {

[[noreturn]] void throw_io(const std::filesystem::path& path, const char* what, int err = errno) {
  throw IoError(path.string() + ": " + what + ": " + std::strerror(err));
}

// --- Temporary files the signal handler removes -----------------------------
// Fixed slots so that the handler touches no allocator and no lock: a slot is
// free (0), being filled (1) or names a live temporary file (2).
constexpr int kTempSlots = 64;
struct TempSlot {
  std::atomic<int> state{0};
  char path[PATH_MAX] = {};
};
TempSlot g_temp_slots[kTempSlots];

int register_temp(const std::filesystem::path& path) {
  const std::string& s = path.native();
  if (s.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kTempSlots; ++i) {
    int expected = 0;
    if (g_temp_slots[i].state.compare_exchange_strong(expected, 1)) {
      std::memcpy(g_temp_slots[i].path, s.c_str(), s.size() + 1);
      g_temp_slots[i].state.store(2, std::memory_order_release);
      return i;
    }
  }
  return -1;  // more than kTempSlots at once: this one is not cleaned on a signal
}

void unregister_temp(int slot) {
  if (slot >= 0) g_temp_slots[slot].state.store(0, std::memory_order_release);
}

extern "C" void remove_temps_and_die(int sig) {
  for (TempSlot& slot : g_temp_slots) {
    if (slot.state.load(std::memory_order_acquire) == 2) ::unlink(slot.path);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// The permission bits a new file gets: 0666 less the process umask.
mode_t new_file_mode() {
  static const mode_t mode = [] {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return static_cast<mode_t>(0666 & ~mask);
  }();
  return mode;
}

// See Note [Output targets].
struct Target {
  std::filesystem::path path;
  bool in_place = false;
  mode_t mode = 0;
};

Target resolve_target(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISREG(st.st_mode)) {
      std::error_code ec;
      std::filesystem::path real = std::filesystem::canonical(path, ec);
      if (ec) throw IoError(path.string() + ": cannot resolve: " + ec.message());
      return {std::move(real), false, static_cast<mode_t>(st.st_mode & 07777)};
    }
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) return {path, true, 0};
    if (S_ISDIR(st.st_mode)) throw IoError(path.string() + ": is a directory, expected a file to write");
    throw IoError(path.string() +
                  ": exists and is not a regular file, character device or FIFO; refusing to replace it");
  }
  const int err = errno;
  if (err != ENOENT) throw_io(path, "cannot write here", err);
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    throw IoError(path.string() + ": is a symbolic link to nothing; refusing to write through it");
  }
  return {path, false, new_file_mode()};
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path) : path_(std::move(path)) {
  Target target = resolve_target(path_);
  target_ = std::move(target.path);
  int fd = -1;
  if (target.in_place) {
    // O_NONBLOCK only to learn that a FIFO has no reader instead of hanging.
    fd = ::open(target_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENXIO) throw IoError(path_.string() + ": a FIFO with no reader");
    if (fd < 0) throw_io(path_, "cannot open for writing");
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  } else {
    std::string name = target_.filename().string();
    if (name.size() > 200) name.resize(200);
    std::filesystem::path dir = target_.parent_path();
    std::string pattern = (dir.empty() ? std::filesystem::path(".") : dir) / ("." + name + ".tmp.XXXXXX");
    fd = ::mkstemp(pattern.data());
    if (fd < 0) throw_io(path_, "cannot create temporary file");
    temp_path_ = pattern;
    temp_slot_ = register_temp(temp_path_);
    if (::fchmod(fd, target.mode) != 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(temp_path_.c_str());
      unregister_temp(temp_slot_);
      throw_io(path_, "cannot set up temporary file", err);
    }
  }
  file_ = ::fdopen(fd, "wb");
  if (!file_) {
    const int err = errno;
    ::close(fd);
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
    unregister_temp(temp_slot_);
    throw_io(path_, "cannot open for writing", err);
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (file_) std::fclose(file_);
  if (!temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    unregister_temp(temp_slot_);
  }
}

void AtomicFileWriter::write(std::string_view bytes) {
  if (bytes.empty()) return;
  if (!file_ || finished_) throw IoError(path_.string() + ": write after commit");
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) throw_io(path_, "write failed");
}

void AtomicFileWriter::write(std::span<const std::byte> bytes) {
  write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void AtomicFileWriter::finish() {
  if (finished_) return;
  if (std::fflush(file_) != 0) throw_io(path_, "write failed");
  if (!temp_path_.empty() && ::fsync(::fileno(file_)) != 0) throw_io(path_, "fsync failed");
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) throw_io(path_, "close failed");
  finished_ = true;
}

void AtomicFileWriter::publish() {
  finish();
  if (temp_path_.empty()) return;  // written in place
  if (std::rename(temp_path_.c_str(), target_.c_str()) != 0) throw_io(path_, "rename failed");
  temp_path_.clear();
  unregister_temp(temp_slot_);
  // Make the rename itself durable.
  std::filesystem::path dir = target_.parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void AtomicFileWriter::commit() {
  finish();
  publish();
}

void write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  AtomicFileWriter w(path);
  w.write(bytes);
  w.commit();
}

void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
  AtomicFileWriter w(path);
  w.write(text);
  w.commit();
}

void write_files_atomic(std::span<const FileText> files) {
  std::vector<std::unique_ptr<AtomicFileWriter>> writers;
  writers.reserve(files.size());
  for (const FileText& f : files) {
    writers.push_back(std::make_unique<AtomicFileWriter>(f.path));
    writers.back()->write(f.text);
    writers.back()->finish();
  }
  for (auto& w : writers) w->publish();
}

void remove_temporary_files_on_signals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;  // e.g. under nohup
    struct sigaction sa {};
    sa.sa_handler = remove_temps_and_die;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path.string() + ": read failed");
  return std::move(ss).str();
}

std::optional<FileIdentity> file_identity(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino};
}

}  // namespace dpeval
