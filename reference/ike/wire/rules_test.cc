// The exchange rule tables and the validator: every table shape accepts its
// minimal message, and breaking any row of any table is reported with the
// Notify a responder sends.
#include "reference/ike/wire/rules.h"

#include <gtest/gtest.h>

#include <map>

namespace ipsecref::ike {
namespace {

using P = iana::PayloadType;
using X = iana::ExchangeType;
using TT = iana::TransformType;

Bytes Hex(std::string_view h) { return FromHex(h).value(); }

// RFC 5903 §8.1: g^i for the 256-bit random ECP group, x || y.
const char* kEcp256Public =
    "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c37725811805271a0461cdb8252d61f1c456fa3e59ab1f45b33accf"
    "5f58389e0577b8990bb3";

Transform T(TT type, uint16_t id, std::optional<uint16_t> key_length = {}) {
  Transform t{type, id, {}};
  if (key_length) t.attributes.push_back({static_cast<uint16_t>(iana::TransformAttribute::kKeyLength), *key_length});
  return t;
}

SaPayload IkeSa(size_t spi_size) {
  Proposal p{1, iana::SecurityProtocol::kIke, Bytes(spi_size, 0x11),
             {T(TT::kEncr, static_cast<uint16_t>(iana::Encr::kAesGcm16), 256),
              T(TT::kPrf, static_cast<uint16_t>(iana::Prf::kHmacSha2_256)),
              T(TT::kKe, static_cast<uint16_t>(iana::KeGroup::kEcp256))}};
  return SaPayload{{p}};
}

SaPayload EspSa() {
  Proposal p{1, iana::SecurityProtocol::kEsp, Bytes{0xc0, 0, 0, 1},
             {T(TT::kEncr, static_cast<uint16_t>(iana::Encr::kAesGcm16), 128),
              T(TT::kKe, static_cast<uint16_t>(iana::KeGroup::kEcp256)),
              T(TT::kEsn, static_cast<uint16_t>(iana::EsnType::kNoEsn))}};
  return SaPayload{{p}};
}

TsPayload AnyTs() {
  return TsPayload{{TrafficSelector{iana::TsType::kIpv4AddrRange, 0, 0, 65535, Bytes{0, 0, 0, 0},
                                    Bytes{255, 255, 255, 255}, {}}}};
}

// A payload of `type` that passes its own Verify, fitting `shape`.
Payload Example(P type, const MessageShape& shape) {
  Payload p;
  p.type = type;
  switch (type) {
    case P::kSa:
      p.body = shape.sa == SaKind::kChildSa ? EspSa() : IkeSa(shape.exchange == X::kIkeSaInit ? 0 : 8);
      break;
    case P::kKe: p.body = KePayload{iana::KeGroup::kEcp256, Hex(kEcp256Public)}; break;
    case P::kNonce: p.body = NoncePayload{Bytes(32, 0x4e)}; break;
    case P::kIdi:
    case P::kIdr: p.body = IdPayload{iana::IdType::kFqdn, Bytes{'a', '.', 't', 'e', 's', 't'}}; break;
    case P::kCert: p.body = CertPayload{iana::CertEncoding::kX509Signature, Bytes(40, 0x30)}; break;
    case P::kCertreq: p.body = CertreqPayload{iana::CertEncoding::kX509Signature, Bytes(20, 0xca)}; break;
    case P::kAuth: p.body = AuthPayload{iana::AuthMethod::kSharedKeyMic, Bytes(32, 0xa0)}; break;
    case P::kNotify:
      p.body = NotifyPayload{0, {}, shape.response ? iana::NotifyType::kNoProposalChosen : iana::NotifyType::kInitialContact, {}};
      break;
    case P::kDelete: p.body = DeletePayload{iana::SecurityProtocol::kEsp, 4, 1, {Bytes{1, 2, 3, 4}}}; break;
    case P::kVendorId: p.body = VendorIdPayload{Bytes{'v', 'i', 'd'}}; break;
    case P::kTsi:
    case P::kTsr: p.body = AnyTs(); break;
    case P::kCp: p.body = CpPayload{iana::CfgType::kRequest, {{1, {}}}}; break;
    // RFC 3748 §5.1: Response/Identity "a".
    case P::kEap: p.body = EapPayload{Bytes{2, 1, 0, 6, 1, 'a'}}; break;
    default: p.body = UnknownPayload{}; break;
  }
  return p;
}

// The smallest message of `shape`: each row at its minimum (SA/TSi/TSr
// together when the shape ties them and one of them is required).
Message Minimal(const MessageShape& shape) {
  Message m;
  m.header.exchange_type = shape.exchange;
  m.header.flags = static_cast<uint8_t>(shape.response ? kFlagResponse : kFlagInitiator);
  m.header.message_id = shape.exchange == X::kIkeSaInit ? 0 : 1;
  std::vector<Payload> payloads;
  for (const PayloadRule& r : shape.rules)
    for (int i = 0; i < r.min; ++i) payloads.push_back(Example(r.type, shape));
  if (shape.selector != P::kNone &&
      std::none_of(payloads.begin(), payloads.end(), [&](const Payload& p) { return p.type == shape.selector; }))
    payloads.push_back(Example(shape.selector, shape));
  if (shape.encrypted) {
    m.inner = std::move(payloads);
    m.decrypted = true;
    Payload sk;
    sk.type = P::kSk;
    sk.body = SkPayload{m.inner.empty() ? P::kNone : m.inner.front().type, Bytes(32, 0)};
    m.payloads.push_back(sk);
  } else {
    m.payloads = std::move(payloads);
  }
  return m;
}

std::vector<Payload>& Visible(Message& m) { return m.decrypted ? m.inner : m.payloads; }

bool HasViolation(const Validation& v, Code code, std::string_view requirement) {
  return std::any_of(v.violations.begin(), v.violations.end(), [&](const Violation& x) {
    return x.error.code == code && x.error.requirement == requirement;
  });
}

std::string Dump(const Validation& v) {
  std::string out;
  for (const Violation& x : v.violations) out += x.error.ToString() + "\n";
  return out;
}

TEST(RuleTables, EveryShapeAcceptsItsMinimalMessage) {
  for (const MessageShape& shape : MessageShapes()) {
    const Message m = Minimal(shape);
    const Validation v = Validate(m);
    EXPECT_TRUE(v.ok()) << shape.name << ":\n" << Dump(v);
    ASSERT_NE(v.shape, nullptr) << shape.name;
    EXPECT_EQ(v.shape->name, shape.name);
  }
}

TEST(RuleTables, RemovingARequiredPayloadIsInvalidSyntax) {
  for (const MessageShape& shape : MessageShapes()) {
    for (const PayloadRule& rule : shape.rules) {
      if (rule.min == 0 || rule.type == shape.selector) continue;
      Message m = Minimal(shape);
      auto& payloads = Visible(m);
      payloads.erase(std::find_if(payloads.begin(), payloads.end(), [&](const Payload& p) { return p.type == rule.type; }));
      const Validation v = Validate(m);
      ASSERT_FALSE(v.ok()) << shape.name << " without " << PayloadTypeLabel(rule.type);
      EXPECT_TRUE(HasViolation(v, Code::kInvalidSyntax, shape.requirement)) << shape.name << "\n" << Dump(v);
      for (const Violation& x : v.violations) {
        if (shape.response) {
          EXPECT_FALSE(x.notify.has_value()) << "responses are never answered";
        } else if (shape.exchange == iana::ExchangeType::kIkeSaInit) {
          EXPECT_FALSE(x.notify.has_value()) << "no unprotected INVALID_SYNTAX: " << x.error.ToString();
        } else {
          EXPECT_EQ(x.notify, iana::NotifyType::kInvalidSyntax) << x.error.ToString();
        }
      }
    }
  }
}

TEST(RuleTables, ExceedingAMaximumIsInvalidSyntax) {
  for (const MessageShape& shape : MessageShapes()) {
    for (const PayloadRule& rule : shape.rules) {
      if (rule.max == kMany) continue;
      Message m = Minimal(shape);
      auto& payloads = Visible(m);
      const size_t have = static_cast<size_t>(
          std::count_if(payloads.begin(), payloads.end(), [&](const Payload& p) { return p.type == rule.type; }));
      for (size_t i = have; i <= rule.max; ++i) payloads.push_back(Example(rule.type, shape));
      const Validation v = Validate(m);
      EXPECT_TRUE(HasViolation(v, Code::kInvalidSyntax, shape.requirement))
          << shape.name << " with " << rule.max + 1 << " " << PayloadTypeLabel(rule.type) << "\n" << Dump(v);
    }
  }
}

TEST(RuleTables, APayloadOutsideTheShapeIsInvalidSyntax) {
  for (const MessageShape& shape : MessageShapes()) {
    Message m = Minimal(shape);
    Visible(m).push_back(Example(P::kDelete, shape));
    const bool allowed = std::any_of(shape.rules.begin(), shape.rules.end(),
                                     [](const PayloadRule& r) { return r.type == P::kDelete; });
    EXPECT_EQ(Validate(m).ok(), allowed) << shape.name;
  }
}

const MessageShape& ShapeNamed(std::string_view name) {
  for (const MessageShape& s : MessageShapes())
    if (s.name == name) return s;
  throw std::runtime_error("no shape");
}

TEST(Validate, KeGroupNotProposedIsInvalidKePayload) {
  Message m = Minimal(ShapeNamed("IKE_SA_INIT request"));
  for (Payload& p : m.payloads)
    if (auto* ke = std::get_if<KePayload>(&p.body)) ke->group = iana::KeGroup::kModp2048;
  const Validation v = Validate(m);
  ASSERT_TRUE(HasViolation(v, Code::kInvalidKePayload, "rfc7296#section-3.4")) << Dump(v);
  for (const Violation& x : v.violations)
    if (x.error.code == Code::kInvalidKePayload) {
      EXPECT_EQ(x.notify, iana::NotifyType::kInvalidKePayload);
    }
}

TEST(Validate, KePublicValueOffTheCurveIsRejected) {
  Message m = Minimal(ShapeNamed("IKE_SA_INIT request"));
  for (Payload& p : m.payloads)
    if (auto* ke = std::get_if<KePayload>(&p.body)) ke->key_exchange_data.back() ^= 1;
  const Validation v = Validate(m);
  EXPECT_TRUE(HasViolation(v, Code::kBadPublicValue, "rfc6989#section-2.3")) << Dump(v);
}

TEST(Validate, UnknownCriticalPayloadIsUnsupportedCriticalPayload) {
  Message m = Minimal(ShapeNamed("IKE_SA_INIT request"));
  Payload unknown;
  unknown.type = static_cast<P>(200);
  unknown.critical = true;
  unknown.body = UnknownPayload{Bytes{1, 2}};
  m.payloads.push_back(unknown);
  const Validation v = Validate(m);
  ASSERT_TRUE(HasViolation(v, Code::kUnsupportedCriticalPayload, "rfc7296#section-2.5")) << Dump(v);
  EXPECT_EQ(v.violations.front().notify, iana::NotifyType::kUnsupportedCriticalPayload);
}

TEST(Validate, UnknownNonCriticalPayloadIsSkipped) {
  Message m = Minimal(ShapeNamed("IKE_SA_INIT request"));
  Payload unknown;
  unknown.type = static_cast<P>(200);
  unknown.body = UnknownPayload{Bytes{1, 2}};
  m.payloads.push_back(unknown);
  EXPECT_TRUE(Validate(m).ok()) << Dump(Validate(m));
}

TEST(Validate, PlaintextPayloadsOutsideSkAreRejected) {
  Message m = Minimal(ShapeNamed("IKE_AUTH request"));
  m.payloads.insert(m.payloads.begin(), Example(P::kNotify, ShapeNamed("IKE_AUTH request")));
  EXPECT_TRUE(HasViolation(Validate(m), Code::kInvalidSyntax, "rfc7296#section-3.14"));
}

TEST(Validate, SkInIkeSaInitIsRejected) {
  Message m = Minimal(ShapeNamed("IKE_SA_INIT request"));
  Payload sk;
  sk.type = P::kSk;
  sk.body = SkPayload{P::kNone, Bytes(16, 0)};
  m.payloads.push_back(sk);
  EXPECT_TRUE(HasViolation(Validate(m), Code::kInvalidSyntax, "rfc7296#section-1.2"));
}

TEST(Validate, ChildSaNeedsSaTsiAndTsrTogether) {
  const MessageShape& shape = ShapeNamed("IKE_AUTH request");
  Message m = Minimal(shape);
  m.inner.push_back(Example(P::kSa, shape));
  m.inner.push_back(Example(P::kTsi, shape));
  EXPECT_TRUE(HasViolation(Validate(m), Code::kInvalidSyntax, "rfc7296#section-1.2"));
  m.inner.push_back(Example(P::kTsr, shape));
  EXPECT_TRUE(Validate(m).ok()) << Dump(Validate(m));
}

TEST(Validate, CookieMustComeFirst) {
  const MessageShape& shape = ShapeNamed("IKE_SA_INIT request");
  Message m = Minimal(shape);
  Payload cookie;
  cookie.type = P::kNotify;
  cookie.body = NotifyPayload{0, {}, iana::NotifyType::kCookie, Bytes(16, 0xc0)};
  m.payloads.push_back(cookie);
  EXPECT_TRUE(HasViolation(Validate(m), Code::kInvalidSyntax, "rfc7296#section-2.6"));
  m.payloads.pop_back();
  m.payloads.insert(m.payloads.begin(), cookie);
  EXPECT_TRUE(Validate(m).ok()) << Dump(Validate(m));
}

TEST(Validate, ResponseChoosesExactlyOneProposal) {
  Message m = Minimal(ShapeNamed("IKE_SA_INIT response"));
  for (Payload& p : m.payloads) {
    if (auto* sa = std::get_if<SaPayload>(&p.body)) {
      Proposal second = sa->proposals.front();
      second.proposal_num = 2;
      sa->proposals.push_back(second);
    }
  }
  const Validation v = Validate(m);
  EXPECT_TRUE(HasViolation(v, Code::kInvalidSyntax, "rfc7296#section-3.3.6")) << Dump(v);
  EXPECT_FALSE(v.violations.front().notify.has_value());
}

// The SA of `shape` made unacceptable in one of the three ways of §3.3.6:
// an unknown Transform Type, an unknown Transform ID (the only one of its
// type), an unknown attribute (on the only transform of its type).
std::vector<SaPayload> UnacceptableSas(const MessageShape& shape) {
  std::vector<SaPayload> out;
  for (int way = 0; way < 3; ++way) {
    SaPayload sa = std::get<SaPayload>(Example(P::kSa, shape).body);
    std::vector<Transform>& transforms = sa.proposals[0].transforms;
    if (way == 0) transforms.push_back(T(static_cast<TT>(200), 1));
    if (way == 1) transforms[1].id = 0x8001;  // private use: unregistered
    if (way == 2) transforms[0].attributes.push_back({0x3f01, uint16_t{1}});
    out.push_back(std::move(sa));
  }
  return out;
}

void ReplaceSa(Message& m, const SaPayload& sa) {
  for (Payload& p : Visible(m))
    if (p.type == P::kSa) p.body = sa;
}

//= rfc7296#section-3.3.6
//# A request whose every proposal is unacceptable is answered
//# NO_PROPOSAL_CHOSEN (§2.7), not INVALID_SYNTAX.
TEST(Validate, EveryProposalUnacceptableIsNoProposalChosen) {
  for (std::string_view name : {"IKE_SA_INIT request", "IKE_AUTH request", "CREATE_CHILD_SA request (CHILD SA)",
                                "CREATE_CHILD_SA request (rekey IKE SA)"}) {
    const MessageShape& shape = ShapeNamed(name);
    for (const SaPayload& sa : UnacceptableSas(shape)) {
      Message m = Minimal(shape);
      if (name == "IKE_AUTH request")
        for (P type : {P::kSa, P::kTsi, P::kTsr}) m.inner.push_back(Example(type, shape));
      ReplaceSa(m, sa);
      const Validation v = Validate(m);
      ASSERT_EQ(v.violations.size(), 1u) << name << "\n" << Dump(v);
      EXPECT_EQ(v.violations[0].error.code, Code::kNoProposalChosen) << Dump(v);
      EXPECT_EQ(v.violations[0].error.requirement, "rfc7296#section-3.3.6");
      EXPECT_EQ(v.violations[0].notify, iana::NotifyType::kNoProposalChosen);
    }
  }
}

//= rfc7296#section-3.3.6
//# Beside an acceptable proposal, the unacceptable one is passed over and
//# the message is valid.
TEST(Validate, UnacceptableProposalBesideAnAcceptableOneIsPassedOver) {
  const MessageShape& shape = ShapeNamed("IKE_SA_INIT request");
  for (SaPayload sa : UnacceptableSas(shape)) {
    Proposal acceptable = std::get<SaPayload>(Example(P::kSa, shape).body).proposals[0];
    acceptable.proposal_num = 2;
    sa.proposals.push_back(acceptable);
    Message m = Minimal(shape);
    ReplaceSa(m, sa);
    EXPECT_TRUE(Validate(m).ok()) << Dump(Validate(m));
  }
}

// A KE group offered only by an unacceptable proposal cannot be chosen.
TEST(Validate, KeGroupOfAnUnacceptableProposalOnlyIsInvalidKePayload) {
  const MessageShape& shape = ShapeNamed("IKE_SA_INIT request");
  SaPayload sa = UnacceptableSas(shape)[0];  // ECP-256, with an unknown Transform Type
  Proposal other = std::get<SaPayload>(Example(P::kSa, shape).body).proposals[0];
  other.proposal_num = 2;
  other.transforms[2].id = static_cast<uint16_t>(iana::KeGroup::kCurve25519);
  sa.proposals.push_back(other);
  Message m = Minimal(shape);
  ReplaceSa(m, sa);
  const Validation v = Validate(m);
  ASSERT_TRUE(HasViolation(v, Code::kInvalidKePayload, "rfc7296#section-3.4")) << Dump(v);
}

//= rfc7296#section-3.3.6
//# A response's chosen proposal must be one the initiator could have
//# offered; an unacceptable one is refused (and, a response, not answered).
TEST(Validate, ResponseWithAnUnacceptableProposalIsRefusedUnanswered) {
  const MessageShape& shape = ShapeNamed("IKE_SA_INIT response");
  for (const SaPayload& sa : UnacceptableSas(shape)) {
    Message m = Minimal(shape);
    ReplaceSa(m, sa);
    const Validation v = Validate(m);
    ASSERT_TRUE(HasViolation(v, Code::kNoProposalChosen, "rfc7296#section-3.3.6")) << Dump(v);
    for (const Violation& x : v.violations) EXPECT_FALSE(x.notify.has_value());
  }
}

TEST(Validate, RekeyIkeSaProposalsAreForIke) {
  const MessageShape& shape = ShapeNamed("CREATE_CHILD_SA request (rekey IKE SA)");
  Message m = Minimal(shape);
  for (Payload& p : m.inner)
    if (p.type == P::kSa) p.body = EspSa();
  EXPECT_TRUE(HasViolation(Validate(m), Code::kInvalidSyntax, "rfc7296#section-1.3.2"));
}

TEST(Validate, InitialIkeProposalHasNoSpi) {
  Message m = Minimal(ShapeNamed("IKE_SA_INIT request"));
  for (Payload& p : m.payloads)
    if (p.type == P::kSa) p.body = IkeSa(8);
  EXPECT_TRUE(HasViolation(Validate(m), Code::kInvalidSyntax, "rfc7296#section-3.3.1"));
}

TEST(Validate, ShortNonceBreaksItsRule) {
  Message m = Minimal(ShapeNamed("IKE_SA_INIT request"));
  for (Payload& p : m.payloads)
    if (auto* n = std::get_if<NoncePayload>(&p.body)) n->nonce_data.resize(15);
  EXPECT_TRUE(HasViolation(Validate(m), Code::kInvalidSyntax, "rfc7296#section-3.9"));
}

TEST(Validate, EncryptedButNotDecryptedChecksTheOuterLayerOnly) {
  Message m = Minimal(ShapeNamed("IKE_AUTH request"));
  m.inner.clear();
  m.decrypted = false;
  EXPECT_TRUE(Validate(m).ok()) << Dump(Validate(m));
}

Payload Notify(iana::NotifyType type) {
  Payload p;
  p.type = P::kNotify;
  p.body = NotifyPayload{0, {}, type, type == iana::NotifyType::kCookie ? Bytes(16, 0xc0) : Bytes(20, 0xd0)};
  return p;
}

std::vector<std::string> Labels(const std::vector<Payload>& payloads) {
  std::vector<std::string> out;
  for (const Payload& p : payloads) out.push_back(PayloadLabel(p));
  return out;
}

//= rfc7296#section-1.2
//# The IKE_SA_INIT request carries SA, KE and Ni.
//= rfc7296#section-2.6
//# A COOKIE notification comes first in the request that returns it.
//# IKE_SA_INIT request ladder: [N(COOKIE)], SA, KE, Ni, [N(NAT_DETECTION_*)].
TEST(EmitOrder, IkeSaInitRequestFollowsTheLadder) {
  const MessageShape& shape = ShapeNamed("IKE_SA_INIT request");
  std::vector<Payload> payloads = {Example(P::kVendorId, shape), Notify(iana::NotifyType::kNatDetectionSourceIp),
                                   Example(P::kNonce, shape),    Example(P::kKe, shape),
                                   Example(P::kSa, shape),       Notify(iana::NotifyType::kCookie)};
  PutInEmitOrder(shape, payloads);
  EXPECT_EQ(Labels(payloads), (std::vector<std::string>{"N(COOKIE)", "SA", "KE", "Nonce",
                                                        "N(NAT_DETECTION_SOURCE_IP)", "V"}));
}

//= rfc7296#section-2.19
//# IKE_AUTH request ladder: IDi, [CERT], [CERTREQ], [IDr], AUTH, CP, SAi2, TSi, TSr.
TEST(EmitOrder, IkeAuthRequestFollowsTheLadder) {
  const MessageShape& shape = ShapeNamed("IKE_AUTH request");
  std::vector<Payload> payloads;
  for (P type : {P::kTsr, P::kTsi, P::kSa, P::kCp, P::kAuth, P::kIdr, P::kCertreq, P::kCert, P::kIdi})
    payloads.push_back(Example(type, shape));
  PutInEmitOrder(shape, payloads);
  EXPECT_EQ(Labels(payloads),
            (std::vector<std::string>{"IDi", "CERT", "CERTREQ", "IDr", "AUTH", "CP", "SA", "TSi", "TSr"}));
}

// Every shape's minimal message, reversed then ordered, is valid and in the
// order of its table; payloads of one rank keep their order (stable).
TEST(EmitOrder, EveryShapeOrdersItsMinimalMessage) {
  for (const MessageShape& shape : MessageShapes()) {
    Message m = Minimal(shape);
    std::vector<Payload>& payloads = Visible(m);
    const std::vector<Payload> before = payloads;
    std::reverse(payloads.begin(), payloads.end());
    PutInEmitOrder(shape, payloads);
    std::vector<Payload> expected = before;
    std::stable_sort(expected.begin(), expected.end(), [&](const Payload& a, const Payload& b) {
      const auto rank = [&](const Payload& p) {
        for (size_t i = 0; i < shape.order.size(); ++i)
          if (shape.order[i].type == p.type && !shape.order[i].notify) return i;
        return shape.order.size();
      };
      return rank(a) < rank(b);
    });
    EXPECT_EQ(Labels(payloads), Labels(expected)) << shape.name;
    EXPECT_TRUE(Validate(m).ok()) << shape.name << "\n" << Dump(Validate(m));
  }
}

TEST(NotifyFor, ResponsesAreNeverAnswered) {
  const Error e = MakeError(Code::kInvalidSyntax, 0, "rfc7296#section-1.2");
  EXPECT_FALSE(NotifyFor(e, true, iana::ExchangeType::kIkeAuth).has_value());
  EXPECT_EQ(NotifyFor(e, false, iana::ExchangeType::kIkeAuth), iana::NotifyType::kInvalidSyntax);
  EXPECT_EQ(NotifyFor(MakeError(Code::kBadVersion, 17, ""), false, iana::ExchangeType::kIkeAuth),
            iana::NotifyType::kInvalidMajorVersion);
  EXPECT_FALSE(NotifyFor(MakeError(Code::kIcvMismatch, 0, ""), false, iana::ExchangeType::kIkeAuth).has_value());
}

// Fixed bug (reference/ike/wire/rules.cc, NotifyFor; reference/ike/sa/ike_sa.cc,
// IkeSa::HandleRequest): a malformed IKE_SA_INIT request (no KE, a short
// nonce, an SPI in the proposal...) was answered with an unprotected
// INVALID_SYNTAX, which anyone can forge.
TEST(NotifyFor, IkeSaInitRequestGetsNoInvalidSyntax) {
  const auto init = iana::ExchangeType::kIkeSaInit;
  //= rfc7296#section-3.10.1
  //# INVALID_SYNTAX goes only in an encrypted message whose Message ID and
  //# integrity check were valid: never in an IKE_SA_INIT response.
  EXPECT_FALSE(NotifyFor(MakeError(Code::kInvalidSyntax, 0, "rfc7296#section-1.2"), false, init).has_value());
  EXPECT_FALSE(NotifyFor(MakeError(Code::kBadPublicValue, 0, "rfc8031#section-3.2"), false, init).has_value());
  //= rfc7296#section-2.21.1
  //# The errors an initiator can act on keep their unprotected Notify.
  EXPECT_EQ(NotifyFor(MakeError(Code::kNoProposalChosen, 0, ""), false, init), iana::NotifyType::kNoProposalChosen);
  EXPECT_EQ(NotifyFor(MakeError(Code::kInvalidKePayload, 0, ""), false, init), iana::NotifyType::kInvalidKePayload);
  EXPECT_EQ(NotifyFor(MakeError(Code::kBadVersion, 17, ""), false, init), iana::NotifyType::kInvalidMajorVersion);
  EXPECT_EQ(NotifyFor(MakeError(Code::kUnsupportedCriticalPayload, 0, ""), false, init),
            iana::NotifyType::kUnsupportedCriticalPayload);
}

}  // namespace
}  // namespace ipsecref::ike
