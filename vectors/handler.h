// What a vector handler needs: field readers that throw BadField for a
// malformed file, and the Verdict a handler returns for one test. Each schema
// has one handler; the table in runner.cc maps schema names to handlers.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "reference/bytes/bytes.h"
#include "reference/iana/iana.h"

namespace ipsecref::vectors {

using nlohmann::json;

// A malformed field in a vector file: thrown inside the runner only, turned
// into an Error naming the test before it leaves RunFile.
struct BadField {
  std::string what;
};

Bytes Hex(const json& t, const char* field);

template <typename T>
T Get(const json& j, const char* field) {
  if (!j.contains(field)) throw BadField{fmt::format("missing field '{}'", field)};
  try {
    return j[field].get<T>();
  } catch (const json::exception& e) {
    throw BadField{fmt::format("field '{}': {}", field, e.what())};
  }
}

iana::Encr EncrNamed(const std::string& name);
iana::Integ IntegNamed(const std::string& name);

// What one test did: accepted with these outputs (empty detail) or rejected
// (detail says why). The runner compares that with the expected result.
struct Verdict {
  bool accepted;
  std::string detail;
};

inline Verdict Accept() { return {true, ""}; }
inline Verdict Reject(std::string why) { return {false, std::move(why)}; }
inline Verdict Mismatch(const char* what, ByteSpan got, ByteSpan want) {
  return {false, fmt::format("{} is {}, expected {}", what, ToHex(got), ToHex(want))};
}

using Handler = Verdict (*)(const json& group, const json& test);

// Handlers defined in their own files (one line each; see runner.cc's table).
Verdict RunKe(const json& g, const json& t);           // ke_handler.cc
Verdict RunSignature(const json& g, const json& t);    // signature_handler.cc
Verdict RunIkeKeymat(const json& g, const json& t);    // keymat_handler.cc
Verdict RunIkeSk(const json& g, const json& t);        // sk_handler.cc

}  // namespace ipsecref::vectors
