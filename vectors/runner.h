// Loads the Wycheproof-shaped vector files of vectors/ and runs every test
// against the reference. One handler per schema; see vectors/README.md.
#pragma once

#include <string>
#include <vector>

#include "reference/base/result.h"

namespace ipsecref::vectors {

struct Failure {
  int tc_id = 0;
  std::string comment;
  std::string expected;  // "valid", "invalid", "acceptable"
  std::string detail;    // what the reference did instead
};

struct FileReport {
  std::string path;
  std::string algorithm;
  std::string schema;
  std::string source;
  int total = 0;
  int passed = 0;
  std::vector<Failure> failures;
};

// Runs every test of one file. An Error means the file itself is malformed
// (not JSON, unknown schema, a missing field, numberOfTests wrong).
Result<FileReport> RunFile(const std::string& path);

// The JSON vector files under `dir`, sorted.
std::vector<std::string> ListFiles(const std::string& dir);

}  // namespace ipsecref::vectors
