// IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registries as
// enums with their registered names. Transform Types 1-3 (Encr, Prf, Integ)
// live in iana.h, which this header includes, so one include gives the whole
// IKEv2 registry.
//
// Every Name() returns the registry's own spelling of a value and "" for a
// value the table does not hold (the caller prints the number). Choices where
// the registry has no short token:
//   - PayloadType: the notation of RFC 7296 §3.2 ("SA", "KE", "IDi", "N",
//     "D", "V", "TSi", "SK", ...; "Nonce" for Ni/Nr, "NONE" for 0).
//     PayloadLongName() gives the registry's full name.
//   - KeGroup: upper-case tokens in the strongSwan/Libreswan manner
//     ("MODP_2048", "ECP_256", "MODP_2048_256", "BRAINPOOL_P256R1",
//     "CURVE25519", "GOST3410_2012_256", "ML_KEM_768"), since the registry
//     names most groups with a phrase ("2048-bit MODP Group").
//   - TransformType: the registry's abbreviation ("ENCR", "KE", "SN" — the
//     registry renamed "ESN" to "SN" — "ADDKE1", "KWA", "GCAUTH").
//   - AuthMethod, CertEncoding, HashAlgorithm, TransformAttribute, EsnType:
//     the registry's phrase ("RSA Digital Signature", "SHA2-256").
// *FromName() matches exactly (case-sensitive) against the same spelling.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "reference/iana/iana.h"

