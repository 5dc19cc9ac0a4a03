#include "reference/ike/wire/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "reference/crypto/ke.h"

namespace ipsecref::ike {
namespace {

using P = iana::PayloadType;
using X = iana::ExchangeType;

//= rfc7296#section-1.2
//# IKE_SA_INIT request: SA, KE, Ni, optional notifications and Vendor IDs.
constexpr PayloadRule kInitRequest[] = {{P::kSa, 1, 1}, {P::kKe, 1, 1}, {P::kNonce, 1, 1},
                                        {P::kNotify, 0, kMany}, {P::kVendorId, 0, kMany}};
//= rfc7296#section-1.2
//# IKE_SA_INIT response: SA, KE, Nr, optional CERTREQ, notifications, Vendor IDs.
constexpr PayloadRule kInitResponse[] = {{P::kSa, 1, 1},          {P::kKe, 1, 1},       {P::kNonce, 1, 1},
                                         {P::kCertreq, 0, kMany}, {P::kNotify, 0, kMany}, {P::kVendorId, 0, kMany}};
//= rfc7296#section-1.2
//# An IKE_SA_INIT response that refuses (INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN)
//# or asks for a COOKIE carries notifications only.
constexpr PayloadRule kNotifyOnly[] = {{P::kNotify, 1, kMany}, {P::kVendorId, 0, kMany}};

//= rfc7296#section-1.2
//# IKE_AUTH request: IDi, optional CERT, CERTREQ, IDr, AUTH (absent when EAP is
//# wanted, §2.16), CP, SAi2/TSi/TSr (absent for a childless IKE SA, RFC 6023).
constexpr PayloadRule kAuthRequest[] = {
    {P::kIdi, 1, 1}, {P::kCert, 0, kMany}, {P::kCertreq, 0, kMany}, {P::kIdr, 0, 1},     {P::kAuth, 0, 1},
    {P::kCp, 0, 1},  {P::kSa, 0, 1},       {P::kTsi, 0, 1},         {P::kTsr, 0, 1},     {P::kNotify, 0, kMany},
    {P::kVendorId, 0, kMany}};
//= rfc7296#section-2.16
//# The EAP rounds of IKE_AUTH carry one EAP payload each way.
constexpr PayloadRule kEapRound[] = {{P::kEap, 1, 1}, {P::kNotify, 0, kMany}, {P::kVendorId, 0, kMany}};
//= rfc7296#section-2.16
//# The last IKE_AUTH request after EAP carries AUTH only.
constexpr PayloadRule kAuthAfterEapRequest[] = {{P::kAuth, 1, 1}, {P::kNotify, 0, kMany}, {P::kVendorId, 0, kMany}};
//= rfc7296#section-1.2
//# IKE_AUTH response: IDr, optional CERT, AUTH (or EAP when the responder
//# starts EAP, §2.16), CP, SAr2/TSi/TSr.
constexpr PayloadRule kAuthResponse[] = {
    {P::kIdr, 1, 1}, {P::kCert, 0, kMany}, {P::kAuth, 0, 1},      {P::kEap, 0, 1},        {P::kCp, 0, 1},
    {P::kSa, 0, 1},  {P::kTsi, 0, 1},      {P::kTsr, 0, 1},       {P::kNotify, 0, kMany}, {P::kVendorId, 0, kMany}};
//= rfc7296#section-2.16
//# The last IKE_AUTH response after EAP carries AUTH and the CHILD SA.
constexpr PayloadRule kAuthAfterEapResponse[] = {{P::kAuth, 1, 1}, {P::kCp, 0, 1},         {P::kSa, 0, 1},
                                                 {P::kTsi, 0, 1},  {P::kTsr, 0, 1},        {P::kNotify, 0, kMany},
                                                 {P::kVendorId, 0, kMany}};
//= rfc7296#section-1.3.1
//# CREATE_CHILD_SA for a CHILD SA (new or rekeyed with N(REKEY_SA)): SA,
//# Nonce, optional KE for PFS, TSi, TSr.
constexpr PayloadRule kChildSa[] = {{P::kSa, 1, 1},  {P::kNonce, 1, 1},      {P::kKe, 0, 1},
                                    {P::kTsi, 1, 1}, {P::kTsr, 1, 1},        {P::kNotify, 0, kMany},
                                    {P::kVendorId, 0, kMany}};
//= rfc7296#section-1.3.2
//# CREATE_CHILD_SA rekeying the IKE SA: SA, Nonce, KE; no traffic selectors.
constexpr PayloadRule kRekeyIkeSa[] = {{P::kSa, 1, 1}, {P::kNonce, 1, 1}, {P::kKe, 1, 1},
                                       {P::kNotify, 0, kMany}, {P::kVendorId, 0, kMany}};
//= rfc7296#section-1.4
//# INFORMATIONAL: any number of Notify and Delete payloads, a CP; may be empty.
constexpr PayloadRule kInformational[] = {{P::kNotify, 0, kMany}, {P::kDelete, 0, kMany}, {P::kCp, 0, 1},
                                          {P::kVendorId, 0, kMany}};
//= rfc9370#section-2.2.2
//# IKE_INTERMEDIATE carrying an additional key exchange: one KE.
constexpr PayloadRule kIntermediate[] = {{P::kKe, 0, 1}, {P::kNotify, 0, kMany}, {P::kVendorId, 0, kMany}};
//= rfc9370#section-2.2.4
//# IKE_FOLLOWUP_KE: one KE with N(ADDITIONAL_KEY_EXCHANGE).
constexpr PayloadRule kFollowupKe[] = {{P::kKe, 1, 1}, {P::kNotify, 0, kMany}, {P::kVendorId, 0, kMany}};

constexpr P kChildPayloads[] = {P::kSa, P::kTsi, P::kTsr};

// For each exchange and direction, the first shape whose selector is present
// applies; when none is, the first shape of the pair is used.
constexpr MessageShape kShapes[] = {
    {X::kIkeSaInit, false, "IKE_SA_INIT request", "rfc7296#section-1.2", false, P::kNone, kInitRequest, {}, SaKind::kIkeSa},
    {X::kIkeSaInit, true, "IKE_SA_INIT response", "rfc7296#section-1.2", false, P::kSa, kInitResponse, {}, SaKind::kIkeSa},
    {X::kIkeSaInit, true, "IKE_SA_INIT response (notification only)", "rfc7296#section-1.2", false, P::kNotify, kNotifyOnly, {}},
    {X::kIkeAuth, false, "IKE_AUTH request", "rfc7296#section-1.2", true, P::kIdi, kAuthRequest, kChildPayloads, SaKind::kChildSa},
    {X::kIkeAuth, false, "IKE_AUTH request (EAP round)", "rfc7296#section-2.16", true, P::kEap, kEapRound, {}},
    {X::kIkeAuth, false, "IKE_AUTH request (AUTH after EAP)", "rfc7296#section-2.16", true, P::kAuth, kAuthAfterEapRequest, {}},
    {X::kIkeAuth, true, "IKE_AUTH response", "rfc7296#section-1.2", true, P::kIdr, kAuthResponse, kChildPayloads, SaKind::kChildSa},
    {X::kIkeAuth, true, "IKE_AUTH response (EAP round)", "rfc7296#section-2.16", true, P::kEap, kEapRound, {}},
    {X::kIkeAuth, true, "IKE_AUTH response (AUTH after EAP)", "rfc7296#section-2.16", true, P::kAuth, kAuthAfterEapResponse, kChildPayloads, SaKind::kChildSa},
    {X::kIkeAuth, true, "IKE_AUTH response (notification only)", "rfc7296#section-2.21.2", true, P::kNotify, kNotifyOnly, {}},
    {X::kCreateChildSa, false, "CREATE_CHILD_SA request (CHILD SA)", "rfc7296#section-1.3.1", true, P::kTsi, kChildSa, {}, SaKind::kChildSa},
    {X::kCreateChildSa, false, "CREATE_CHILD_SA request (rekey IKE SA)", "rfc7296#section-1.3.2", true, P::kSa, kRekeyIkeSa, {}, SaKind::kIkeSa},
    {X::kCreateChildSa, true, "CREATE_CHILD_SA response (CHILD SA)", "rfc7296#section-1.3.1", true, P::kTsi, kChildSa, {}, SaKind::kChildSa},
    {X::kCreateChildSa, true, "CREATE_CHILD_SA response (rekey IKE SA)", "rfc7296#section-1.3.2", true, P::kSa, kRekeyIkeSa, {}, SaKind::kIkeSa},
    {X::kCreateChildSa, true, "CREATE_CHILD_SA response (notification only)", "rfc7296#section-1.3", true, P::kNotify, kNotifyOnly, {}},
    {X::kInformational, false, "INFORMATIONAL request", "rfc7296#section-1.4", true, P::kNone, kInformational, {}},
    {X::kInformational, true, "INFORMATIONAL response", "rfc7296#section-1.4", true, P::kNone, kInformational, {}},
    {X::kIkeIntermediate, false, "IKE_INTERMEDIATE request", "rfc9242#section-3", true, P::kNone, kIntermediate, {}},
    {X::kIkeIntermediate, true, "IKE_INTERMEDIATE response", "rfc9242#section-3", true, P::kNone, kIntermediate, {}},
    {X::kIkeFollowupKe, false, "IKE_FOLLOWUP_KE request", "rfc9370#section-2.2.4", true, P::kNone, kFollowupKe, {}},
    {X::kIkeFollowupKe, true, "IKE_FOLLOWUP_KE response", "rfc9370#section-2.2.4", true, P::kNone, kFollowupKe, {}},
};

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
    //= rfc7296#section-2.21.2
    //# A message whose integrity check fails is dropped without an answer.
    {Code::kIcvMismatch, std::nullopt},
    //= rfc7383#section-2.6.2
    //# Fragments that do not fit are dropped silently.
    {Code::kBadFragment, std::nullopt},
    // IKEv1 is a different protocol; an IKEv2 responder has nothing to say to it.
    {Code::kIkev1Message, std::nullopt},
};

size_t Count(const std::vector<const Payload*>& payloads, P type) {
  return static_cast<size_t>(
      std::count_if(payloads.begin(), payloads.end(), [&](const Payload* p) { return p->type == type; }));
}

const MessageShape* ChooseShape(const Message& m, const std::vector<const Payload*>& visible) {
  const MessageShape* fallback = nullptr;
  for (const MessageShape& s : kShapes) {
    if (s.exchange != m.header.exchange_type || s.response != m.header.response()) continue;
    if (fallback == nullptr) fallback = &s;
    if (s.selector == P::kNone || Count(visible, s.selector) > 0) return &s;
  }
  return fallback;
}

class Checker {
 public:
  explicit Checker(const Message& m) : m_(m) {}

