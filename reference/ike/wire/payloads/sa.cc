#include "reference/ike/wire/payloads/sa.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "reference/crypto/transforms.h"

namespace ipsecref::ike {
namespace {

//= rfc7296#section-3.3.1
//# Last Substruc is 0 on the last proposal and 2 before more proposals.
constexpr uint8_t kMoreProposals = 2;
//= rfc7296#section-3.3.2
//# Last Substruc is 0 on the last transform and 3 before more transforms.
constexpr uint8_t kMoreTransforms = 3;
constexpr uint16_t kAttributeFormatTv = 0x8000;

Result<TransformAttribute> ParseAttribute(ByteReader& in) {
  const size_t at = in.offset();
  uint16_t type = 0, length_or_value = 0;
  ENSURE(in.ReadU16(type) && in.ReadU16(length_or_value), kInvalidSyntax, at, "rfc7296#section-3.3.5",
         fmt::format("transform attribute needs 4 bytes, {} left", in.remaining()));
  TransformAttribute a;
  a.type = type & ~kAttributeFormatTv;
  if (type & kAttributeFormatTv) {
    a.value = length_or_value;
    return a;
  }
  ByteSpan value;
  ENSURE(in.ReadBytes(length_or_value, value), kInvalidSyntax, at + 2, "rfc7296#section-3.3.5",
         fmt::format("attribute {} (TLV) claims {} value bytes, {} left", a.type, length_or_value, in.remaining()));
  a.value = Bytes(value.begin(), value.end());
  return a;
}

Result<Transform> ParseTransform(ByteReader& in, uint8_t& last_substruc, Notes& notes) {
  const size_t at = in.offset();
  uint8_t reserved = 0, type = 0, reserved2 = 0;
  uint16_t length = 0, id = 0;
  ENSURE(in.ReadU8(last_substruc) && in.ReadU8(reserved) && in.ReadU16(length), kInvalidSyntax, at,
         "rfc7296#section-3.3.2", fmt::format("transform header needs 8 bytes, {} left", in.remaining()));
  ENSURE(length >= 8, kInvalidSyntax, at + 2, "rfc7296#section-3.3.2",
         fmt::format("Transform Length {} is shorter than its 8-byte header", length));
  ByteReader t;
  ENSURE(in.ReadChild(length - 4, t), kInvalidSyntax, at + 2, "rfc7296#section-3.3.2",
         fmt::format("Transform Length {} runs past the proposal ({} bytes left)", length, in.remaining() + 4));
  (void)(t.ReadU8(type) && t.ReadU8(reserved2) && t.ReadU16(id));
  NoteReserved(notes, reserved, at + 1, "transform");
  NoteReserved(notes, reserved2, at + 5, "transform");
  Transform tr{static_cast<iana::TransformType>(type), id, {}};
  while (!t.empty()) {
    TRY_ASSIGN(auto attribute, ParseAttribute(t));
    tr.attributes.push_back(std::move(attribute));
  }
  return tr;
}

Result<Proposal> ParseProposal(ByteReader& in, uint8_t& last_substruc, Notes& notes) {
  const size_t at = in.offset();
  uint8_t reserved = 0, protocol = 0, spi_size = 0, num_transforms = 0;
  uint16_t length = 0;
  ENSURE(in.ReadU8(last_substruc) && in.ReadU8(reserved) && in.ReadU16(length), kInvalidSyntax, at,
         "rfc7296#section-3.3.1", fmt::format("proposal header needs 8 bytes, {} left", in.remaining()));
  ENSURE(length >= 8, kInvalidSyntax, at + 2, "rfc7296#section-3.3.1",
         fmt::format("Proposal Length {} is shorter than its 8-byte header", length));
  ByteReader p;
  ENSURE(in.ReadChild(length - 4, p), kInvalidSyntax, at + 2, "rfc7296#section-3.3.1",
         fmt::format("Proposal Length {} runs past the SA payload ({} bytes left)", length, in.remaining() + 4));
  NoteReserved(notes, reserved, at + 1, "proposal");
  Proposal proposal;
  (void)(p.ReadU8(proposal.proposal_num) && p.ReadU8(protocol) && p.ReadU8(spi_size) && p.ReadU8(num_transforms));
  proposal.protocol_id = static_cast<iana::SecurityProtocol>(protocol);
  ByteSpan spi;
  ENSURE(p.ReadBytes(spi_size, spi), kInvalidSyntax, at + 6, "rfc7296#section-3.3.1",
         fmt::format("SPI Size {} runs past the proposal", spi_size));
  proposal.spi.assign(spi.begin(), spi.end());
  uint8_t last = kMoreTransforms;
  for (int i = 0; i < num_transforms; ++i) {
    const size_t tat = p.offset();
    ENSURE(last == kMoreTransforms, kInvalidSyntax, tat, "rfc7296#section-3.3.2",
           fmt::format("proposal {}: transform {} marked last, but Num Transforms is {}", proposal.proposal_num, i,
                       num_transforms));
    ENSURE(!p.empty(), kInvalidSyntax, tat, "rfc7296#section-3.3.1",
           fmt::format("proposal {}: Num Transforms is {} but only {} fit", proposal.proposal_num, num_transforms, i));
    auto transform = ParseTransform(p, last, notes);
    if (!transform) {
      Error e = std::move(transform).error();
      e.detail = fmt::format("proposal {}, transform {}: {}", proposal.proposal_num, i + 1, e.detail);
      return e;
    }
    ENSURE(last == 0 || last == kMoreTransforms, kInvalidSyntax, tat, "rfc7296#section-3.3.2",
           fmt::format("proposal {}, transform {}: Last Substruc {}; must be 0 or 3", proposal.proposal_num, i + 1,
                       last));
    proposal.transforms.push_back(std::move(transform).value());
  }
  ENSURE(num_transforms == 0 || last == 0, kInvalidSyntax, p.offset(), "rfc7296#section-3.3.2",
         fmt::format("proposal {}: last transform not marked last (Last Substruc 3)", proposal.proposal_num));
  ENSURE(p.empty(), kInvalidSyntax, p.offset(), "rfc7296#section-3.3.1",
         fmt::format("proposal {}: {} bytes after its {} transforms", proposal.proposal_num, p.remaining(),
                     num_transforms));
  return proposal;
}

Status WriteTransform(const Transform& t, bool last, ByteWriter& out) {
  const size_t start = out.size();
  out.U8(last ? 0 : kMoreTransforms).U8(0);
  const ByteWriter::LengthPrefix length = out.ReserveLength(2, start);
  out.U8(static_cast<uint8_t>(t.type)).U8(0).U16(t.id);
  for (const TransformAttribute& a : t.attributes) {
    if (const auto* tv = std::get_if<uint16_t>(&a.value)) {
      out.U16(static_cast<uint16_t>(a.type | kAttributeFormatTv)).U16(*tv);
      continue;
    }
    out.U16(a.type & ~kAttributeFormatTv);
    const ByteWriter::LengthPrefix attribute_length = out.ReserveLength(2, out.size() + 2);
    out.Append(std::get<Bytes>(a.value));
    if (!out.FinishLength(attribute_length))
      return TooLong("rfc7296#section-3.3.5", fmt::format("attribute {} (TLV) has {} value bytes; Attribute Length "
                                                          "holds at most 65535",
                                                          a.type, std::get<Bytes>(a.value).size()));
  }
  if (!out.FinishLength(length))
    return TooLong("rfc7296#section-3.3.2",
                   fmt::format("transform of {} bytes; Transform Length holds at most 65535", out.size() - start));
  return OkStatus();
}

// §3.3.3: the transform types each protocol uses, and which are mandatory.
struct ProtocolRule {
  iana::SecurityProtocol protocol;
  size_t spi_sizes[2];
  std::array<iana::TransformType, 5> allowed;
  std::array<iana::TransformType, 3> mandatory;  // kInteg mandatory unless the ENCR is an AEAD
};
using TT = iana::TransformType;
//= rfc7296#section-3.3.3
//# IKE: ENCR, PRF, INTEG (none with a combined-mode cipher), KE; ESP: ENCR,
//# optional INTEG and KE, ESN; AH: INTEG, optional KE, ESN.
//= rfc7296#section-3.3.1
//# SPI Size is 0 for an initial IKE SA, 8 when rekeying one, 4 for ESP and AH.
constexpr ProtocolRule kProtocolRules[] = {
    {iana::SecurityProtocol::kIke, {0, 8}, {TT::kEncr, TT::kPrf, TT::kInteg, TT::kKe, TT::kKe},
     {TT::kEncr, TT::kPrf, TT::kKe}},
    {iana::SecurityProtocol::kEsp, {4, 4}, {TT::kEncr, TT::kInteg, TT::kKe, TT::kEsn, TT::kEsn},
     {TT::kEncr, TT::kEsn, TT::kEsn}},
    {iana::SecurityProtocol::kAh, {4, 4}, {TT::kInteg, TT::kKe, TT::kEsn, TT::kEsn, TT::kEsn},
     {TT::kInteg, TT::kEsn, TT::kEsn}},
};

constexpr bool OneRulePerProtocol() {
  for (size_t a = 0; a < std::size(kProtocolRules); ++a)
    for (size_t b = a + 1; b < std::size(kProtocolRules); ++b)
      if (kProtocolRules[a].protocol == kProtocolRules[b].protocol) return false;
  return true;
}
static_assert(OneRulePerProtocol(), "kProtocolRules: one row per protocol");

bool IsAdditionalKe(TT t) { return t >= TT::kAke1 && t <= TT::kAke7; }  // RFC 9370 §2.2

const ProtocolRule* FindProtocolRule(iana::SecurityProtocol protocol) {
  for (const ProtocolRule& r : kProtocolRules)
    if (r.protocol == protocol) return &r;
  return nullptr;
}

// §3.3.3's table, with the additional key exchanges of RFC 9370 §2.2.
bool TypeUnderstood(const ProtocolRule& rule, TT type) {
  return std::find(rule.allowed.begin(), rule.allowed.end(), type) != rule.allowed.end() || IsAdditionalKe(type);
}

std::string TransformTypeLabel(TT type) {
  const std::string_view name = iana::Name(type);
  return name.empty() ? fmt::format("{}", static_cast<int>(type)) : std::string(name);
}

// The registry that names the Transform IDs of each type (RFC 7296 §3.3.2,
// RFC 9370 §2.2: the additional key exchanges share the KE registry).
struct TransformIdRegistry {
  TT type;
  bool (*registered)(uint16_t id);
};
// iana.h's Name() says "UNKNOWN" for an unregistered ESP-side value, ike.h's says "".
constexpr TransformIdRegistry kTransformIdRegistries[] = {
    {TT::kEncr, [](uint16_t id) { return iana::EncrFromName(iana::Name(static_cast<iana::Encr>(id))).has_value(); }},
    {TT::kPrf, [](uint16_t id) { return iana::PrfFromName(iana::Name(static_cast<iana::Prf>(id))).has_value(); }},
    {TT::kInteg, [](uint16_t id) { return iana::IntegFromName(iana::Name(static_cast<iana::Integ>(id))).has_value(); }},
    {TT::kKe, [](uint16_t id) { return !iana::Name(static_cast<iana::KeGroup>(id)).empty(); }},
    {TT::kEsn, [](uint16_t id) { return !iana::Name(static_cast<iana::EsnType>(id)).empty(); }},
};

// Why a transform is not understood, or "" when it is.
//= ipsecref#choice
//# The reference understands a Transform ID when the IANA registry of its
//# type holds it (not only when the crypto module implements it), so a
//# capture of registered algorithms is judged on its structure; and it
//# understands Key Length, the one attribute §3.3.5 defines for these types.
std::string WhyNotUnderstood(const Transform& t) {
  const TT registry_type = IsAdditionalKe(t.type) ? TT::kKe : t.type;
  for (const TransformIdRegistry& r : kTransformIdRegistries)
    if (r.type == registry_type && !r.registered(t.id))
      return fmt::format("{} Transform ID {} is not understood", TransformTypeLabel(t.type), t.id);
  for (const TransformAttribute& a : t.attributes)
    if (a.type != static_cast<uint16_t>(iana::TransformAttribute::kKeyLength))
      return fmt::format("{} {} carries attribute type {}, which is not understood", TransformTypeLabel(t.type),
                         t.id, a.type);
  return {};
}

Status VerifyKeyLength(const Proposal& p, const Transform& t, size_t offset) {
  const crypto::EncrTransform* encr = crypto::FindEncr(static_cast<iana::Encr>(t.id));
  const auto key_length = t.key_length();
  if (encr == nullptr) return OkStatus();  // unknown to the registry: no rule to apply
  //= rfc7296#section-3.3.5
  //# Transforms with a variable key length carry Key Length; fixed-length
  //# ones do not.
  if (encr->key_bits[1] == 0) {  // one length only (ENCR_NULL: none at all)
    ENSURE(!key_length || *key_length == encr->fixed_key_bits(), kInvalidSyntax, offset, "rfc7296#section-3.3.5",
           fmt::format("proposal {}: {} has a fixed key length but carries Key Length {}", p.proposal_num,
                       encr->name(), *key_length));
    return OkStatus();
  }
  ENSURE(key_length.has_value(), kInvalidSyntax, offset, "rfc7296#section-3.3.5",
         fmt::format("proposal {}: {} needs a Key Length attribute", p.proposal_num, encr->name()));
  return OkStatus();
}

}  // namespace

std::optional<uint16_t> Transform::key_length() const {
  for (const TransformAttribute& a : attributes) {
    if (a.type == static_cast<uint16_t>(iana::TransformAttribute::kKeyLength)) {
      if (const auto* tv = std::get_if<uint16_t>(&a.value)) return *tv;
    }
  }
  return std::nullopt;
}

Result<SaPayload> ParseSa(ByteReader& body, Notes& notes) {
  SaPayload sa;
  uint8_t last = kMoreProposals;
  while (!body.empty()) {
    const size_t at = body.offset();
    ENSURE(last == kMoreProposals, kInvalidSyntax, at, "rfc7296#section-3.3.1",
           fmt::format("{} bytes after the proposal marked last", body.remaining()));
    TRY_ASSIGN(Proposal proposal, ParseProposal(body, last, notes));
    ENSURE(last == 0 || last == kMoreProposals, kInvalidSyntax, at, "rfc7296#section-3.3.1",
           fmt::format("proposal {}: Last Substruc {}; must be 0 or 2", proposal.proposal_num, last));
    sa.proposals.push_back(std::move(proposal));
  }
  ENSURE(last == 0, kInvalidSyntax, body.offset(), "rfc7296#section-3.3.1",
         sa.proposals.empty() ? std::string("SA payload holds no proposal")
                              : std::string("last proposal not marked last (Last Substruc 2)"));
  return sa;
}

Status Write(const SaPayload& sa, ByteWriter& out) {
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    if (!ByteWriter::Fits(p.spi.size(), 1))
      return TooLong("rfc7296#section-3.3.1", fmt::format("proposal {}: SPI of {} bytes; SPI Size holds at most 255",
                                                          p.proposal_num, p.spi.size()));
    if (!ByteWriter::Fits(p.transforms.size(), 1))
      return TooLong("rfc7296#section-3.3.1",
                     fmt::format("proposal {}: {} transforms; Num Transforms holds at most 255", p.proposal_num,
                                 p.transforms.size()));
    const size_t start = out.size();
    out.U8(i + 1 == sa.proposals.size() ? 0 : kMoreProposals).U8(0);
    const ByteWriter::LengthPrefix length = out.ReserveLength(2, start);
    out.U8(p.proposal_num).U8(static_cast<uint8_t>(p.protocol_id)).U8(static_cast<uint8_t>(p.spi.size()));
    out.U8(static_cast<uint8_t>(p.transforms.size())).Append(p.spi);
    for (size_t t = 0; t < p.transforms.size(); ++t) TRY(WriteTransform(p.transforms[t], t + 1 == p.transforms.size(), out));
    if (!out.FinishLength(length))
      return TooLong("rfc7296#section-3.3.1", fmt::format("proposal {} of {} bytes; Proposal Length holds at most 65535",
                                                          p.proposal_num, out.size() - start));
  }
  return OkStatus();
}

