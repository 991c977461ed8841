// DPEVAL_CHECK(cond) << "context": an always-on assertion for programmer errors.
// On failure it throws dpeval::InternalError("file:line: check failed: cond: context").
// It is not for validating user input: that throws InputError/ConfigError.
#pragma once

#include <sstream>
#include <string>

#include "dpeval/core/error.h"

namespace dpeval::internal {

// Collects the streamed context and throws from its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition) {
    stream_ << file << ":" << line << ": check failed: " << condition;
    has_context_ = false;
  }
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;

  template <typename T>
  CheckFailure& operator<<(const T& value) {
    if (!has_context_) {
      stream_ << ": ";
      has_context_ = true;
    }
    stream_ << value;
    return *this;
  }

  [[noreturn]] ~CheckFailure() noexcept(false) { throw InternalError(stream_.str()); }

 private:
  std::ostringstream stream_;
  bool has_context_;
};

}  // namespace dpeval::internal

#define DPEVAL_CHECK(cond) \
  if (cond) {              \
  } else                   \
    ::dpeval::internal::CheckFailure(__FILE__, __LINE__, #cond)