namespace ipsecref::iana {

// IKEv2 Exchange Types (RFC 7296 §3.1).
enum class ExchangeType : uint8_t {
  kIkeSaInit = 34,
  kIkeAuth = 35,
  kCreateChildSa = 36,
  kInformational = 37,
  kIkeSessionResume = 38,  // RFC 5723
  kGsaAuth = 39,           // RFC 9838 (G-IKEv2)
  kGsaRegistration = 40,   // RFC 9838
  kGsaRekey = 41,          // RFC 9838
  kGsaInbandRekey = 42,    // RFC 9838
  kIkeIntermediate = 43,   // RFC 9242
  kIkeFollowupKe = 44,     // RFC 9370
};

// IKEv2 Payload Types (RFC 7296 §3.2 "Next Payload").
enum class PayloadType : uint8_t {
  kNone = 0,  // No Next Payload
  kSa = 33,
  kKe = 34,
  kIdi = 35,
  kIdr = 36,
  kCert = 37,
  kCertreq = 38,
  kAuth = 39,
  kNonce = 40,
  kNotify = 41,
  kDelete = 42,
  kVendorId = 43,
  kTsi = 44,
  kTsr = 45,
  kSk = 46,
  kCp = 47,
  kEap = 48,
  kGspm = 49,  // RFC 6467
  kIdg = 50,   // RFC 9838
  kGsa = 51,   // RFC 9838
  kKd = 52,    // RFC 9838
  kSkf = 53,   // RFC 7383
  kPs = 54,    // RFC 8019
};

// IKEv2 Transform Types (RFC 7296 §3.3.2; 6..12 renamed by RFC 9370).
enum class TransformType : uint8_t {
  kEncr = 1,
  kPrf = 2,
  kInteg = 3,
  kKe = 4,   // "Key Exchange Method" (was "Diffie-Hellman Group"), RFC 9370
  kEsn = 5,  // "Sequence Numbers (SN)", formerly "Extended Sequence Numbers"
  kAke1 = 6,  // Additional Key Exchange 1..7, RFC 9370
  kAke2 = 7,
  kAke3 = 8,
  kAke4 = 9,
  kAke5 = 10,
  kAke6 = 11,
  kAke7 = 12,
  kKwa = 13,    // Key Wrap Algorithm, RFC 9838
  kGcaut = 14,  // "GCAUTH", Group Controller Authentication Method, RFC 9838
};

// IKEv2 Security Protocol Identifiers (RFC 7296 §3.3.1).
enum class SecurityProtocol : uint8_t {
  kIke = 1,
  kAh = 2,
  kEsp = 3,
  kFcEspHeader = 4,         // RFC 4595
  kFcCtAuthentication = 5,  // RFC 4595
  kGikeUpdate = 6,          // RFC 9838
};

// Transform Type 4 — Key Exchange Method Transform IDs (formerly
// "Diffie-Hellman Group Transform IDs").
enum class KeGroup : uint16_t {
  kNone = 0,              // RFC 9370 (also RFC 7296 for "no group")
  kModp768 = 1,           // RFC 7296 App. B.1
  kModp1024 = 2,          // RFC 7296 App. B.2
  kModp1536 = 5,          // RFC 3526
  kModp2048 = 14,         // RFC 3526
  kModp3072 = 15,         // RFC 3526
  kModp4096 = 16,         // RFC 3526
  kModp6144 = 17,         // RFC 3526
  kModp8192 = 18,         // RFC 3526
  kEcp256 = 19,           // RFC 5903
  kEcp384 = 20,           // RFC 5903
  kEcp521 = 21,           // RFC 5903
  kModp1024s160 = 22,     // RFC 5114
  kModp2048s224 = 23,     // RFC 5114
  kModp2048s256 = 24,     // RFC 5114
  kEcp192 = 25,           // RFC 5114
  kEcp224 = 26,           // RFC 5114
  kBrainpoolP224r1 = 27,  // RFC 6954
  kBrainpoolP256r1 = 28,  // RFC 6954
  kBrainpoolP384r1 = 29,  // RFC 6954
  kBrainpoolP512r1 = 30,  // RFC 6954
  kCurve25519 = 31,       // RFC 8031
  kCurve448 = 32,         // RFC 8031
  kGost3410_2012_256 = 33,  // RFC 9385
  kGost3410_2012_512 = 34,  // RFC 9385
  kMlKem512 = 35,           // draft-ietf-ipsecme-ikev2-mlkem ("ml-kem-512")
  kMlKem768 = 36,           // draft-ietf-ipsecme-ikev2-mlkem
  kMlKem1024 = 37,          // draft-ietf-ipsecme-ikev2-mlkem
};

// Transform Type 5 — Sequence Numbers Transform IDs (formerly "Extended
// Sequence Numbers Transform IDs"; RFC 7296 §3.3.2 names 0 "No Extended
// Sequence Numbers" and 1 "Extended Sequence Numbers").
enum class EsnType : uint16_t {
  kNoEsn = 0,
  kEsn = 1,
  kUnspecified32Bit = 2,  // RFC 9838
};

// IKEv2 Authentication Method (RFC 7296 §3.8).
enum class AuthMethod : uint8_t {
  kRsaDigitalSignature = 1,
  kSharedKeyMic = 2,
  kDssDigitalSignature = 3,
  kEcdsaSha256P256 = 9,        // RFC 4754
  kEcdsaSha384P384 = 10,       // RFC 4754
  kEcdsaSha512P521 = 11,       // RFC 4754
  kGenericSecurePassword = 12,  // RFC 6467
  kNullAuthentication = 13,    // RFC 7619
  kDigitalSignature = 14,      // RFC 7427
};

// IKEv2 Identification Payload ID Types (RFC 7296 §3.5).
enum class IdType : uint8_t {
  kIpv4Addr = 1,
  kFqdn = 2,
  kRfc822Addr = 3,
  kIpv6Addr = 5,
  kDerAsn1Dn = 9,
  kDerAsn1Gn = 10,
  kKeyId = 11,
  kFcName = 12,  // RFC 4595
  kNull = 13,    // RFC 7619
};

// IKEv2 Certificate Encodings (RFC 7296 §3.6).
enum class CertEncoding : uint8_t {
  kPkcs7X509 = 1,
  kPgp = 2,
  kDnsSignedKey = 3,
  kX509Signature = 4,
  kKerberosToken = 6,
  kCrl = 7,
  kArl = 8,
  kSpki = 9,
  kX509Attribute = 10,
  kRawRsaKey = 11,  // deprecated by RFC 7296
  kHashUrlX509Cert = 12,
  kHashUrlX509Bundle = 13,
  kOcspContent = 14,   // RFC 4806
  kRawPublicKey = 15,  // RFC 7670
};

// IKEv2 Traffic Selector Types (RFC 7296 §3.13.1).
enum class TsType : uint8_t {
  kIpv4AddrRange = 7,
  kIpv6AddrRange = 8,
  kFcAddrRange = 9,  // RFC 4595
  kSecLabel = 10,    // RFC 9478
};

// IKEv2 Configuration Payload CFG Types (RFC 7296 §3.15).
enum class CfgType : uint8_t {
  kRequest = 1,
  kReply = 2,
  kSet = 3,
  kAck = 4,
};

// IKEv2 Configuration Payload Attribute Types (RFC 7296 §3.15.1).
enum class CfgAttribute : uint16_t {
  kInternalIp4Address = 1,
  kInternalIp4Netmask = 2,
  kInternalIp4Dns = 3,
  kInternalIp4Nbns = 4,
  kInternalIp4Dhcp = 6,
  kApplicationVersion = 7,
  kInternalIp6Address = 8,
  kInternalIp6Dns = 10,
  kInternalIp6Dhcp = 12,
  kInternalIp4Subnet = 13,
  kSupportedAttributes = 14,
  kInternalIp6Subnet = 15,
  kMip6HomePrefix = 16,         // RFC 5026
  kInternalIp6Link = 17,        // RFC 5739
  kInternalIp6Prefix = 18,      // RFC 5739
  kHomeAgentAddress = 19,       // 3GPP TS 24.302
  kP_Cscf_Ip4Address = 20,      // RFC 7651
  kP_Cscf_Ip6Address = 21,      // RFC 7651
  kFttKat = 22,                 // 3GPP TS 24.302
  kExternalSourceIp4NatInfo = 23,           // 3GPP TS 24.302
  kTimeoutPeriodForLivenessCheck = 24,      // 3GPP TS 24.302
  kInternalDnsDomain = 25,      // RFC 8598
  kInternalDnssecTa = 26,       // RFC 8598
  kEncdnsIp4 = 27,              // RFC 9464
  kEncdnsIp6 = 28,              // RFC 9464
  kEncdnsDigestInfo = 29,       // RFC 9464
};

// IKEv2 Transform Attribute Types (RFC 7296 §3.3.5); the value without the
// Attribute Format (AF) bit.
enum class TransformAttribute : uint16_t {
  kKeyLength = 14,
  kSignatureAlgorithmIdentifier = 18,  // RFC 9838 (GCAUTH)
};

// IKEv2 Hash Algorithms (RFC 7427 §7), carried in SIGNATURE_HASH_ALGORITHMS.
enum class HashAlgorithm : uint16_t {
  kSha1 = 1,
  kSha2_256 = 2,
  kSha2_384 = 3,
  kSha2_512 = 4,
  kIdentity = 5,     // RFC 8420
  kStreebog256 = 6,  // RFC 9385
  kStreebog512 = 7,  // RFC 9385
};

// IKEv2 Notify Message Types: Error Types (1..16383) and Status Types
// (16384..). RFC 7296 §3.10.1 unless a comment names another document.
enum class NotifyType : uint16_t {
  // Error types.
  kUnsupportedCriticalPayload = 1,
  kInvalidIkeSpi = 4,
  kInvalidMajorVersion = 5,
  kInvalidSyntax = 7,
  kInvalidMessageId = 9,
  kInvalidSpi = 11,
  kNoProposalChosen = 14,
  kInvalidKePayload = 17,
  kAuthenticationFailed = 24,
  kSinglePairRequired = 34,
  kNoAdditionalSas = 35,
  kInternalAddressFailure = 36,
  kFailedCpRequired = 37,
  kTsUnacceptable = 38,
  kInvalidSelectors = 39,
  kUnacceptableAddresses = 40,   // RFC 4555
  kUnexpectedNatDetected = 41,   // RFC 4555
  kUseAssignedHoa = 42,          // RFC 5026
  kTemporaryFailure = 43,
  kChildSaNotFound = 44,
  kInvalidGroupId = 45,          // RFC 9838
  kAuthorizationFailed = 46,     // RFC 9838
  kStateNotFound = 47,           // RFC 9370
  kTsMaxQueue = 48,              // RFC 9611
  kRegistrationFailed = 49,      // RFC 9838
  // Status types.
  kInitialContact = 16384,
  kSetWindowSize = 16385,
  kAdditionalTsPossible = 16386,
  kIpcompSupported = 16387,
  kNatDetectionSourceIp = 16388,
  kNatDetectionDestinationIp = 16389,
  kCookie = 16390,
  kUseTransportMode = 16391,
  kHttpCertLookupSupported = 16392,
  kRekeySa = 16393,
  kEspTfcPaddingNotSupported = 16394,
  kNonFirstFragmentsAlso = 16395,
  kMobikeSupported = 16396,             // RFC 4555
  kAdditionalIp4Address = 16397,        // RFC 4555
  kAdditionalIp6Address = 16398,        // RFC 4555
  kNoAdditionalAddresses = 16399,       // RFC 4555
  kUpdateSaAddresses = 16400,           // RFC 4555
  kCookie2 = 16401,                     // RFC 4555
  kNoNatsAllowed = 16402,               // RFC 4555
  kAuthLifetime = 16403,                // RFC 4478
  kMultipleAuthSupported = 16404,       // RFC 4739
  kAnotherAuthFollows = 16405,          // RFC 4739
  kRedirectSupported = 16406,           // RFC 5685
  kRedirect = 16407,                    // RFC 5685
  kRedirectedFrom = 16408,              // RFC 5685
  kTicketLtOpaque = 16409,              // RFC 5723
  kTicketRequest = 16410,               // RFC 5723
  kTicketAck = 16411,                   // RFC 5723
  kTicketNack = 16412,                  // RFC 5723
  kTicketOpaque = 16413,                // RFC 5723
  kLinkId = 16414,                      // RFC 5739
  kUseWespMode = 16415,                 // RFC 5840
  kRohcSupported = 16416,               // RFC 5857
  kEapOnlyAuthentication = 16417,       // RFC 5998
  kChildlessIkev2Supported = 16418,     // RFC 6023
  kQuickCrashDetection = 16419,         // RFC 6290
  kIkev2MessageIdSyncSupported = 16420,       // RFC 6311
  kIpsecReplayCounterSyncSupported = 16421,   // RFC 6311
  kIkev2MessageIdSync = 16422,                // RFC 6311
  kIpsecReplayCounterSync = 16423,            // RFC 6311
  kSecurePasswordMethods = 16424,       // RFC 6467
  kPskPersist = 16425,                  // RFC 6631
  kPskConfirm = 16426,                  // RFC 6631
  kErxSupported = 16427,                // RFC 6867
  kIfomCapability = 16428,              // 3GPP TS 24.303
  kGroupSender = 16429,                 // RFC 9838 (was SENDER_REQUEST_ID)
  kIkev2FragmentationSupported = 16430,  // RFC 7383
  kSignatureHashAlgorithms = 16431,     // RFC 7427
  kCloneIkeSaSupported = 16432,         // RFC 7791
  kCloneIkeSa = 16433,                  // RFC 7791
  kPuzzle = 16434,                      // RFC 8019
  kUsePpk = 16435,                      // RFC 8784
  kPpkIdentity = 16436,                 // RFC 8784
  kNoPpkAuth = 16437,                   // RFC 8784
  kIntermediateExchangeSupported = 16438,  // RFC 9242
  kIp4Allowed = 16439,                  // RFC 8983
  kIp6Allowed = 16440,                  // RFC 8983
  kAdditionalKeyExchange = 16441,       // RFC 9370
  kUseAggfrag = 16442,                  // RFC 9347
  kSupportedAuthMethods = 16443,        // RFC 9593
  kSaResourceInfo = 16444,              // RFC 9611
  kUsePpkInt = 16445,                   // RFC 9867
  kPpkIdentityKey = 16446,              // RFC 9867
  // draft-ietf-ipsecme-ikev2-downgrade-prevention; value taken from
  // implementations (Libreswan, strongSwan), not from a published RFC.
  kIkeSaInitFullTranscriptAuth = 16447,
};

// The first Status Type; everything below it is an Error Type.
inline constexpr uint16_t kFirstNotifyStatusType = 16384;

//= rfc7296#section-3.10.1
//# Notify types below 16384 report errors; 16384 and above report status.
constexpr bool IsError(NotifyType t) {
  return static_cast<uint16_t>(t) < kFirstNotifyStatusType;
}

// One registered value and its Name(): the rows of a registry table.
template <typename E>
struct Registered {
  E value;
  std::string_view name;
};

// Every value this module knows for registry E, in ascending order.
template <typename E>
std::span<const Registered<E>> Registry();
template <> std::span<const Registered<ExchangeType>> Registry();
template <> std::span<const Registered<PayloadType>> Registry();
template <> std::span<const Registered<TransformType>> Registry();
template <> std::span<const Registered<SecurityProtocol>> Registry();
template <> std::span<const Registered<KeGroup>> Registry();
template <> std::span<const Registered<EsnType>> Registry();
template <> std::span<const Registered<AuthMethod>> Registry();
template <> std::span<const Registered<IdType>> Registry();
template <> std::span<const Registered<CertEncoding>> Registry();
template <> std::span<const Registered<TsType>> Registry();
template <> std::span<const Registered<CfgType>> Registry();
template <> std::span<const Registered<CfgAttribute>> Registry();
template <> std::span<const Registered<TransformAttribute>> Registry();
template <> std::span<const Registered<HashAlgorithm>> Registry();
template <> std::span<const Registered<NotifyType>> Registry();

std::string_view Name(ExchangeType v);
std::string_view Name(PayloadType v);
std::string_view Name(TransformType v);
std::string_view Name(SecurityProtocol v);
std::string_view Name(KeGroup v);
std::string_view Name(EsnType v);
std::string_view Name(AuthMethod v);
std::string_view Name(IdType v);
std::string_view Name(CertEncoding v);
std::string_view Name(TsType v);
std::string_view Name(CfgType v);
std::string_view Name(CfgAttribute v);
std::string_view Name(TransformAttribute v);
std::string_view Name(HashAlgorithm v);
std::string_view Name(NotifyType v);

// The payload's full name as RFC 7296 §3.2 lists it ("Security Association");
// "" for an unregistered value.
std::string_view PayloadLongName(PayloadType v);

std::optional<ExchangeType> ExchangeTypeFromName(std::string_view name);
std::optional<PayloadType> PayloadTypeFromName(std::string_view name);
std::optional<TransformType> TransformTypeFromName(std::string_view name);
std::optional<SecurityProtocol> SecurityProtocolFromName(std::string_view name);
std::optional<KeGroup> KeGroupFromName(std::string_view name);
std::optional<EsnType> EsnTypeFromName(std::string_view name);
std::optional<AuthMethod> AuthMethodFromName(std::string_view name);
std::optional<IdType> IdTypeFromName(std::string_view name);
std::optional<CertEncoding> CertEncodingFromName(std::string_view name);
std::optional<TsType> TsTypeFromName(std::string_view name);
std::optional<CfgType> CfgTypeFromName(std::string_view name);
std::optional<CfgAttribute> CfgAttributeFromName(std::string_view name);
std::optional<TransformAttribute> TransformAttributeFromName(std::string_view name);
std::optional<HashAlgorithm> HashAlgorithmFromName(std::string_view name);
std::optional<NotifyType> NotifyTypeFromName(std::string_view name);

}  // namespace ipsecref::iana
