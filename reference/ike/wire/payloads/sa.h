// Security Association payload (RFC 7296 §3.3): proposals, each a list of
// transforms, each with optional attributes.
//
// SA payload:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                          <Proposals>                          ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Proposal substructure (§3.3.1):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Last Substruc |   RESERVED    |         Proposal Length       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        SPI (variable)                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        <Transforms>                           ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Transform substructure (§3.3.2):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Last Substruc |   RESERVED    |        Transform Length       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Transform Type |   RESERVED    |          Transform ID         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                      Transform Attributes                     ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Transform attribute (§3.3.5):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |A|       Attribute Type        |    AF=0  Attribute Length     |
// |F|                             |    AF=1  Attribute Value      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                   AF=0  Attribute Value                       |
// |                   AF=1  Not Transmitted                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <optional>
#include <variant>

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct TransformAttribute {
  uint16_t type = 0;  // without the AF bit
  // TV format (AF=1) holds a 16-bit value; TLV format (AF=0) a byte string.
  std::variant<uint16_t, Bytes> value;
  bool operator==(const TransformAttribute&) const = default;
};

struct Transform {
  iana::TransformType type = iana::TransformType::kEncr;
  uint16_t id = 0;
  std::vector<TransformAttribute> attributes;
  bool operator==(const Transform&) const = default;
  // The Key Length attribute (§3.3.5), when present in TV format.
  std::optional<uint16_t> key_length() const;
};

struct Proposal {
  uint8_t proposal_num = 1;
  iana::SecurityProtocol protocol_id = iana::SecurityProtocol::kIke;
  Bytes spi;
  std::vector<Transform> transforms;
  bool operator==(const Proposal&) const = default;
};

struct SaPayload {
  std::vector<Proposal> proposals;
  bool operator==(const SaPayload&) const = default;
};

// Syntax only: a proposal whose protocol, Transform Types, Transform IDs or
// attributes are unknown is parsed like any other (Acceptable() judges it).
// Returns kInvalidSyntax for lengths, counts or Last Substruc values that do
// not add up.
Result<SaPayload> ParseSa(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const SaPayload& p, ByteWriter& out);
// Proposal numbering, SPI sizes per protocol, Key Length in TV format and
// where the cipher wants it (§3.3.1, §3.3.5). Returns kInvalidSyntax at
// `offset`. What a responder does not understand is not a syntax error: see
// Acceptable().
Status Verify(const SaPayload& p, size_t offset);

// Whether a responder may choose `p`, per §3.3.6: its protocol and every
// Transform Type it holds are understood for that protocol, each type it
// offers keeps at least one transform whose ID and attributes are understood,
// and no mandatory type is missing. Returns OK, or kNoProposalChosen at
// `offset` saying why the proposal is unacceptable.
Status Acceptable(const Proposal& p, size_t offset);
// The proposals a responder chooses among, most preferred first: the
// acceptable ones (§3.3.6: the others are passed over, not an error).
std::vector<const Proposal*> AcceptableProposals(const SaPayload& sa);

}  // namespace ipsecref::ike
