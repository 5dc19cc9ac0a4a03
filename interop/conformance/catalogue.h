// The conformance catalogue: cases as data (interop/conformance/catalogue/
// *.json, one file per group of RFC 7296 and the RFCs beside it), read and
// checked here, and expanded into runs (a case with parameters runs once
// per value). The catalogue's README says each field; the code that judges
// a case is judge.h, the code that drives one is runner.h.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/base/result.h"

namespace ipsecref::conformance {

// One check of the expected result (judge.h has the table of kinds).
struct Check {
  std::string kind;     // "established", "notify", "silent", ...
  nlohmann::json args;  // the rest of the check's object
};

struct Case {
  std::string id;           // "IKE-INIT-CRIT-01.R"
  std::string title;
  std::string group;        // "initial/payload-formats"
  std::string requirement;  // "rfc7296#section-2.5"
  std::string says;         // the requirement in our words
  std::string level;        // MUST, SHOULD, MAY
  std::string role;         // the implementation under test: initiator or responder
  std::string node = "any";  // end-node, gateway, any
  std::string klass = "BASIC";  // BASIC or ADVANCED
  std::string tahi;         // the IPv6 Ready IKEv2 test number, where one corresponds
  std::vector<std::string> setup;   // configuration variants ("ecp256", "fragments", ...)
  std::vector<std::string> tester;  // deviations the tester applies (interop/deviations/)
  std::vector<std::string> drive;   // the steps after the initial exchanges ("tester:child-rekey", ...)
  std::vector<Check> expect;
  std::vector<std::string> needs;   // features the implementation must have
  std::vector<std::string> faults;  // faults of the reference that must make the case fail
  std::string file;                 // where the case is written
  // Parameters: name -> values; "{NAME}" in tester, drive, expect and the
  // title is replaced by each value in turn.
  std::map<std::string, std::vector<std::string>> params;
};

// One run of a case: its parameters filled in.
struct Run {
  const Case* c = nullptr;
  std::string id;  // the case id, with "[NAME=value]" for a parameterised run
  std::string title;
  std::vector<std::string> setup;
  std::vector<std::string> tester;
  std::vector<std::string> drive;
  std::vector<Check> expect;
  std::vector<std::string> faults;
  std::map<std::string, std::string> values;
};

struct Catalogue {
  std::vector<Case> cases;
  std::vector<Run> Runs() const;
};

// Reads every *.json file of `dir` (sorted by name). Errors name the file,
// the case (or the line and column of a JSON syntax error) and the field.
Result<Catalogue> LoadCatalogue(const std::string& dir);
// One file's text, named `name` in errors.
Result<std::vector<Case>> ParseCatalogue(const std::string& text, const std::string& name);

}  // namespace ipsecref::conformance