  void Add(Error e) { result_.violations.push_back({e, NotifyFor(e, m_.header.response())}); }
  void Fail(Code code, size_t offset, std::string_view requirement, std::string detail) {
    Add(MakeError(code, offset, requirement, std::move(detail)));
  }
  Validation Take() && { return std::move(result_); }
  Validation& result() { return result_; }

 private:
  const Message& m_;
  Validation result_;
};

void CheckRules(const Message& m, const MessageShape& shape, const std::vector<const Payload*>& visible,
                Checker& c) {
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

void CheckKe(const Message& m, const MessageShape& shape, const std::vector<const Payload*>& visible,
             const Payload& p, Checker& c) {
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

std::optional<iana::NotifyType> NotifyFor(const Error& error, bool response) {
  //= rfc7296#section-2.21
  //# A response is never answered, whatever is wrong with it.
  if (response) return std::nullopt;
  for (const NotifyMapping& m : kNotifyMappings)
    if (m.code == error.code) return m.notify;
  //= rfc7296#section-3.10.1
  //# INVALID_SYNTAX answers a malformed or rule-breaking request.
  return iana::NotifyType::kInvalidSyntax;
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
  CheckRules(m, *shape, visible, c);
  for (const Payload* p : visible) {
    if (p->type == P::kSa) CheckProposals(m, *shape, *p, c);
    if (p->type == P::kKe) CheckKe(m, *shape, visible, *p, c);
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
