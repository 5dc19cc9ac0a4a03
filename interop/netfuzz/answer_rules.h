// How an IUT may answer a mutated request (RFC 7296 §2.21, §3.2): the
// rules interop/hostile/malformed_ike.py judges the gateway by (R1-R4 there,
// restated here for the messages of an IKE SA the tester holds), as a table.
// No answer is never a broken rule here: the fuzzer's probes tell a silent
// drop from a crash.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "interop/conformance/runner.h"
#include "interop/netfuzz/netfuzz.h"

namespace ipsecref::netfuzz {

// The IUT's answers to the mutated request: its datagrams after the request
// (or a retransmission of it) and before the tester's next new message.
struct Answers {
  std::vector<const conformance::Observed*> distinct;  // retransmissions of one answer counted once
  bool request_seen = false;                           // the mutated request is on the wire
};
Answers AnswersTo(const Mutation& m, const conformance::Observation& o);

// "none", "IKE_SA_INIT accepted", "N(NO_PROPOSAL_CHOSEN)", "protected N(INVALID_SYNTAX)", "protected accepted", ...
std::string AnswerKind(const Answers& a);

struct AnswerRule {
  std::string_view id;           // "R3"
  std::string_view requirement;  // "rfc7296#section-2.21.1"
  std::string_view says;         // the rule in our words
  // What broke it, or "" when the answers keep it.
  std::string (*broken)(const Mutation& m, const Answers& a);
};
std::span<const AnswerRule> AnswerRules();

// Every rule the answers break: "R3 (rfc7296#section-3.1): ...".
std::vector<std::string> Judge(const Mutation& m, const Answers& a);

}  // namespace ipsecref::netfuzz
