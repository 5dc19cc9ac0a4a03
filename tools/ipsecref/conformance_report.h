// The reports of `ipsecref conformance`: text (each failure with its
// ladder), JSON, JUnit XML and one self-contained HTML page.
#pragma once

#include <string>
#include <vector>

#include "interop/conformance/runner.h"

namespace ipsecref::tool {

// The summary table: verdicts per group and level.
std::string ConformanceSummaryText(const conformance::Report& report);
// Every failure (and inconclusive run) with its checks and ladder, then the summary.
std::string ConformanceText(const conformance::Report& report, bool verbose);
// {"target", "cases": [{"id", "title", "group", "verdict", "requirement", "says", "level", "role",
//   "expected", "observed", "evidence", ...}], "summary": {...}}
std::string ConformanceJson(const conformance::Report& report);
// One testsuite per group, one testcase per run: <failure> for fail and
// unexpected-pass, <skipped> for unsupported and expected-fail, <error> for inconclusive.
std::string ConformanceJunit(const conformance::Report& report);
// One page: the summary per group and level, then each run with its
// citation, checks, ladder, verdict and a link to its pcap (relative to
// the page's directory `base`).
std::string ConformanceHtml(const conformance::Report& report, const std::string& base);

// The mutation report: per run, the faults tried and whether each made it fail.
std::string MutationText(const std::vector<conformance::Mutation>& mutations);
std::string MutationJson(const std::vector<conformance::Mutation>& mutations);

}  // namespace ipsecref::tool
