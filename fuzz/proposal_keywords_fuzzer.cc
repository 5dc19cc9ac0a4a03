// Fuzz target: proposal configuration text (reference/ike/sa/proposals.h),
// strongSwan's keywords and the IANA number syntax.
//
// Input: the whole input is the text, read as IKE, ESP and AH proposals in
// turn.
//
// Checked: a refused text carries kInvalidArgument, kUnsupported or
// kLengthOverflow, an offset inside the text, a requirement and a detail;
// an accepted one gives 1..255 proposals numbered from 1 for the protocol,
// SPI empty, each Acceptable() and, with the SPI size the protocol takes,
// passing Verify(); ProposalKeywords writes text that ParseProposals reads
// back as the same proposals; offered to a responder configured with them,
// the first proposal is chosen, the initiator accepts the answer
// (CheckSelected) and it names a suite (IkeSuiteOf / ChildSuiteOf).
//
// IPSECREF_FUZZ_VERBOSE=1 prints, per protocol, the proposals read or the
// error (to see which seeds get past the parser).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz/check.h"
#include "reference/ike/sa/proposals.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using ipsecref::fuzz::Check;
  using SP = iana::SecurityProtocol;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;

  for (SP protocol : {SP::kIke, SP::kEsp, SP::kAh}) {
    auto parsed = ike::sa::ParseProposals(text, protocol);
    if (verbose)
      std::fprintf(stderr, "  %s: %s\n", std::string(iana::Name(protocol)).c_str(),
                   parsed ? ike::sa::ProposalKeywords(*parsed).c_str() : parsed.error().ToString().c_str());
    if (!parsed) {
      const Error& e = parsed.error();
      Check(e.code == Code::kInvalidArgument || e.code == Code::kUnsupported || e.code == Code::kLengthOverflow);
      Check(e.offset <= text.size() || (e.code == Code::kLengthOverflow && e.offset == ike::sa::kMaxProposalText));
      Check(!e.requirement.empty() && !e.detail.empty());
      continue;
    }
    const std::vector<ike::Proposal>& proposals = *parsed;
    Check(!proposals.empty() && proposals.size() <= ike::sa::kMaxProposals);
    ike::SaPayload offered{proposals};
    for (size_t i = 0; i < proposals.size(); ++i) {
      Check(proposals[i].proposal_num == i + 1 && proposals[i].protocol_id == protocol && proposals[i].spi.empty());
      Check(ike::Acceptable(proposals[i], 0).ok());
      if (protocol != SP::kIke) offered.proposals[i].spi = {0, 0, 0x10, static_cast<uint8_t>(i)};
    }
    Check(ike::Verify(offered, 0).ok());

    auto again = ike::sa::ParseProposals(ike::sa::ProposalKeywords(proposals), protocol);
    Check(again.ok() && *again == proposals);

    auto chosen = ike::sa::SelectProposal(proposals, offered, protocol);
    Check(chosen.ok() && chosen->proposal_num == 1 && chosen->spi == offered.proposals[0].spi);
    Check(ike::sa::CheckSelected(proposals, *chosen).ok());
    Check(protocol == SP::kIke ? ike::sa::IkeSuiteOf(*chosen).ok() : ike::sa::ChildSuiteOf(*chosen).ok());
  }
  return 0;
}
