// Fuzz target: the conformance catalogue reader (conformance::ParseCatalogue,
// a JSON file of cases), the expansion of its parameters into runs and the
// check of each run's checks (conformance::Validate); and the
// expected-results file (conformance::ParseExpectations).
//
// Input: the text of one catalogue file (the seeds, corpus/conformance_catalogue/,
// are the bundled catalogue files and near-misses); the same bytes are also
// read as an expected-results file. Inputs over 64 KiB are ignored.
//
// Checked: a refusal is kInvalidArgument with a message that names the file
// ("cat.json:" or "expect.txt:"); what is accepted has cases with an id, a
// requirement of the form rfcNNNN#section-, at least one check and one
// fault, and expands into at least one run per case, each run's id starting
// with its case's id. The expansion is bounded: a case of more than 1024
// runs is refused, and runs are generated here up to 4096 in all.
#include <cstdint>
#include <string>

#include "fuzz/check.h"
#include "interop/conformance/catalogue.h"
#include "interop/conformance/dataplane.h"
#include "interop/conformance/runner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  if (size > 65536) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto cases = conformance::ParseCatalogue(text, "cat.json");
  if (!cases.ok()) {
    Check(cases.error().code == Code::kInvalidArgument);
    Check(cases.error().detail.starts_with("cat.json:"));
  } else {
    size_t combinations = 0;
    for (const conformance::Case& c : *cases) {
      Check(!c.id.empty() && !c.expect.empty() && !c.faults.empty());
      Check(c.requirement.starts_with("rfc") && c.requirement.find("#section-") != std::string::npos);
      size_t n = 1;
      for (const auto& [name, values] : c.params) n = std::min<size_t>(n * values.size(), 1u << 20);
      combinations += n;
    }
    if (combinations <= 4096) {
      conformance::Catalogue cat{std::move(*cases)};
      const std::vector<conformance::Run> runs = cat.Runs();
      Check(runs.size() == combinations);
      for (const conformance::Run& r : runs) {
        Check(r.id.starts_with(r.c->id));
        Status s = conformance::Validate(r);
        if (!s) Check(s.error().code == Code::kInvalidArgument && s.error().detail.starts_with("cat.json:"));
        // The dataplane steps (tester:esp=SPEC, tester:ah=SPEC).
        for (const std::string& step : r.drive) {
          const std::string_view what = std::string_view(step).substr(std::min(step.find(':') + 1, step.size()));
          if (!conformance::dataplane::IsDataplaneStep(what)) continue;
          auto spec = conformance::dataplane::ParseEspSpec(what);
          if (spec.ok())
            Check(spec->deviation != nullptr && spec->count >= 1 && spec->count <= 64);
          else
            Check(spec.error().code == Code::kInvalidArgument && !spec.error().detail.empty());
        }
      }
    }
  }
  auto expect = conformance::ParseExpectations(text, "expect.txt");
  if (!expect.ok()) Check(expect.error().detail.starts_with("expect.txt:"));
  else
    for (const auto& e : *expect) Check(!e.glob.empty() && !e.reason.empty());
  return 0;
}
