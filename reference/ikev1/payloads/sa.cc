#include "reference/ikev1/payloads/sa.h"

#include <fmt/format.h>

#include "reference/ikev1/header.h"

namespace ipsecref::ikev1 {
namespace {

// One substructure's generic header: Next Payload, RESERVED, Payload Length.
// Returns the reader over its body.
Result<ByteReader> ReadSubstructure(ByteReader& in, uint8_t& next, std::string_view what, Notes& notes) {
  const size_t at = in.offset();
  uint8_t reserved = 0;
  uint16_t length = 0;
  ENSURE(in.ReadU8(next) && in.ReadU8(reserved) && in.ReadU16(length), kPayloadMalformed, at,
         "rfc2408#section-3.2", fmt::format("{}: generic header needs 4 bytes, {} left", what, in.remaining()));
  NoteReserved(notes, reserved, at + 1, what);
  ENSURE(length >= kGenericPayloadHeaderSize, kPayloadMalformed, at + 2, "rfc2408#section-3.2",
         fmt::format("{}: Payload Length {} is shorter than the generic header", what, length));
  ByteReader body;
  ENSURE(in.ReadChild(length - kGenericPayloadHeaderSize, body), kPayloadMalformed, at + 2, "rfc2408#section-3.2",
         fmt::format("{}: Payload Length {} runs past its container ({} bytes left)", what, length,
                     in.remaining() + kGenericPayloadHeaderSize));
  return body;
}

Result<Transform> ParseTransform(ByteReader& t, std::string_view what, Notes& notes) {
  Transform transform;
  uint16_t reserved2 = 0;
  const size_t at = t.offset();
  ENSURE(t.ReadU8(transform.transform_num) && t.ReadU8(transform.transform_id) && t.ReadU16(reserved2),
         kPayloadMalformed, at, "rfc2408#section-3.6",
         fmt::format("{}: needs 4 bytes after its generic header, has {}", what, t.remaining()));
  NoteReserved(notes, reserved2, at + 2, what);
  TRY_ASSIGN(transform.attributes, ParseDataAttributes(t, what));
  return transform;
}

Result<Proposal> ParseProposal(ByteReader& p, std::string_view what, Notes& notes) {
  Proposal proposal;
  uint8_t spi_size = 0, transforms = 0;
  const size_t at = p.offset();
  ENSURE(p.ReadU8(proposal.proposal_num) && p.ReadU8(proposal.protocol_id) && p.ReadU8(spi_size) &&
             p.ReadU8(transforms),
         kPayloadMalformed, at, "rfc2408#section-3.5",
         fmt::format("{}: needs 4 bytes after its generic header, has {}", what, p.remaining()));
  ByteSpan spi;
  ENSURE(p.ReadBytes(spi_size, spi), kPayloadMalformed, at + 2, "rfc2408#section-3.5",
         fmt::format("{}: SPI Size {} runs past the proposal ({} bytes left)", what, spi_size, p.remaining()));
  proposal.spi.assign(spi.begin(), spi.end());
  //= rfc2408#section-3.6
  //# The transforms of a proposal follow its SPI, each but the last with
  //# Next Payload 3 (T), the last with 0; # of Transforms counts them.
  uint8_t next = 0;  // of the transform before
  for (unsigned i = 1; i <= transforms; ++i) {
    const std::string name = fmt::format("{} transform {}", what, i);
    ENSURE(i == 1 || next == static_cast<uint8_t>(PayloadType::kTransform), kPayloadMalformed, p.offset(),
           "rfc2408#section-3.5",
           fmt::format("{}: # of Transforms is {} but transform {} has Next Payload 0", what, transforms, i - 1));
    TRY_ASSIGN(ByteReader t, ReadSubstructure(p, next, name, notes));
    ENSURE(next == 0 || next == static_cast<uint8_t>(PayloadType::kTransform), kPayloadMalformed, t.offset() - 4,
           "rfc2408#section-3.6", fmt::format("{}: Next Payload {}; a transform is followed by 3 (T) or 0", name, next));
    TRY_ASSIGN(Transform transform, ParseTransform(t, name, notes));
    proposal.transforms.push_back(std::move(transform));
  }
  ENSURE(next == 0, kPayloadMalformed, p.offset(), "rfc2408#section-3.5",
         fmt::format("{}: # of Transforms is {} but the last one announces another (Next Payload 3)", what, transforms));
  ENSURE(p.empty(), kPayloadMalformed, p.offset(), "rfc2408#section-3.5",
         fmt::format("{}: {} bytes after its {} transforms", what, p.remaining(), transforms));
  return proposal;
}

}  // namespace

Result<SaPayload> ParseSa(ByteReader& body, Notes& notes) {
  SaPayload sa;
  const size_t at = body.offset();
  ENSURE(body.ReadU32(sa.doi), kPayloadMalformed, at, "rfc2408#section-3.4",
         fmt::format("SA needs a 4-byte DOI, has {} bytes", body.remaining()));
  //= rfc2408#section-3.4
  //# The Situation's layout is the DOI's: ipsecref reads the IPsec DOI's.
  ENSURE(sa.doi == kDoiIpsec, kUnsupported, at, "rfc2408#section-3.4",
         fmt::format("DOI {}: only the IPsec DOI (1) is decoded", sa.doi));
  //= rfc2407#section-4.6.1
  //# The IPsec DOI's Situation is a 32-bit bitmap; SIT_SECRECY and
  //# SIT_INTEGRITY add labelled-domain fields after it.
  ENSURE(body.ReadU32(sa.situation), kPayloadMalformed, at + 4, "rfc2407#section-4.6.1",
         fmt::format("SA needs a 4-byte Situation, has {} bytes", body.remaining()));
  ENSURE((sa.situation & 0x6) == 0, kUnsupported, at + 4, "rfc2407#section-4.6.1",
         fmt::format("Situation {}: labelled situations are not decoded", SituationName(sa.situation)));
  //= rfc2408#section-3.5
  //# Proposals follow the Situation, each but the last with Next Payload 2
  //# (P), the last with 0.
  uint8_t next = 0;  // of the proposal before
  while (!body.empty()) {
    const std::string name = fmt::format("proposal {}", sa.proposals.size() + 1);
    ENSURE(sa.proposals.empty() || next == static_cast<uint8_t>(PayloadType::kProposal), kPayloadMalformed,
           body.offset(),
           "rfc2408#section-3.5", fmt::format("{} bytes after the last proposal (Next Payload 0)", body.remaining()));
    TRY_ASSIGN(ByteReader p, ReadSubstructure(body, next, name, notes));
    ENSURE(next == 0 || next == static_cast<uint8_t>(PayloadType::kProposal), kPayloadMalformed, p.offset() - 4,
           "rfc2408#section-3.5", fmt::format("{}: Next Payload {}; a proposal is followed by 2 (P) or 0", name, next));
    TRY_ASSIGN(Proposal proposal, ParseProposal(p, name, notes));
    sa.proposals.push_back(std::move(proposal));
  }
  ENSURE(next == 0, kPayloadMalformed, body.offset(), "rfc2408#section-3.5",
         fmt::format("proposal {} announces another (Next Payload 2), but the SA ends", sa.proposals.size()));
  return sa;
}

Status Write(const SaPayload& p, ByteWriter& out) {
  out.U32(p.doi).U32(p.situation);
  for (size_t i = 0; i < p.proposals.size(); ++i) {
    const Proposal& proposal = p.proposals[i];
    const size_t start = out.size();
    out.U8(i + 1 < p.proposals.size() ? static_cast<uint8_t>(PayloadType::kProposal) : 0).U8(0);
    const ByteWriter::LengthPrefix length = out.ReserveLength(2, start);
    if (proposal.spi.size() > 0xff || proposal.transforms.size() > 0xff)
      return TooLong("rfc2408#section-3.5", fmt::format("proposal {}: SPI Size and # of Transforms are one octet",
                                                        i + 1));
    out.U8(proposal.proposal_num).U8(proposal.protocol_id).U8(static_cast<uint8_t>(proposal.spi.size()));
    out.U8(static_cast<uint8_t>(proposal.transforms.size())).Append(proposal.spi);
    for (size_t j = 0; j < proposal.transforms.size(); ++j) {
      const Transform& t = proposal.transforms[j];
      const size_t tstart = out.size();
      out.U8(j + 1 < proposal.transforms.size() ? static_cast<uint8_t>(PayloadType::kTransform) : 0).U8(0);
      const ByteWriter::LengthPrefix tlength = out.ReserveLength(2, tstart);
      out.U8(t.transform_num).U8(t.transform_id).U16(0);
      TRY(WriteDataAttributes(t.attributes, out));
      if (!out.FinishLength(tlength))
        return TooLong("rfc2408#section-3.6", fmt::format("proposal {} transform {} outgrows Payload Length", i + 1,
                                                          j + 1));
    }
    if (!out.FinishLength(length))
      return TooLong("rfc2408#section-3.5", fmt::format("proposal {} outgrows Payload Length", i + 1));
  }
  return OkStatus();
}

Status Verify(const SaPayload& p, size_t offset) {
  ENSURE(!p.proposals.empty(), kPayloadMalformed, offset, "rfc2408#section-3.4",
         "SA payload without a proposal");
  for (const Proposal& proposal : p.proposals) {
    //= rfc2408#section-3.5
    //# A proposal offers one or more transforms.
    ENSURE(!proposal.transforms.empty(), kPayloadMalformed, offset, "rfc2408#section-3.5",
           fmt::format("proposal {} offers no transform", proposal.proposal_num));
  }
  //= rfc2409#section-5
  //# A Phase 1 SA payload holds a single Proposal payload.
  ENSURE(p.proposals.front().protocol_id != kProtoIsakmp || p.proposals.size() == 1, kPayloadMalformed, offset,
         "rfc2409#section-5",
         fmt::format("Phase 1 SA (PROTO_ISAKMP) with {} proposals; IKE allows one", p.proposals.size()));
  return OkStatus();
}

}  // namespace ipsecref::ikev1
