#include "dpeval/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dpeval/core/error.h"

namespace dpeval {
namespace {

[[noreturn]] void throw_io(const std::filesystem::path& path, const char* what) {
  throw IoError(path.string() + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path) : path_(std::move(path)) {
  temp_path_ = path_;
  temp_path_ += ".tmp." + std::to_string(::getpid());
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_) throw_io(path_, "cannot create temporary file");
}

AtomicFileWriter::~AtomicFileWriter() {
  if (file_) {
    std::fclose(file_);
    std::error_code ignored;
    std::filesystem::remove(temp_path_, ignored);
  }
}

void AtomicFileWriter::write(std::string_view bytes) {
  if (bytes.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) throw_io(path_, "write failed");
}

void AtomicFileWriter::write(std::span<const std::byte> bytes) {
  write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void AtomicFileWriter::commit() {
  if (std::fflush(file_) != 0) throw_io(path_, "flush failed");
  if (::fsync(::fileno(file_)) != 0) throw_io(path_, "fsync failed");
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) {
    std::error_code ignored;
    std::filesystem::remove(temp_path_, ignored);
    throw_io(path_, "close failed");
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    std::error_code ignored;
    std::filesystem::remove(temp_path_, ignored);
    throw_io(path_, "rename failed");
  }
  // Make the rename itself durable.
  std::filesystem::path dir = path_.parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
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

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path.string() + ": read failed");
  return std::move(ss).str();
}

}  // namespace dpeval
