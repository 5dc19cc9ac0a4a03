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

void WriteTransform(const Transform& t, bool last, ByteWriter& out) {
  out.U8(last ? 0 : kMoreTransforms).U8(0);
  const size_t length = out.ReserveU16();
  const size_t start = length - 2;
  out.U8(static_cast<uint8_t>(t.type)).U8(0).U16(t.id);
  for (const TransformAttribute& a : t.attributes) {
    if (const auto* tv = std::get_if<uint16_t>(&a.value)) {
      out.U16(static_cast<uint16_t>(a.type | kAttributeFormatTv)).U16(*tv);
    } else {
      const Bytes& v = std::get<Bytes>(a.value);
      out.U16(a.type & ~kAttributeFormatTv).U16(static_cast<uint16_t>(v.size())).Append(v);
    }
  }
  out.PatchU16(length, static_cast<uint16_t>(out.size() - start));
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

bool IsAdditionalKe(TT t) { return t >= TT::kAke1 && t <= TT::kAke7; }  // RFC 9370 §2.2

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

void Write(const SaPayload& sa, ByteWriter& out) {
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    out.U8(i + 1 == sa.proposals.size() ? 0 : kMoreProposals).U8(0);
    const size_t length = out.ReserveU16();
    const size_t start = length - 2;
    out.U8(p.proposal_num).U8(static_cast<uint8_t>(p.protocol_id)).U8(static_cast<uint8_t>(p.spi.size()));
    out.U8(static_cast<uint8_t>(p.transforms.size())).Append(p.spi);
    for (size_t t = 0; t < p.transforms.size(); ++t) WriteTransform(p.transforms[t], t + 1 == p.transforms.size(), out);
    out.PatchU16(length, static_cast<uint16_t>(out.size() - start));
  }
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
    const ProtocolRule* rule = nullptr;
    for (const ProtocolRule& r : kProtocolRules)
      if (r.protocol == p.protocol_id) rule = &r;
    if (rule == nullptr) continue;  // §3.3.6: a proposal for an unknown protocol is simply not chosen
    ENSURE(p.spi.size() == rule->spi_sizes[0] || p.spi.size() == rule->spi_sizes[1], kInvalidSyntax, offset,
           "rfc7296#section-3.3.1",
           fmt::format("proposal {} ({}): SPI Size {}", p.proposal_num, iana::Name(p.protocol_id), p.spi.size()));
    bool aead = false;
    for (const Transform& t : p.transforms) {
      const bool allowed = std::find(rule->allowed.begin(), rule->allowed.end(), t.type) != rule->allowed.end() ||
                           IsAdditionalKe(t.type);
      //= rfc7296#section-3.3.3
      //# A transform type the protocol does not use makes the proposal invalid.
      ENSURE(allowed || static_cast<uint8_t>(t.type) > static_cast<uint8_t>(TT::kGcaut), kInvalidSyntax, offset,
             "rfc7296#section-3.3.3",
             fmt::format("proposal {} ({}): transform type {} is not used with this protocol", p.proposal_num,
                         iana::Name(p.protocol_id), iana::Name(t.type)));
      if (t.type == TT::kEncr) {
        const crypto::EncrTransform* encr = crypto::FindEncr(static_cast<iana::Encr>(t.id));
        aead = aead || (encr != nullptr && encr->aead);
        TRY(VerifyKeyLength(p, t, offset));
      }
      for (const TransformAttribute& a : t.attributes) {
        //= rfc7296#section-3.3.5
        //# Key Length is a TV-format attribute.
        ENSURE(a.type != static_cast<uint16_t>(iana::TransformAttribute::kKeyLength) ||
                   std::holds_alternative<uint16_t>(a.value),
               kInvalidSyntax, offset, "rfc7296#section-3.3.5",
               fmt::format("proposal {}: Key Length in TLV format", p.proposal_num));
      }
    }
    for (TT type : rule->mandatory) {
      const bool present =
          std::any_of(p.transforms.begin(), p.transforms.end(), [&](const Transform& t) { return t.type == type; });
      ENSURE(present, kInvalidSyntax, offset, "rfc7296#section-3.3.3",
             fmt::format("proposal {} ({}) has no {} transform", p.proposal_num, iana::Name(p.protocol_id),
                         iana::Name(type)));
    }
    //= rfc7296#section-3.3.3
    //# An IKE proposal needs an integrity transform unless its cipher is a
    //# combined-mode one (RFC 5282 §8 forbids one with a combined-mode cipher).
    const bool has_integ = std::any_of(p.transforms.begin(), p.transforms.end(),
                                       [](const Transform& t) { return t.type == TT::kInteg; });
    if (p.protocol_id == iana::SecurityProtocol::kIke && !aead)
      ENSURE(has_integ, kInvalidSyntax, offset, "rfc7296#section-3.3.3",
             fmt::format("proposal {} (IKE) has no INTEG transform and its cipher is not combined-mode",
                         p.proposal_num));
  }
  return OkStatus();
}

}  // namespace ipsecref::ike
