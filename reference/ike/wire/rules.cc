#include "reference/ike/wire/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <set>

#include "reference/crypto/ke.h"

namespace ipsecref::ike {
namespace {

using P = iana::PayloadType;
using X = iana::ExchangeType;

//= rfc7296#section-1.2
//# IKE_SA_INIT request: SA, KE, Ni, optional notifications and Vendor IDs.
constexpr PayloadRule kInitRequest[] = {
    {.type = P::kSa, .min = 1, .max = 1},
    {.type = P::kKe, .min = 1, .max = 1},
    {.type = P::kNonce, .min = 1, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc7296#section-1.2
//# IKE_SA_INIT response: SA, KE, Nr, optional CERTREQ, notifications, Vendor IDs.
constexpr PayloadRule kInitResponse[] = {
    {.type = P::kSa, .min = 1, .max = 1},
    {.type = P::kKe, .min = 1, .max = 1},
    {.type = P::kNonce, .min = 1, .max = 1},
    {.type = P::kCertreq, .min = 0, .max = kMany},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc7296#section-1.2
//# An IKE_SA_INIT response that refuses (INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN)
//# or asks for a COOKIE carries notifications only.
constexpr PayloadRule kNotifyOnly[] = {
    {.type = P::kNotify, .min = 1, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};

//= rfc7296#section-1.2
//# IKE_AUTH request: IDi, optional CERT, CERTREQ, IDr, AUTH (absent when EAP is
//# wanted, §2.16), CP, SAi2/TSi/TSr (absent for a childless IKE SA, RFC 6023).
constexpr PayloadRule kAuthRequest[] = {
    {.type = P::kIdi, .min = 1, .max = 1},
    {.type = P::kCert, .min = 0, .max = kMany},
    {.type = P::kCertreq, .min = 0, .max = kMany},
    {.type = P::kIdr, .min = 0, .max = 1},
    {.type = P::kAuth, .min = 0, .max = 1},
    {.type = P::kCp, .min = 0, .max = 1},
    {.type = P::kSa, .min = 0, .max = 1},
    {.type = P::kTsi, .min = 0, .max = 1},
    {.type = P::kTsr, .min = 0, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc7296#section-2.16
//# The EAP rounds of IKE_AUTH carry one EAP payload each way.
constexpr PayloadRule kEapRound[] = {
    {.type = P::kEap, .min = 1, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc7296#section-2.16
//# The last IKE_AUTH request after EAP carries AUTH only.
constexpr PayloadRule kAuthAfterEapRequest[] = {
    {.type = P::kAuth, .min = 1, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc7296#section-1.2
//# The IKE_AUTH response carries IDr, optional CERT, AUTH, then SAr2, TSi, TSr.
//= rfc7296#section-2.16
//# IKE_AUTH response: IDr, optional CERT, AUTH (also when the responder
//# starts EAP: IDr, [CERT], AUTH, EAP), CP, SAr2/TSi/TSr.
constexpr PayloadRule kAuthResponse[] = {
    {.type = P::kIdr, .min = 1, .max = 1},
    {.type = P::kCert, .min = 0, .max = kMany},
    {.type = P::kAuth, .min = 1, .max = 1},
    {.type = P::kEap, .min = 0, .max = 1},
    {.type = P::kCp, .min = 0, .max = 1},
    {.type = P::kSa, .min = 0, .max = 1},
    {.type = P::kTsi, .min = 0, .max = 1},
    {.type = P::kTsr, .min = 0, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc7296#section-2.16
//# The last IKE_AUTH response after EAP carries AUTH and the CHILD SA.
constexpr PayloadRule kAuthAfterEapResponse[] = {
    {.type = P::kAuth, .min = 1, .max = 1},
    {.type = P::kCp, .min = 0, .max = 1},
    {.type = P::kSa, .min = 0, .max = 1},
    {.type = P::kTsi, .min = 0, .max = 1},
    {.type = P::kTsr, .min = 0, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc7296#section-1.3.1
//# CREATE_CHILD_SA for a CHILD SA (new or rekeyed with N(REKEY_SA)): SA,
//# Nonce, optional KE for PFS, TSi, TSr.
constexpr PayloadRule kChildSa[] = {
    {.type = P::kSa, .min = 1, .max = 1},
    {.type = P::kNonce, .min = 1, .max = 1},
    {.type = P::kKe, .min = 0, .max = 1},
    {.type = P::kTsi, .min = 1, .max = 1},
    {.type = P::kTsr, .min = 1, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc7296#section-1.3.2
//# CREATE_CHILD_SA rekeying the IKE SA: SA, Nonce, KE; no traffic selectors.
constexpr PayloadRule kRekeyIkeSa[] = {
    {.type = P::kSa, .min = 1, .max = 1},
    {.type = P::kNonce, .min = 1, .max = 1},
    {.type = P::kKe, .min = 1, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc7296#section-1.4
//# INFORMATIONAL: zero or more Notify, Delete and Configuration payloads;
//# may be empty.
constexpr PayloadRule kInformational[] = {
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kDelete, .min = 0, .max = kMany},
    {.type = P::kCp, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc9370#section-2.2.2
//# IKE_INTERMEDIATE carrying an additional key exchange: one KE.
constexpr PayloadRule kIntermediate[] = {
    {.type = P::kKe, .min = 0, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};
//= rfc9370#section-2.2.4
//# IKE_FOLLOWUP_KE: one KE with N(ADDITIONAL_KEY_EXCHANGE).
constexpr PayloadRule kFollowupKe[] = {
    {.type = P::kKe, .min = 1, .max = 1},
    {.type = P::kNotify, .min = 0, .max = kMany},
    {.type = P::kVendorId, .min = 0, .max = kMany},
};

constexpr P kChildPayloads[] = {P::kSa, P::kTsi, P::kTsr};

// Emit order, one table per rule set, in the order of the RFC's ladders.
// A row without .notify takes every Notify not placed by an earlier row.
using N = iana::NotifyType;
//= rfc7296#section-2.6
//# A request that returns a cookie carries N(COOKIE) first.
constexpr PayloadOrder kInitRequestOrder[] = {
    {.type = P::kNotify, .notify = N::kCookie}, {.type = P::kSa}, {.type = P::kKe}, {.type = P::kNonce},
    {.type = P::kNotify}, {.type = P::kVendorId}};
constexpr PayloadOrder kInitResponseOrder[] = {{.type = P::kSa},      {.type = P::kKe},     {.type = P::kNonce},
                                               {.type = P::kCertreq}, {.type = P::kNotify}, {.type = P::kVendorId}};
constexpr PayloadOrder kNotifyOnlyOrder[] = {{.type = P::kNotify}, {.type = P::kVendorId}};
//= rfc7296#section-2.19
//# IKE_AUTH request ladder: IDi, [CERT], [CERTREQ], [IDr], AUTH, CP, SAi2, TSi, TSr.
constexpr PayloadOrder kAuthRequestOrder[] = {
    {.type = P::kIdi},  {.type = P::kCert}, {.type = P::kCertreq}, {.type = P::kIdr}, {.type = P::kAuth},
    {.type = P::kCp},   {.type = P::kNotify}, {.type = P::kSa},    {.type = P::kTsi}, {.type = P::kTsr},
    {.type = P::kVendorId}};
constexpr PayloadOrder kEapRoundOrder[] = {{.type = P::kEap}, {.type = P::kNotify}, {.type = P::kVendorId}};
constexpr PayloadOrder kAuthAfterEapRequestOrder[] = {{.type = P::kAuth}, {.type = P::kNotify}, {.type = P::kVendorId}};
//= rfc7296#section-2.19
//# IKE_AUTH response ladder: IDr, [CERT], AUTH, CP, SAr2, TSi, TSr.
constexpr PayloadOrder kAuthResponseOrder[] = {
    {.type = P::kIdr},    {.type = P::kCert}, {.type = P::kAuth}, {.type = P::kEap}, {.type = P::kCp},
    {.type = P::kNotify}, {.type = P::kSa},   {.type = P::kTsi},  {.type = P::kTsr}, {.type = P::kVendorId}};
constexpr PayloadOrder kAuthAfterEapResponseOrder[] = {
    {.type = P::kAuth}, {.type = P::kCp},  {.type = P::kNotify}, {.type = P::kSa},
    {.type = P::kTsi},  {.type = P::kTsr}, {.type = P::kVendorId}};
//= rfc7296#section-1.3.1
//# CREATE_CHILD_SA ladder: [N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr.
constexpr PayloadOrder kChildSaOrder[] = {{.type = P::kNotify}, {.type = P::kSa},  {.type = P::kNonce},
                                          {.type = P::kKe},     {.type = P::kTsi}, {.type = P::kTsr},
                                          {.type = P::kVendorId}};
constexpr PayloadOrder kRekeyIkeSaOrder[] = {{.type = P::kNotify}, {.type = P::kSa}, {.type = P::kNonce},
                                             {.type = P::kKe},     {.type = P::kVendorId}};
//= rfc7296#section-1.4
//# INFORMATIONAL ladder: [N], [D], [CP].
constexpr PayloadOrder kInformationalOrder[] = {{.type = P::kNotify}, {.type = P::kDelete}, {.type = P::kCp},
                                                {.type = P::kVendorId}};
constexpr PayloadOrder kIntermediateOrder[] = {{.type = P::kKe}, {.type = P::kNotify}, {.type = P::kVendorId}};
//= rfc9370#section-2.2.4
//# IKE_FOLLOWUP_KE ladder: KEi(n), N(ADDITIONAL_KEY_EXCHANGE).
constexpr PayloadOrder kFollowupKeOrder[] = {{.type = P::kKe}, {.type = P::kNotify}, {.type = P::kVendorId}};

// For each exchange and direction, the first shape whose selector is present
// applies; when none is, the first shape of the pair is used.
constexpr MessageShape kShapes[] = {
    {.exchange = X::kIkeSaInit, .response = false, .name = "IKE_SA_INIT request",
     .requirement = "rfc7296#section-1.2", .encrypted = false, .selector = P::kNone,
     .rules = kInitRequest, .sa = SaKind::kIkeSa, .order = kInitRequestOrder},
    {.exchange = X::kIkeSaInit, .response = true, .name = "IKE_SA_INIT response",
     .requirement = "rfc7296#section-1.2", .encrypted = false, .selector = P::kSa,
     .rules = kInitResponse, .sa = SaKind::kIkeSa, .order = kInitResponseOrder},
    {.exchange = X::kIkeSaInit, .response = true, .name = "IKE_SA_INIT response (notification only)",
     .requirement = "rfc7296#section-1.2", .encrypted = false, .selector = P::kNotify,
     .rules = kNotifyOnly, .order = kNotifyOnlyOrder},
    {.exchange = X::kIkeAuth, .response = false, .name = "IKE_AUTH request",
     .requirement = "rfc7296#section-1.2", .encrypted = true, .selector = P::kIdi,
     .rules = kAuthRequest, .together = kChildPayloads, .sa = SaKind::kChildSa, .order = kAuthRequestOrder},
    {.exchange = X::kIkeAuth, .response = false, .name = "IKE_AUTH request (EAP round)",
     .requirement = "rfc7296#section-2.16", .encrypted = true, .selector = P::kEap,
     .rules = kEapRound, .order = kEapRoundOrder},
    {.exchange = X::kIkeAuth, .response = false, .name = "IKE_AUTH request (AUTH after EAP)",
     .requirement = "rfc7296#section-2.16", .encrypted = true, .selector = P::kAuth,
     .rules = kAuthAfterEapRequest, .order = kAuthAfterEapRequestOrder},
    {.exchange = X::kIkeAuth, .response = true, .name = "IKE_AUTH response",
     .requirement = "rfc7296#section-1.2", .encrypted = true, .selector = P::kIdr,
     .rules = kAuthResponse, .together = kChildPayloads, .sa = SaKind::kChildSa, .order = kAuthResponseOrder},
    {.exchange = X::kIkeAuth, .response = true, .name = "IKE_AUTH response (EAP round)",
     .requirement = "rfc7296#section-2.16", .encrypted = true, .selector = P::kEap,
     .rules = kEapRound, .order = kEapRoundOrder},
    {.exchange = X::kIkeAuth, .response = true, .name = "IKE_AUTH response (AUTH after EAP)",
     .requirement = "rfc7296#section-2.16", .encrypted = true, .selector = P::kAuth,
     .rules = kAuthAfterEapResponse, .together = kChildPayloads, .sa = SaKind::kChildSa, .order = kAuthAfterEapResponseOrder},
    {.exchange = X::kIkeAuth, .response = true, .name = "IKE_AUTH response (notification only)",
     .requirement = "rfc7296#section-2.21.2", .encrypted = true, .selector = P::kNotify,
     .rules = kNotifyOnly, .order = kNotifyOnlyOrder},
    {.exchange = X::kCreateChildSa, .response = false, .name = "CREATE_CHILD_SA request (CHILD SA)",
     .requirement = "rfc7296#section-1.3.1", .encrypted = true, .selector = P::kTsi,
     .rules = kChildSa, .sa = SaKind::kChildSa, .order = kChildSaOrder},
    {.exchange = X::kCreateChildSa, .response = false, .name = "CREATE_CHILD_SA request (rekey IKE SA)",
     .requirement = "rfc7296#section-1.3.2", .encrypted = true, .selector = P::kSa,
     .rules = kRekeyIkeSa, .sa = SaKind::kIkeSa, .order = kRekeyIkeSaOrder},
    {.exchange = X::kCreateChildSa, .response = true, .name = "CREATE_CHILD_SA response (CHILD SA)",
     .requirement = "rfc7296#section-1.3.1", .encrypted = true, .selector = P::kTsi,
     .rules = kChildSa, .sa = SaKind::kChildSa, .order = kChildSaOrder},
    {.exchange = X::kCreateChildSa, .response = true, .name = "CREATE_CHILD_SA response (rekey IKE SA)",
     .requirement = "rfc7296#section-1.3.2", .encrypted = true, .selector = P::kSa,
     .rules = kRekeyIkeSa, .sa = SaKind::kIkeSa, .order = kRekeyIkeSaOrder},
    {.exchange = X::kCreateChildSa, .response = true, .name = "CREATE_CHILD_SA response (notification only)",
     .requirement = "rfc7296#section-1.3", .encrypted = true, .selector = P::kNotify,
     .rules = kNotifyOnly, .order = kNotifyOnlyOrder},
    {.exchange = X::kInformational, .response = false, .name = "INFORMATIONAL request",
     .requirement = "rfc7296#section-1.4", .encrypted = true, .selector = P::kNone,
     .rules = kInformational, .order = kInformationalOrder},
    {.exchange = X::kInformational, .response = true, .name = "INFORMATIONAL response",
     .requirement = "rfc7296#section-1.4", .encrypted = true, .selector = P::kNone,
     .rules = kInformational, .order = kInformationalOrder},
    {.exchange = X::kIkeIntermediate, .response = false, .name = "IKE_INTERMEDIATE request",
     .requirement = "rfc9242#section-3", .encrypted = true, .selector = P::kNone,
     .rules = kIntermediate, .order = kIntermediateOrder},
    {.exchange = X::kIkeIntermediate, .response = true, .name = "IKE_INTERMEDIATE response",
     .requirement = "rfc9242#section-3", .encrypted = true, .selector = P::kNone,
     .rules = kIntermediate, .order = kIntermediateOrder},
    {.exchange = X::kIkeFollowupKe, .response = false, .name = "IKE_FOLLOWUP_KE request",
     .requirement = "rfc9370#section-2.2.4", .encrypted = true, .selector = P::kNone,
     .rules = kFollowupKe, .order = kFollowupKeOrder},
    {.exchange = X::kIkeFollowupKe, .response = true, .name = "IKE_FOLLOWUP_KE response",
     .requirement = "rfc9370#section-2.2.4", .encrypted = true, .selector = P::kNone,
     .rules = kFollowupKe, .order = kFollowupKeOrder},
};

// The tables are read by search, so their order matters where the first
// match wins; check at compile time what the tests would find late.
constexpr bool ShapesHoldTogether() {
  for (size_t i = 0; i < std::size(kShapes); ++i) {
    const MessageShape& s = kShapes[i];
    // A shape's exchange and direction continue the previous row's or start
    // a pair not seen before (ChooseShape falls back on a pair's first shape).
    if (i > 0 && (kShapes[i - 1].exchange != s.exchange || kShapes[i - 1].response != s.response))
      for (size_t k = 0; k + 1 < i; ++k)
        if (kShapes[k].exchange == s.exchange && kShapes[k].response == s.response) return false;
    for (size_t a = 0; a < s.rules.size(); ++a) {
      if (s.rules[a].min > s.rules[a].max) return false;
      for (size_t b = a + 1; b < s.rules.size(); ++b)
        if (s.rules[a].type == s.rules[b].type) return false;  // one row per payload type
      // Every payload a shape allows has a place in its emit order.
      bool placed = false;
      for (const PayloadOrder& o : s.order) placed = placed || (o.type == s.rules[a].type && !o.notify);
      if (!placed) return false;
    }
    for (const PayloadOrder& o : s.order) {
      bool allowed = false;
      for (const PayloadRule& r : s.rules) allowed = allowed || r.type == o.type;
      if (!allowed) return false;  // no order row for a payload the shape refuses
    }
  }
  return true;
}
static_assert(ShapesHoldTogether(), "kShapes: pairs contiguous, one rule per type, order rows match the rules");


// Error code to the Notify a responder sends (RFC 7296 §3.10.1).
struct NotifyMapping {
  Code code;
  std::optional<iana::NotifyType> notify;
};
constexpr NotifyMapping kNotifyMappings[] = {
    {Code::kUnsupportedCriticalPayload, iana::NotifyType::kUnsupportedCriticalPayload},
    {Code::kBadVersion, iana::NotifyType::kInvalidMajorVersion},
    {Code::kInvalidKePayload, iana::NotifyType::kInvalidKePayload},
    //= rfc7296#section-2.7
    //# A responder that can accept none of the proposals answers NO_PROPOSAL_CHOSEN.
    {Code::kNoProposalChosen, iana::NotifyType::kNoProposalChosen},
    //= rfc7296#section-3.14
    //# The Integrity Checksum Data covers the message from the IKE header to
    //# Pad Length: a message whose checksum fails is not authentic.
    //= ipsecref#choice
    //# It is dropped without an answer: answering unauthenticated messages
    //# is what RFC 7296 §2.21 tells a node to limit, and we answer none.
    {Code::kIcvMismatch, std::nullopt},
    //= rfc7296#section-2.21.2
    //# A responder that cannot authenticate the initiator answers
    //# AUTHENTICATION_FAILED.
    {Code::kAuthenticationFailed, iana::NotifyType::kAuthenticationFailed},
    //= rfc7296#section-2.9
    //# A responder that accepts none of the proposed traffic selectors
    //# answers TS_UNACCEPTABLE.
    {Code::kTsUnacceptable, iana::NotifyType::kTsUnacceptable},
    //= rfc7296#section-2.25
    //# A request that collides with a rekey or delete under way is answered
    //# TEMPORARY_FAILURE (retry later), one for an SA that is gone
    //# CHILD_SA_NOT_FOUND.
    {Code::kTemporaryFailure, iana::NotifyType::kTemporaryFailure},
    {Code::kChildSaNotFound, iana::NotifyType::kChildSaNotFound},
    //= rfc7296#section-3.15.4
    //# A responder that cannot give the initiator an address it asked for
    //# answers INTERNAL_ADDRESS_FAILURE.
    {Code::kInternalAddressFailure, iana::NotifyType::kInternalAddressFailure},
    //= rfc7296#section-3.10.1
    //# FAILED_CP_REQUIRED: the responder's policy expected a CFG_REQUEST that
    //# did not come.
    {Code::kFailedCpRequired, iana::NotifyType::kFailedCpRequired},
    //= rfc7383#section-2.6
    //# Fragments that fail the validity checks (or the ICV check) are
    //# discarded silently.
    {Code::kBadFragment, std::nullopt},
    // IKEv1 is a different protocol; an IKEv2 responder has nothing to say to it.
    {Code::kIkev1Message, std::nullopt},
};
constexpr bool OneMappingPerCode() {
  for (size_t a = 0; a < std::size(kNotifyMappings); ++a)
    for (size_t b = a + 1; b < std::size(kNotifyMappings); ++b)
      if (kNotifyMappings[a].code == kNotifyMappings[b].code) return false;
  return true;
}
static_assert(OneMappingPerCode(), "kNotifyMappings: a code maps to one Notify");

size_t Count(const std::vector<const Payload*>& payloads, P type) {
  return static_cast<size_t>(
      std::count_if(payloads.begin(), payloads.end(), [&](const Payload* p) { return p->type == type; }));
}

// The first shape of the exchange and direction whose selector `has`
// (or which has none); the exchange's first shape when none matches.
template <typename Has>
const MessageShape* FirstShape(iana::ExchangeType exchange, bool response, Has has) {
  const MessageShape* fallback = nullptr;
  for (const MessageShape& s : kShapes) {
    if (s.exchange != exchange || s.response != response) continue;
    if (fallback == nullptr) fallback = &s;
    if (s.selector == P::kNone || has(s.selector)) return &s;
  }
  return fallback;
}

const MessageShape* ChooseShape(const Message& m, const std::vector<const Payload*>& visible) {
  return FirstShape(m.header.exchange_type, m.header.response(),
                    [&](iana::PayloadType type) { return Count(visible, type) > 0; });
}

class Checker {
 public:
  explicit Checker(const Message& m) : m_(m) {}

  void Add(Error e) {
    result_.violations.push_back({e, NotifyFor(e, m_.header.response(), m_.header.exchange_type)});
  }
  void Fail(Code code, size_t offset, std::string_view requirement, std::string detail) {
    Add(MakeError(code, offset, requirement, std::move(detail)));
  }
  Validation Take() && { return std::move(result_); }
  Validation& result() { return result_; }

 private:
  const Message& m_;
  Validation result_;
};

void CheckRules(const MessageShape& shape, const std::vector<const Payload*>& visible, Checker& c) {
  const size_t at = kHeaderSize;  // a missing or extra payload is a fault of the whole payload list
  for (const PayloadRule& rule : shape.rules) {
    const size_t n = Count(visible, rule.type);
    if (n < rule.min)
      c.Fail(Code::kInvalidSyntax, at, shape.requirement,
             fmt::format("{} lacks {} (needs {}, has {})", shape.name, PayloadTypeLabel(rule.type), rule.min, n));
    if (n > rule.max)
      c.Fail(Code::kInvalidSyntax, at, shape.requirement,
             fmt::format("{} carries {} {} payloads; at most {}", shape.name, n, PayloadTypeLabel(rule.type),
                         rule.max));
  }
  for (const Payload* p : visible) {
    if (!IsKnownPayloadType(p->type)) continue;  // unknown ones are skipped or refused by the critical bit
    const bool listed = std::any_of(shape.rules.begin(), shape.rules.end(),
                                    [&](const PayloadRule& r) { return r.type == p->type; });
    if (!listed && p->type != P::kSk && p->type != P::kSkf)
      c.Fail(Code::kInvalidSyntax, p->offset, shape.requirement,
             fmt::format("{} payload is not part of an {}", PayloadLabel(*p), shape.name));
  }
  if (!shape.together.empty()) {
    const size_t present = static_cast<size_t>(std::count_if(
        shape.together.begin(), shape.together.end(), [&](P t) { return Count(visible, t) > 0; }));
    //= rfc6023#section-3
    //# A CHILD SA comes with SA, TSi and TSr together; a childless exchange
    //# carries none of them.
    //= rfc7296#section-1.2
    //# The exchange that creates a CHILD SA carries its SA, TSi and TSr.
    if (present != 0 && present != shape.together.size())
      c.Fail(Code::kInvalidSyntax, at, "rfc7296#section-1.2",
             fmt::format("{} carries only {} of SA, TSi, TSr; a CHILD SA needs all three", shape.name, present));
  }
}

void CheckEncryption(const Message& m, const MessageShape& shape, Checker& c) {
  for (const Payload& p : m.payloads) {
    const bool encrypted = p.type == P::kSk || p.type == P::kSkf;
    if (!shape.encrypted && encrypted)
      c.Fail(Code::kInvalidSyntax, p.offset, shape.requirement,
             fmt::format("{} payload in an {}, which is not encrypted", PayloadTypeLabel(p.type), shape.name));
    //= rfc7296#section-3.14
    //# In exchanges after IKE_SA_INIT every payload is inside SK.
    if (shape.encrypted && !encrypted)
      c.Fail(Code::kInvalidSyntax, p.offset, "rfc7296#section-3.14",
             fmt::format("{} payload outside SK in an {}", PayloadLabel(p), shape.name));
  }
  if (shape.encrypted && m.Encrypted() == nullptr)
    c.Fail(Code::kInvalidSyntax, kHeaderSize, "rfc7296#section-3.14",
           fmt::format("{} carries no SK payload", shape.name));
}

void CheckProposals(const Message& m, const MessageShape& shape, const Payload& p, Checker& c) {
  const SaPayload& sa = *p.as<SaPayload>();
  if (sa.proposals.empty()) return;
  //= rfc7296#section-3.3.6
  //# Proposals the responder does not understand are passed over, not
  //# refused as syntax; only when none is left is there nothing to choose.
  if (AcceptableProposals(sa).empty()) {
    std::string why;
    for (const Proposal& proposal : sa.proposals)
      why += fmt::format("; {}", Acceptable(proposal, p.offset).error().detail);
    c.Fail(Code::kNoProposalChosen, p.offset, "rfc7296#section-3.3.6",
           fmt::format("{}: no proposal of the SA is acceptable{}", shape.name, why));
  }
  if (m.header.response()) {
    //= rfc7296#section-3.3.6
    //# A response accepts exactly one proposal, with one transform of each type.
    if (sa.proposals.size() != 1) {
      c.Fail(Code::kInvalidSyntax, p.offset, "rfc7296#section-3.3.6",
             fmt::format("{}: SA holds {} proposals; a response chooses one", shape.name, sa.proposals.size()));
      return;
    }
    std::set<iana::TransformType> seen;
    for (const Transform& t : sa.proposals.front().transforms)
      if (!seen.insert(t.type).second)
        c.Fail(Code::kInvalidSyntax, p.offset, "rfc7296#section-3.3.6",
               fmt::format("{}: the accepted proposal has more than one {} transform", shape.name,
                           iana::Name(t.type)));
  } else {
    //= rfc7296#section-3.3.1
    //# The first proposal of a request is number 1.
    if (sa.proposals.front().proposal_num != 1)
      c.Fail(Code::kInvalidSyntax, p.offset, "rfc7296#section-3.3.1",
             fmt::format("{}: first proposal is number {}", shape.name, sa.proposals.front().proposal_num));
  }
  for (const Proposal& proposal : sa.proposals) {
    const bool ike = proposal.protocol_id == iana::SecurityProtocol::kIke;
    if (shape.sa == SaKind::kIkeSa && !ike)
      c.Fail(Code::kInvalidSyntax, p.offset, shape.requirement,
             fmt::format("{}: proposal {} is for {}, not IKE", shape.name, proposal.proposal_num,
                         iana::Name(proposal.protocol_id)));
    if (shape.sa == SaKind::kChildSa && ike)
      c.Fail(Code::kInvalidSyntax, p.offset, shape.requirement,
             fmt::format("{}: proposal {} is for IKE, in a CHILD SA negotiation", shape.name, proposal.proposal_num));
    //= rfc7296#section-3.3.1
    //# The initial IKE SA proposals carry no SPI; an IKE SA rekey carries 8 octets.
    if (ike) {
      const size_t want = m.header.exchange_type == X::kIkeSaInit ? 0 : 8;
      if (proposal.spi.size() != want)
        c.Fail(Code::kInvalidSyntax, p.offset, "rfc7296#section-3.3.1",
               fmt::format("{}: IKE proposal {} has a {}-byte SPI; it must be {}", shape.name, proposal.proposal_num,
                           proposal.spi.size(), want));
    }
  }
}

void CheckKe(const MessageShape& shape, const std::vector<const Payload*>& visible, const Payload& p,
             Checker& c) {
  const KePayload& ke = *p.as<KePayload>();
  //= rfc7296#section-3.4
  //# The KE group is one of the groups proposed in the SA of the same message.
  for (const Payload* q : visible) {
    const SaPayload* sa = q->as<SaPayload>();
    if (sa == nullptr) continue;
    // Only an acceptable proposal can be chosen (§3.3.6); with none, the
    // answer is NO_PROPOSAL_CHOSEN (CheckProposals), not INVALID_KE_PAYLOAD.
    const std::vector<const Proposal*> acceptable = AcceptableProposals(*sa);
    if (acceptable.empty()) continue;
    bool proposed = false;
    for (const Proposal* proposal : acceptable)
      for (const Transform& t : proposal->transforms)
        proposed = proposed || (t.type == iana::TransformType::kKe && t.id == static_cast<uint16_t>(ke.group));
    if (!proposed)
      c.Fail(Code::kInvalidKePayload, p.offset + 4, "rfc7296#section-3.4",
             fmt::format("{}: KE uses group {} ({}), which no proposal of the SA offers", shape.name,
                         static_cast<int>(ke.group), iana::Name(ke.group)));
  }
  //= rfc6989#section-2
  //# The peer's public value is checked for its group (length, range,
  //# on-curve) before use.
  if (crypto::FindKeGroup(ke.group) != nullptr) {
    Status s = crypto::ValidatePublicValue(ke.group, ke.key_exchange_data);
    if (!s) {
      Error e = std::move(s).error().At(p.offset + 8);
      e.detail = fmt::format("KE payload at offset {}: {}", p.offset, e.detail);
      c.Add(std::move(e));
    }
  }
}

}  // namespace

std::span<const MessageShape> MessageShapes() { return kShapes; }

const MessageShape* ShapeFor(iana::ExchangeType exchange, bool response, const std::vector<Payload>& payloads) {
  return FirstShape(exchange, response, [&](iana::PayloadType type) {
    return std::any_of(payloads.begin(), payloads.end(), [&](const Payload& p) { return p.type == type; });
  });
}

void PutInEmitOrder(const MessageShape& shape, std::vector<Payload>& payloads) {
  const auto rank = [&](const Payload& p) {
    const NotifyPayload* n = p.as<NotifyPayload>();
    for (size_t i = 0; i < shape.order.size(); ++i) {
      const PayloadOrder& o = shape.order[i];
      if (o.type == p.type && (!o.notify || (n != nullptr && n->notify_message_type == *o.notify))) return i;
    }
    return shape.order.size();
  };
  std::stable_sort(payloads.begin(), payloads.end(),
                   [&](const Payload& a, const Payload& b) { return rank(a) < rank(b); });
}

// The error notifications an unprotected response (IKE_SA_INIT's) may
// carry; a request whose error is none of them is dropped without an answer.
constexpr iana::NotifyType kUnprotectedErrors[] = {
    //= rfc7296#section-2.21.1
    //# An IKE_SA_INIT error notification is unauthenticated; those with a
    //# corrective action defined (INVALID_KE_PAYLOAD, INVALID_MAJOR_VERSION,
    //# COOKIE) may still lead the initiator to a successful exchange.
    iana::NotifyType::kInvalidKePayload,
    iana::NotifyType::kInvalidMajorVersion,
    //= rfc7296#section-2.7
    //# A responder that accepts none of the proposals answers
    //# NO_PROPOSAL_CHOSEN; IKE_SA_INIT is no exception.
    iana::NotifyType::kNoProposalChosen,
    //= rfc7296#section-2.5
    //# The response to any request with an unknown critical payload carries
    //# UNSUPPORTED_CRITICAL_PAYLOAD, IKE_SA_INIT's included.
    iana::NotifyType::kUnsupportedCriticalPayload,
};

std::optional<iana::NotifyType> NotifyFor(const Error& error, bool response, iana::ExchangeType exchange) {
  //= rfc7296#section-2.21
  //# A response is never answered, whatever is wrong with it.
  if (response) return std::nullopt;
  //= rfc7296#section-3.10.1
  //# INVALID_SYNTAX answers a malformed or rule-breaking request.
  std::optional<iana::NotifyType> notify = iana::NotifyType::kInvalidSyntax;
  for (const NotifyMapping& m : kNotifyMappings)
    if (m.code == error.code) notify = m.notify;
  //= rfc7296#section-3.10.1
  //# INVALID_SYNTAX may only be sent in an encrypted message whose Message
  //# ID and integrity check were valid, so as not to answer forged messages;
  //# an IKE_SA_INIT response is never encrypted.
  //= rfc7296#section-2.21.1
  //# Before the IKE SA is protected, answering errors is weighed against
  //# serving a denial of service with forged messages: a malformed
  //# IKE_SA_INIT request is dropped, and no state kept.
  if (notify && exchange == iana::ExchangeType::kIkeSaInit &&
      std::find(std::begin(kUnprotectedErrors), std::end(kUnprotectedErrors), *notify) == std::end(kUnprotectedErrors))
    return std::nullopt;
  return notify;
}

Validation Validate(const Message& m) {
  Checker c(m);
  const std::vector<const Payload*> visible = m.Visible();
  for (const Payload* p : visible) {
    //= rfc7296#section-2.5
    //# An unknown payload with the critical bit set makes the whole message
    //# rejected with UNSUPPORTED_CRITICAL_PAYLOAD.
    if (!IsKnownPayloadType(p->type) && p->critical)
      c.Fail(Code::kUnsupportedCriticalPayload, p->offset, "rfc7296#section-2.5",
             fmt::format("{} is unknown and marked critical", PayloadTypeLabel(p->type)));
    Status s = VerifyPayload(*p);
    if (!s) c.Add(std::move(s).error());
  }
  const MessageShape* shape = ChooseShape(m, visible);
  c.result().shape = shape;
  if (shape == nullptr) return std::move(c).Take();
  CheckEncryption(m, *shape, c);
  if (shape->encrypted && !m.decrypted) return std::move(c).Take();
  CheckRules(*shape, visible, c);
  for (const Payload* p : visible) {
    if (p->type == P::kSa) CheckProposals(m, *shape, *p, c);
    if (p->type == P::kKe) CheckKe(*shape, visible, *p, c);
  }
  //= rfc7296#section-2.6
  //# An IKE_SA_INIT request that returns a cookie carries N(COOKIE) first.
  for (size_t i = 1; i < visible.size(); ++i) {
    const NotifyPayload* n = visible[i]->as<NotifyPayload>();
    if (n != nullptr && n->notify_message_type == iana::NotifyType::kCookie && !m.header.response())
      c.Fail(Code::kInvalidSyntax, visible[i]->offset, "rfc7296#section-2.6",
             fmt::format("N(COOKIE) is payload {}; it must come first", i + 1));
  }
  return std::move(c).Take();
}

}  // namespace ipsecref::ike