Status Verify(const SaPayload& sa, size_t offset) {
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    //= rfc7296#section-3.3.1
    //# Each proposal's number is one more than the previous one's.
    ENSURE(i == 0 || p.proposal_num == sa.proposals[i - 1].proposal_num + 1, kInvalidSyntax, offset,
           "rfc7296#section-3.3.1",
           fmt::format("proposal {} follows proposal {}; numbers must go up by one", p.proposal_num,
                       sa.proposals[i - 1].proposal_num));
    const ProtocolRule* rule = FindProtocolRule(p.protocol_id);
    if (rule == nullptr) continue;  // §3.3.6: a proposal for an unknown protocol is simply not chosen
    ENSURE(p.spi.size() == rule->spi_sizes[0] || p.spi.size() == rule->spi_sizes[1], kInvalidSyntax, offset,
           "rfc7296#section-3.3.1",
           fmt::format("proposal {} ({}): SPI Size {}", p.proposal_num, iana::Name(p.protocol_id), p.spi.size()));
    for (const Transform& t : p.transforms) {
      if (t.type == TT::kEncr) TRY(VerifyKeyLength(p, t, offset));
      for (const TransformAttribute& a : t.attributes) {
        //= rfc7296#section-3.3.5
        //# Key Length is a TV-format attribute.
        ENSURE(a.type != static_cast<uint16_t>(iana::TransformAttribute::kKeyLength) ||
                   std::holds_alternative<uint16_t>(a.value),
               kInvalidSyntax, offset, "rfc7296#section-3.3.5",
               fmt::format("proposal {}: Key Length in TLV format", p.proposal_num));
      }
    }
  }
  return OkStatus();
}

