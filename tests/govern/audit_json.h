// Reading an audit document in tests: the check of an id.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

namespace dpeval::testing {

// The entry of `id` in doc["checks"]; a test failure (and an empty object)
// when there is none.
inline const nlohmann::json& audit_check(const nlohmann::json& doc, const std::string& id) {
  for (const nlohmann::json& c : doc["checks"]) {
    if (c["id"] == id) return c;
  }
  ADD_FAILURE() << "no check " << id;
  static const nlohmann::json none;
  return none;
}

}  // namespace dpeval::testing
