// JUnit XML for CI systems (Jenkins, GitLab, GitHub Actions test
// reporters): the report of `ipsecref check --junit FILE`.
//
//   <testsuites name="ipsecref check" tests= failures= errors= skipped= time=>
//     <testsuite name=CAPTURE tests= failures= errors= skipped= time=>
//       <properties><property name="keys" value=FILE/>...</properties>
//       <testcase classname=CAPTURE name="capture read to its end"/>
//       <testcase classname=CAPTURE name="ESP SPI 0x30855da0 192.0.2.1 -> 192.0.2.2">
//         <failure type="IcvMismatch" message="IcvMismatch (rfc4303#section-3.4.4)
//                  at packet 7">the packets, the requirement, an example</failure>
//         <system-out>algorithms, counts, sequence numbers</system-out>
//       </testcase>
//       <testcase ... name="inner packets match EXPECTED"/>   (--expect-inner)
//     </testsuite>
//   </testsuites>
//
// One testsuite per capture; one testcase per ESP/AH SA, with one <failure>
// per kind of problem (findings too when they fail the check, --strict),
// <error> when its keys could not make an SA, <skipped> when the capture
// holds no keys for it; one per IKE SA, whose IKE errors (and, with
// --strict, warnings) are failures; one for IKE findings of no IKE SA, if
// any; one for reading the capture (an <error> when it breaks off) and one
// for the inner packets when they were compared.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "interop/check/capture_check.h"
#include "interop/check/inner_packets.h"

namespace ipsecref::tool {

struct JunitCapture {
  const io::CaptureReport* report = nullptr;
  const io::InnerComparison* inner = nullptr;  // when --expect-inner was given
  std::vector<std::string> key_files;
  bool strict = false;   // findings fail as the exit code says (--strict)
  double seconds = 0;    // how long the check took
};

std::string JunitXml(std::span<const JunitCapture> captures);

// Text as an attribute value (or, `attribute` false, as character data,
// where line breaks stay as they are): markup characters as entities; what
// XML 1.0 cannot carry (control characters, bytes that are not UTF-8) as
// the text "\xHH".
std::string XmlEscape(std::string_view text, bool attribute = true);

}  // namespace ipsecref::tool