Status Acceptable(const Proposal& p, size_t offset) {
  const auto unacceptable = [&](std::string why) {
    return MakeError(Code::kNoProposalChosen, offset, "rfc7296#section-3.3.6",
                     fmt::format("proposal {} is unacceptable: {}", p.proposal_num, why));
  };
  const ProtocolRule* rule = FindProtocolRule(p.protocol_id);
  if (rule == nullptr) return unacceptable(fmt::format("Protocol ID {} is not understood", static_cast<int>(p.protocol_id)));
  //= rfc7296#section-3.3.6
  //# A proposal holding a Transform Type the responder does not understand
  //# is unacceptable; the other proposals are processed as usual.
  for (const Transform& t : p.transforms)
    if (!TypeUnderstood(*rule, t.type))
      return unacceptable(fmt::format("Transform Type {} is not understood with {}", TransformTypeLabel(t.type),
                                      iana::Name(p.protocol_id)));
  //= rfc7296#section-3.3.6
  //# A transform whose ID or one of whose attributes the responder does not
  //# understand is unacceptable; the other transforms of its type are
  //# processed as usual, so the proposal is lost only when none is left.
  bool aead = false;
  for (const Transform& t : p.transforms) {
    if (t.type != TT::kEncr || !WhyNotUnderstood(t).empty()) continue;
    const crypto::EncrTransform* encr = crypto::FindEncr(static_cast<iana::Encr>(t.id));
    aead = aead || (encr != nullptr && encr->aead);
  }
  const auto understood = [](const Transform& t) { return WhyNotUnderstood(t).empty(); };
  for (const Transform& t : p.transforms) {
    const bool kept = std::any_of(p.transforms.begin(), p.transforms.end(),
                                  [&](const Transform& u) { return u.type == t.type && understood(u); });
    if (!kept)
      return unacceptable(fmt::format("no {} transform is understood ({})", TransformTypeLabel(t.type),
                                      WhyNotUnderstood(t)));
  }
  //= rfc7296#section-3.3.6
  //# A proposal missing a mandatory Transform Type is unacceptable.
  const auto has = [&](TT type) {
    return std::any_of(p.transforms.begin(), p.transforms.end(), [&](const Transform& t) { return t.type == type; });
  };
  for (TT type : rule->mandatory)
    if (!has(type)) return unacceptable(fmt::format("it has no {} transform (§3.3.3)", iana::Name(type)));
  //= rfc7296#section-3.3.3
  //# An IKE proposal needs an integrity transform unless its cipher is a
  //# combined-mode one (RFC 5282 §8 forbids one with a combined-mode cipher).
  if (p.protocol_id == iana::SecurityProtocol::kIke && !aead && !has(TT::kInteg))
    return unacceptable("it has no INTEG transform and its cipher is not combined-mode (§3.3.3)");
  return OkStatus();
}

std::vector<const Proposal*> AcceptableProposals(const SaPayload& sa) {
  std::vector<const Proposal*> out;
  for (const Proposal& p : sa.proposals)
    if (Acceptable(p, 0)) out.push_back(&p);
  return out;
}

}  // namespace ipsecref::ike
