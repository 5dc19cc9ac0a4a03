// IKEv2 proposals as configuration, and the choice among them (RFC 7296
// §2.7, §3.3, §3.3.6): the text an operator writes (strongSwan's proposal
// keywords, as swanctl.conf's `proposals` and `esp_proposals` take them, or
// IANA numbers), the proposals it stands for, the responder's selection from
// an offered SA payload, the initiator's check of the answer, and the suite
// a selected proposal names.
//
// Text syntax (strongSwan's keywords: docs.strongswan.org/docs/latest/config/
// proposals.html and src/libstrongswan/crypto/proposal/
// proposal_keywords_static.txt in strongSwan's source):
//   text     = proposal *( "," proposal )     ; blanks around a proposal are ignored
//   proposal = keyword *( "-" keyword )       ; the order of kinds does not matter,
//                                              ; within a kind it is the preference
//   keyword  = strongSwan keyword             ; aes128, aes256gcm16, chacha20poly1305,
//                                              ; sha256, prfsha384, ecp256, x25519, esn, ...
//            / "encr" ID [ "." KEY-BITS ]     ; IANA numbers, e.g. encr20.128
//            / "prf" ID / "integ" ID / "ke" ID / "esn" ID
// Keywords are lower case. Only transforms the reference implements (the
// crypto registry: transforms.h, prf.h, ke.h) can be configured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/iana/ike.h"
#include "reference/ike/wire/payloads/sa.h"

namespace ipsecref::ike::sa {

//= ipsecref#choice
//# A proposal text is at most 4096 bytes: far above any real configuration
//# (a proposal naming every implemented transform is about 600 bytes), and it
//# bounds what a parse may cost.
inline constexpr size_t kMaxProposalText = 4096;
//= rfc7296#section-3.3.1
//# Proposal Num is one octet and the first proposal is 1, so an SA payload
//# holds at most 255 proposals.
inline constexpr size_t kMaxProposals = 255;

// The proposals `text` names for `protocol` (kIke, kEsp or kAh), numbered
// 1..n in the text's order, each with its transforms grouped by Transform
// Type in ascending order (ENCR, PRF, INTEG, KE, ESN) and, within a type, in
// the text's order; SPI empty (the state machine fills it in). As strongSwan
// does:
//  - in an IKE proposal without a PRF keyword, each integrity keyword also
//    adds the PRF of the same algorithm (sha256 adds PRF_HMAC_SHA2_256);
//  - an ESP or AH proposal without esn/noesn gets noesn.
// Errors, each naming the keyword or proposal, its character offset in
// `text` and why:
//  - kInvalidArgument: an unknown keyword or number, an empty keyword or
//    proposal, a keyword of a Transform Type `protocol` does not use (prf in
//    ESP, esn in IKE, an encryption keyword in AH), ENCR_NULL or AES-GMAC in
//    IKE, NONE as an IKE key exchange, a transform named twice, a missing
//    ENCR (IKE, ESP), INTEG (IKE without AEAD, AH), PRF or KE (IKE), an AEAD
//    cipher with an integrity keyword or with a non-AEAD cipher, ENCR_NULL
//    without integrity, a key length the cipher does not take, or a
//    `protocol` other than IKE, ESP or AH;
//  - kUnsupported: a transform the reference does not implement, whether
//    the IANA registry holds it or not (md5, modp1024, encr23.128, encr999);
//  - kLengthOverflow: a text over kMaxProposalText bytes or more than
//    kMaxProposals proposals.
Result<std::vector<Proposal>> ParseProposals(std::string_view text, iana::SecurityProtocol protocol);

// The text of one proposal, ParseProposals' syntax: one keyword per
// transform, in the proposal's order, strongSwan's keyword where one exists
// and the number syntax otherwise (an ENCR key length no keyword names:
// encr12.64). IKE proposals get explicit PRF keywords, so nothing is derived
// when the text is read back. Any proposal can be written, also one
// ParseProposals would refuse: an unknown Transform Type is written
// "type<T>.<ID>" and an attribute other than a TV Key Length "+attr<type>",
// which ParseProposals does not read. For the proposals ParseProposals
// returns, ParseProposals(ProposalKeywords(p)) gives p back.
std::string ProposalKeywords(const Proposal& p);
// The proposals joined with ",".
std::string ProposalKeywords(const std::vector<Proposal>& proposals);

// The responder's choice (RFC 7296 §2.7, §3.3.6): the first offered
// proposal, in the initiator's order, that is for `protocol`, Acceptable(),
// and whose every Transform Type has a transform equal (type, ID and
// attributes: the key length) to one of the same configured proposal, which
// in turn has no Transform Type the offered one lacks. The answer carries
// the offered Proposal Num and SPI (the caller puts its own SPI in), and for
// each offered type the first offered transform that is configured, with
// its attributes unmodified, in ascending type order. A configured
// proposal without INTEG (combined mode) or without KE (no PFS) also takes
// an offered INTEG or KE of NONE.
// Offered proposals naming an unknown Transform Type or protocol are passed
// over, as are transforms the reference does not implement (never
// configured). kNoProposalChosen when no offered proposal matches, naming
// each offered proposal and why it was passed over.
Result<Proposal> SelectProposal(const std::vector<Proposal>& configured, const SaPayload& offered,
                                iana::SecurityProtocol protocol);

// The initiator's check of a responder's chosen proposal (§2.7, §3.3.6):
// the proposal of `ours_offered` with the same Proposal Num and protocol
// holds every transform of `chosen` (type, ID and attributes), and `chosen`
// has exactly one transform of each type that proposal offered. The SPI is
// the responder's and not compared. kInvalidSyntax naming what does not
// agree.
[[nodiscard]] Status CheckSelected(const std::vector<Proposal>& ours_offered, const Proposal& chosen);

// The suite a selected IKE proposal names.
struct IkeSuite {
  iana::Encr encr;
  uint16_t encr_key_bits;  // the Key Length, or the cipher's fixed key length
  iana::Prf prf;
  iana::Integ integ;  // kNone with a combined-mode cipher
  iana::KeGroup ke;
  bool operator==(const IkeSuite&) const = default;
};

// The suite a selected ESP or AH proposal names.
struct ChildSuite {
  iana::SecurityProtocol protocol;
  iana::Encr encr;         // AH: 0 (no ENCR transform)
  uint16_t encr_key_bits;  // AH and ENCR_NULL: 0
  iana::Integ integ;       // kNone with a combined-mode cipher or none proposed
  iana::EsnType esn;
  iana::KeGroup ke;  // kNone: no PFS key exchange
  bool operator==(const ChildSuite&) const = default;
};

// The suite of a selected proposal: one transform of each type, the types
// its protocol needs (§3.3.3), each implemented by the reference, a key
// length the cipher takes. kInvalidArgument naming the type that is
// missing, doubled or not for the protocol; kUnsupported for a transform
// the reference does not implement.
Result<IkeSuite> IkeSuiteOf(const Proposal& selected);
Result<ChildSuite> ChildSuiteOf(const Proposal& selected);

// The group an initiator's KE payload uses: the first KE transform of the
// first proposal; kNone when it has none (a CHILD SA without PFS).
iana::KeGroup FirstKeGroup(const std::vector<Proposal>& proposals);

}  // namespace ipsecref::ike::sa
