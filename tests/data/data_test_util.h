// Helpers for the data tests: a fresh temp directory per test, file writing, gzip
// compression (to build inputs) and checks on the InputError message.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"

namespace dpeval::data::testing {

namespace fs = std::filesystem;

// An empty directory unique to this process and the current test.
inline fs::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::temp_directory_path() / ("dpeval_data_test_" + std::to_string(::getpid())) /
                 (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

inline std::string gzip(std::string_view raw, int level = 6) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, raw.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Runs fn; passes when it throws InputError whose one-line message contains every
// piece (e.g. the file name and "17:" or "byte 4"). With DPEVAL_PRINT_ERRORS set
// in the environment it prints each message, to read them all at once.
inline ::testing::AssertionResult throws_input_error(const std::function<void()>& fn,
                                                     const std::vector<std::string_view>& pieces) {
  try {
    fn();
  } catch (const InputError& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos) {
      return ::testing::AssertionFailure() << "message is not one line: " << message;
    }
    for (std::string_view piece : pieces) {
      if (message.find(piece) == std::string::npos) {
        return ::testing::AssertionFailure() << "message lacks \"" << piece << "\": " << message;
      }
    }
    if (std::getenv("DPEVAL_PRINT_ERRORS") != nullptr) std::printf("  error: %s\n", message.c_str());
    return ::testing::AssertionSuccess() << message;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw something other than InputError: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

}  // namespace dpeval::data::testing
