// The error a request handler throws: an HTTP status, the field of the request
// at fault ("instances[3].features[12]", "body", "Authorization") and what
// was expected. server.cc answers it as {"error": what, "field": field} with
// that status; nothing else about the server changes.
#pragma once

#include <string>

#include "dpeval/core/error.h"

namespace dpeval::serve {

class HttpError : public Error {
 public:
  HttpError(int status, std::string field, const std::string& what)
      : Error(what), status_(status), field_(std::move(field)) {}
  int status() const { return status_; }
  const std::string& field() const { return field_; }

 private:
  int status_;
  std::string field_;
};

}  // namespace dpeval::serve
