// Error codes of the reference, grouped by category. Every rejection in the
// stack carries one of these, the offset where it was found, and the
// requirement (RFC section) that it breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ipsecref {

enum class Category : uint8_t {
  kParse = 1,     // bytes that do not form the structure they claim to be
  kProtocol = 2,  // well-formed bytes that break a protocol rule
  kCrypto = 3,    // integrity, decryption or key problems
  kIo = 4,        // files, sockets, captures
  kUsage = 5,     // a caller asked for something that cannot be done
};

// X(name, category, audit, description)
// `audit` marks the codes that RFC 4303 / RFC 4302 / RFC 4301 call auditable events.
#define IPSECREF_CODES(X)                                                              \
  X(kTruncated, kParse, false, "input ends before the structure does")                 \
  X(kTrailingBytes, kParse, false, "bytes left over after the structure")              \
  X(kBadLength, kParse, false, "a length field disagrees with the data")               \
  X(kBadVersion, kParse, false, "unsupported version")                                 \
  X(kBadHeader, kParse, false, "malformed header")                                     \
  X(kBadHex, kParse, false, "malformed hexadecimal")                                   \
  X(kBadChecksum, kParse, false, "checksum mismatch")                                  \
  X(kNoSa, kProtocol, true, "no valid SA for the SPI")                                 \
  X(kReplay, kProtocol, true, "sequence number already seen (replay)")                 \
  X(kStale, kProtocol, true, "sequence number left of the replay window")              \
  X(kSequenceOverflow, kProtocol, true, "sequence number would cycle; rekey the SA")   \
  X(kBadPadding, kProtocol, false, "padding is not the default 1, 2, 3, ... sequence") \
  X(kBadPadLength, kProtocol, false, "pad length exceeds the decrypted payload")       \
  X(kBadNextHeader, kProtocol, false, "next header not acceptable")                    \
  X(kDummyPacket, kProtocol, false, "dummy packet (next header 59), discarded")        \
  X(kBadInnerPacket, kProtocol, false, "decrypted inner packet is not sane")           \
  X(kBadAlignment, kProtocol, false, "ciphertext not aligned to the block size")       \
  X(kBadSpi, kProtocol, false, "reserved SPI value")                                   \
  X(kFragment, kProtocol, false, "IPsec packet is a fragment; reassemble first")       \
  X(kNotIpsec, kProtocol, false, "packet carries no ESP or AH")                       \
  X(kIkev1Message, kProtocol, false, "IKEv1 (ISAKMP) message, not IKEv2")               \
  X(kPayloadMalformed, kParse, false, "an ISAKMP (IKEv1) payload breaks its syntax rules") \
  X(kUnsupportedCriticalPayload, kProtocol, false, "unknown payload marked critical") \
  X(kInvalidSyntax, kProtocol, false, "message breaks an IKEv2 syntax rule")            \
  X(kInvalidKePayload, kProtocol, false, "KE payload group not the one proposed")       \
  X(kNoProposalChosen, kProtocol, false, "no proposal of the SA payload is acceptable")  \
  X(kBadFragment, kProtocol, false, "IKEv2 fragment out of range or inconsistent")     \
  X(kAuthenticationFailed, kProtocol, false, "the peer's AUTH payload or identity is not accepted")   \
  X(kTsUnacceptable, kProtocol, false, "no traffic selectors of the request are acceptable")       \
  X(kTemporaryFailure, kProtocol, false, "the request collides with an exchange under way; retry")  \
  X(kChildSaNotFound, kProtocol, false, "no CHILD SA with the SPI the request names")              \
  X(kInternalAddressFailure, kProtocol, false, "no internal (virtual) address can be assigned")    \
  X(kFailedCpRequired, kProtocol, false, "a CFG_REQUEST was required and not sent")             \
  X(kBadPlacement, kProtocol, false, "placement breaks a multi-SPU anchoring rule")    \
  X(kFragmentOverlap, kProtocol, false, "IP fragments overlap; the datagram is discarded") \
  X(kReassemblyTimeout, kProtocol, false, "IP datagram still incomplete when reassembly ended") \
  X(kReassemblyLimit, kProtocol, false, "reassembly buffers full; the oldest datagram dropped") \
  X(kPolicyMismatch, kProtocol, true, "decrypted packet does not match the selectors of its SA") \
  X(kDiscarded, kProtocol, false, "packet silently discarded: nothing is sent and the exchange waits on") \
  X(kIcvMismatch, kCrypto, true, "integrity check value mismatch")                     \
  X(kBadSignature, kCrypto, false, "signature does not verify")                          \
  X(kBadKeyLength, kCrypto, false, "key length not allowed for the transform")         \
  X(kUnknownTransform, kCrypto, false, "transform not implemented")                    \
  X(kBadTransformCombination, kCrypto, false, "transforms cannot be combined")         \
  X(kIvExhausted, kCrypto, false, "IV space exhausted under this key")                 \
  X(kBadPublicValue, kCrypto, false, "key exchange public value is not valid for its group") \
  X(kIoError, kIo, false, "input/output failed")                                       \
  X(kBadFile, kIo, false, "file content is malformed")                                 \
  X(kInvalidArgument, kUsage, false, "invalid argument")                               \
  X(kUnsupported, kUsage, false, "not supported")                                     \
  X(kLengthOverflow, kUsage, false, "too long or too many for its length or count field")

enum class Code : uint16_t {
#define IPSECREF_CODE_ENUM(name, cat, audit, text) name,
  IPSECREF_CODES(IPSECREF_CODE_ENUM)
#undef IPSECREF_CODE_ENUM
};

#define IPSECREF_CODE_COUNT(name, cat, audit, text) +1
inline constexpr size_t kCodeCount = 0 IPSECREF_CODES(IPSECREF_CODE_COUNT);
#undef IPSECREF_CODE_COUNT

struct CodeInfo {
  std::string_view name;  // without the leading 'k'
  Category category;
  bool auditable;
  std::string_view description;
};

const CodeInfo& Describe(Code code);
std::string_view CategoryName(Category category);

}  // namespace ipsecref
