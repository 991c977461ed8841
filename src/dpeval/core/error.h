// Typed error tree for dpeval. User and input problems throw one of these with
// a message naming the file, line/byte offset or field, what was expected and a
// hint; programmer errors go through DPEVAL_CHECK (see check.h) as InternalError.
// The library never exits: only cli/ maps these types to exit codes
// (InputError/ConfigError -> 3, UsageError -> 2, everything else -> 1).
#pragma once

#include <stdexcept>
#include <string>

namespace dpeval {

// Base of every error dpeval throws on purpose.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Malformed or invalid input data: a dataset, predictions file, checkpoint.
class InputError : public Error {
 public:
  using Error::Error;
};

// An invalid configuration: model spec, TOML file, option combination.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// The command line itself was wrong (unknown value for an option, missing option).
class UsageError : public Error {
 public:
  using Error::Error;
};

// The operating system refused something (open, write, rename, fsync).
class IoError : public Error {
 public:
  using Error::Error;
};

// Communication between workers failed.
class CommError : public Error {
 public:
  using Error::Error;
};

// A collective or wait exceeded its deadline.
class TimeoutError : public CommError {
 public:
  using CommError::CommError;
};

// The requested operation exists in the interface but not in this backend.
class NotSupported : public Error {
 public:
  using Error::Error;
};

// A broken invariant: a bug in dpeval, never the user's fault.
class InternalError : public Error {
 public:
  using Error::Error;
};

}  // namespace dpeval
