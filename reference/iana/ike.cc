#include "reference/iana/ike.h"

#include <array>

// Tables transcribed from the IANA "Internet Key Exchange Version 2 (IKEv2)
// Parameters" registry as printed in RFC 7296 §3 and the later RFCs named in
// ike.h. Each table lists the registered values in ascending order.

namespace ipsecref::iana {
namespace {

template <typename E, size_t N>
using Table = std::array<Registered<E>, N>;

constexpr Table<ExchangeType, 11> kExchangeTypes{{
    {ExchangeType::kIkeSaInit, "IKE_SA_INIT"},
    {ExchangeType::kIkeAuth, "IKE_AUTH"},
    {ExchangeType::kCreateChildSa, "CREATE_CHILD_SA"},
    {ExchangeType::kInformational, "INFORMATIONAL"},
    {ExchangeType::kIkeSessionResume, "IKE_SESSION_RESUME"},
    {ExchangeType::kGsaAuth, "GSA_AUTH"},
    {ExchangeType::kGsaRegistration, "GSA_REGISTRATION"},
    {ExchangeType::kGsaRekey, "GSA_REKEY"},
    {ExchangeType::kGsaInbandRekey, "GSA_INBAND_REKEY"},
    {ExchangeType::kIkeIntermediate, "IKE_INTERMEDIATE"},
    {ExchangeType::kIkeFollowupKe, "IKE_FOLLOWUP_KE"},
}};

// Notation of RFC 7296 §3.2 (and of RFC 6467, 7383, 8019, 9838 for the later
// payloads).
constexpr Table<PayloadType, 23> kPayloadTypes{{
    {PayloadType::kNone, "NONE"},
    {PayloadType::kSa, "SA"},
    {PayloadType::kKe, "KE"},
    {PayloadType::kIdi, "IDi"},
    {PayloadType::kIdr, "IDr"},
    {PayloadType::kCert, "CERT"},
    {PayloadType::kCertreq, "CERTREQ"},
    {PayloadType::kAuth, "AUTH"},
    {PayloadType::kNonce, "Nonce"},
    {PayloadType::kNotify, "N"},
    {PayloadType::kDelete, "D"},
    {PayloadType::kVendorId, "V"},
    {PayloadType::kTsi, "TSi"},
    {PayloadType::kTsr, "TSr"},
    {PayloadType::kSk, "SK"},
    {PayloadType::kCp, "CP"},
    {PayloadType::kEap, "EAP"},
    {PayloadType::kGspm, "GSPM"},
    {PayloadType::kIdg, "IDg"},
    {PayloadType::kGsa, "GSA"},
    {PayloadType::kKd, "KD"},
    {PayloadType::kSkf, "SKF"},
    {PayloadType::kPs, "PS"},
}};

constexpr Table<PayloadType, 23> kPayloadLongNames{{
    {PayloadType::kNone, "No Next Payload"},
    {PayloadType::kSa, "Security Association"},
    {PayloadType::kKe, "Key Exchange"},
    {PayloadType::kIdi, "Identification - Initiator"},
    {PayloadType::kIdr, "Identification - Responder"},
    {PayloadType::kCert, "Certificate"},
    {PayloadType::kCertreq, "Certificate Request"},
    {PayloadType::kAuth, "Authentication"},
    {PayloadType::kNonce, "Nonce"},
    {PayloadType::kNotify, "Notify"},
    {PayloadType::kDelete, "Delete"},
    {PayloadType::kVendorId, "Vendor ID"},
    {PayloadType::kTsi, "Traffic Selector - Initiator"},
    {PayloadType::kTsr, "Traffic Selector - Responder"},
    {PayloadType::kSk, "Encrypted and Authenticated"},
    {PayloadType::kCp, "Configuration"},
    {PayloadType::kEap, "Extensible Authentication"},
    {PayloadType::kGspm, "Generic Secure Password Method"},     // RFC 6467
    {PayloadType::kIdg, "Group Identification"},                // RFC 9838
    {PayloadType::kGsa, "Group Security Association"},          // RFC 9838
    {PayloadType::kKd, "Key Download"},                         // RFC 9838
    {PayloadType::kSkf, "Encrypted and Authenticated Fragment"},  // RFC 7383
    {PayloadType::kPs, "Puzzle Solution"},                      // RFC 8019
}};

constexpr Table<TransformType, 14> kTransformTypes{{
    {TransformType::kEncr, "ENCR"},
    {TransformType::kPrf, "PRF"},
    {TransformType::kInteg, "INTEG"},
    {TransformType::kKe, "KE"},
    {TransformType::kEsn, "SN"},
    {TransformType::kAke1, "ADDKE1"},
    {TransformType::kAke2, "ADDKE2"},
    {TransformType::kAke3, "ADDKE3"},
    {TransformType::kAke4, "ADDKE4"},
    {TransformType::kAke5, "ADDKE5"},
    {TransformType::kAke6, "ADDKE6"},
    {TransformType::kAke7, "ADDKE7"},
    {TransformType::kKwa, "KWA"},
    {TransformType::kGcaut, "GCAUTH"},
}};

constexpr Table<SecurityProtocol, 6> kSecurityProtocols{{
    {SecurityProtocol::kIke, "IKE"},
    {SecurityProtocol::kAh, "AH"},
    {SecurityProtocol::kEsp, "ESP"},
    {SecurityProtocol::kFcEspHeader, "FC_ESP_HEADER"},
    {SecurityProtocol::kFcCtAuthentication, "FC_CT_AUTHENTICATION"},
    {SecurityProtocol::kGikeUpdate, "GIKE_UPDATE"},
}};

// Short tokens (see ike.h); the registry's phrase follows each.
constexpr Table<KeGroup, 28> kKeGroups{{
    {KeGroup::kNone, "NONE"},
    {KeGroup::kModp768, "MODP_768"},          // 768-bit MODP Group
    {KeGroup::kModp1024, "MODP_1024"},        // 1024-bit MODP Group
    {KeGroup::kModp1536, "MODP_1536"},        // 1536-bit MODP Group
    {KeGroup::kModp2048, "MODP_2048"},        // 2048-bit MODP Group
    {KeGroup::kModp3072, "MODP_3072"},        // 3072-bit MODP Group
    {KeGroup::kModp4096, "MODP_4096"},        // 4096-bit MODP Group
    {KeGroup::kModp6144, "MODP_6144"},        // 6144-bit MODP Group
    {KeGroup::kModp8192, "MODP_8192"},        // 8192-bit MODP Group
    {KeGroup::kEcp256, "ECP_256"},            // 256-bit random ECP group
    {KeGroup::kEcp384, "ECP_384"},            // 384-bit random ECP group
    {KeGroup::kEcp521, "ECP_521"},            // 521-bit random ECP group
    {KeGroup::kModp1024s160, "MODP_1024_160"},  // ... with 160-bit Prime Order Subgroup
    {KeGroup::kModp2048s224, "MODP_2048_224"},  // ... with 224-bit Prime Order Subgroup
    {KeGroup::kModp2048s256, "MODP_2048_256"},  // ... with 256-bit Prime Order Subgroup
    {KeGroup::kEcp192, "ECP_192"},            // 192-bit Random ECP Group
    {KeGroup::kEcp224, "ECP_224"},            // 224-bit Random ECP Group
    {KeGroup::kBrainpoolP224r1, "BRAINPOOL_P224R1"},  // brainpoolP224r1
    {KeGroup::kBrainpoolP256r1, "BRAINPOOL_P256R1"},
    {KeGroup::kBrainpoolP384r1, "BRAINPOOL_P384R1"},
    {KeGroup::kBrainpoolP512r1, "BRAINPOOL_P512R1"},
    {KeGroup::kCurve25519, "CURVE25519"},     // Curve25519
    {KeGroup::kCurve448, "CURVE448"},         // Curve448
    {KeGroup::kGost3410_2012_256, "GOST3410_2012_256"},
    {KeGroup::kGost3410_2012_512, "GOST3410_2012_512"},
    {KeGroup::kMlKem512, "ML_KEM_512"},       // ml-kem-512
    {KeGroup::kMlKem768, "ML_KEM_768"},
    {KeGroup::kMlKem1024, "ML_KEM_1024"},
}};

constexpr Table<EsnType, 3> kEsnTypes{{
    {EsnType::kNoEsn, "32-bit Sequential Numbers"},
    {EsnType::kEsn, "Partially Transmitted 64-bit Sequential Numbers"},
    {EsnType::kUnspecified32Bit, "32-bit Unspecified Numbers"},
}};

constexpr Table<AuthMethod, 9> kAuthMethods{{
    {AuthMethod::kRsaDigitalSignature, "RSA Digital Signature"},
    {AuthMethod::kSharedKeyMic, "Shared Key Message Integrity Code"},
    {AuthMethod::kDssDigitalSignature, "DSS Digital Signature"},
    {AuthMethod::kEcdsaSha256P256, "ECDSA with SHA-256 on the P-256 curve"},
    {AuthMethod::kEcdsaSha384P384, "ECDSA with SHA-384 on the P-384 curve"},
    {AuthMethod::kEcdsaSha512P521, "ECDSA with SHA-512 on the P-521 curve"},
    {AuthMethod::kGenericSecurePassword, "Generic Secure Password Authentication Method"},
    {AuthMethod::kNullAuthentication, "NULL Authentication"},
    {AuthMethod::kDigitalSignature, "Digital Signature"},
}};

constexpr Table<IdType, 9> kIdTypes{{
    {IdType::kIpv4Addr, "ID_IPV4_ADDR"},
    {IdType::kFqdn, "ID_FQDN"},
    {IdType::kRfc822Addr, "ID_RFC822_ADDR"},
    {IdType::kIpv6Addr, "ID_IPV6_ADDR"},
    {IdType::kDerAsn1Dn, "ID_DER_ASN1_DN"},
    {IdType::kDerAsn1Gn, "ID_DER_ASN1_GN"},
    {IdType::kKeyId, "ID_KEY_ID"},
    {IdType::kFcName, "ID_FC_NAME"},
    {IdType::kNull, "ID_NULL"},
}};

constexpr Table<CertEncoding, 14> kCertEncodings{{
    {CertEncoding::kPkcs7X509, "PKCS #7 wrapped X.509 certificate"},
    {CertEncoding::kPgp, "PGP Certificate"},
    {CertEncoding::kDnsSignedKey, "DNS Signed Key"},
    {CertEncoding::kX509Signature, "X.509 Certificate - Signature"},
    {CertEncoding::kKerberosToken, "Kerberos Token"},
    {CertEncoding::kCrl, "Certificate Revocation List (CRL)"},
    {CertEncoding::kArl, "Authority Revocation List (ARL)"},
    {CertEncoding::kSpki, "SPKI Certificate"},
    {CertEncoding::kX509Attribute, "X.509 Certificate - Attribute"},
    {CertEncoding::kRawRsaKey, "Raw RSA Key"},
    {CertEncoding::kHashUrlX509Cert, "Hash and URL of X.509 certificate"},
    {CertEncoding::kHashUrlX509Bundle, "Hash and URL of X.509 bundle"},
    {CertEncoding::kOcspContent, "OCSP Content"},
    {CertEncoding::kRawPublicKey, "Raw Public Key"},
}};

constexpr Table<TsType, 4> kTsTypes{{
    {TsType::kIpv4AddrRange, "TS_IPV4_ADDR_RANGE"},
    {TsType::kIpv6AddrRange, "TS_IPV6_ADDR_RANGE"},
    {TsType::kFcAddrRange, "TS_FC_ADDR_RANGE"},
    {TsType::kSecLabel, "TS_SECLABEL"},
}};

constexpr Table<CfgType, 4> kCfgTypes{{
    {CfgType::kRequest, "CFG_REQUEST"},
    {CfgType::kReply, "CFG_REPLY"},
    {CfgType::kSet, "CFG_SET"},
    {CfgType::kAck, "CFG_ACK"},
}};

constexpr Table<CfgAttribute, 26> kCfgAttributes{{
    {CfgAttribute::kInternalIp4Address, "INTERNAL_IP4_ADDRESS"},
    {CfgAttribute::kInternalIp4Netmask, "INTERNAL_IP4_NETMASK"},
    {CfgAttribute::kInternalIp4Dns, "INTERNAL_IP4_DNS"},
    {CfgAttribute::kInternalIp4Nbns, "INTERNAL_IP4_NBNS"},
    {CfgAttribute::kInternalIp4Dhcp, "INTERNAL_IP4_DHCP"},
    {CfgAttribute::kApplicationVersion, "APPLICATION_VERSION"},
    {CfgAttribute::kInternalIp6Address, "INTERNAL_IP6_ADDRESS"},
    {CfgAttribute::kInternalIp6Dns, "INTERNAL_IP6_DNS"},
    {CfgAttribute::kInternalIp6Dhcp, "INTERNAL_IP6_DHCP"},
    {CfgAttribute::kInternalIp4Subnet, "INTERNAL_IP4_SUBNET"},
    {CfgAttribute::kSupportedAttributes, "SUPPORTED_ATTRIBUTES"},
    {CfgAttribute::kInternalIp6Subnet, "INTERNAL_IP6_SUBNET"},
    {CfgAttribute::kMip6HomePrefix, "MIP6_HOME_PREFIX"},
    {CfgAttribute::kInternalIp6Link, "INTERNAL_IP6_LINK"},
    {CfgAttribute::kInternalIp6Prefix, "INTERNAL_IP6_PREFIX"},
    {CfgAttribute::kHomeAgentAddress, "HOME_AGENT_ADDRESS"},
    {CfgAttribute::kP_Cscf_Ip4Address, "P_CSCF_IP4_ADDRESS"},
    {CfgAttribute::kP_Cscf_Ip6Address, "P_CSCF_IP6_ADDRESS"},
    {CfgAttribute::kFttKat, "FTT_KAT"},
    {CfgAttribute::kExternalSourceIp4NatInfo, "EXTERNAL_SOURCE_IP4_NAT_INFO"},
    {CfgAttribute::kTimeoutPeriodForLivenessCheck, "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK"},
    {CfgAttribute::kInternalDnsDomain, "INTERNAL_DNS_DOMAIN"},
    {CfgAttribute::kInternalDnssecTa, "INTERNAL_DNSSEC_TA"},
    {CfgAttribute::kEncdnsIp4, "ENCDNS_IP4"},
    {CfgAttribute::kEncdnsIp6, "ENCDNS_IP6"},
    {CfgAttribute::kEncdnsDigestInfo, "ENCDNS_DIGEST_INFO"},
}};

constexpr Table<TransformAttribute, 2> kTransformAttributes{{
    {TransformAttribute::kKeyLength, "Key Length (in bits)"},
    {TransformAttribute::kSignatureAlgorithmIdentifier, "Signature Algorithm Identifier"},
}};

constexpr Table<HashAlgorithm, 7> kHashAlgorithms{{
    {HashAlgorithm::kSha1, "SHA1"},
    {HashAlgorithm::kSha2_256, "SHA2-256"},
    {HashAlgorithm::kSha2_384, "SHA2-384"},
    {HashAlgorithm::kSha2_512, "SHA2-512"},
    {HashAlgorithm::kIdentity, "Identity"},
    {HashAlgorithm::kStreebog256, "STREEBOG_256"},
    {HashAlgorithm::kStreebog512, "STREEBOG_512"},
}};

constexpr Table<NotifyType, 89> kNotifyTypes{{
    {NotifyType::kUnsupportedCriticalPayload, "UNSUPPORTED_CRITICAL_PAYLOAD"},
    {NotifyType::kInvalidIkeSpi, "INVALID_IKE_SPI"},
    {NotifyType::kInvalidMajorVersion, "INVALID_MAJOR_VERSION"},
    {NotifyType::kInvalidSyntax, "INVALID_SYNTAX"},
    {NotifyType::kInvalidMessageId, "INVALID_MESSAGE_ID"},
    {NotifyType::kInvalidSpi, "INVALID_SPI"},
    {NotifyType::kNoProposalChosen, "NO_PROPOSAL_CHOSEN"},
    {NotifyType::kInvalidKePayload, "INVALID_KE_PAYLOAD"},
    {NotifyType::kAuthenticationFailed, "AUTHENTICATION_FAILED"},
    {NotifyType::kSinglePairRequired, "SINGLE_PAIR_REQUIRED"},
    {NotifyType::kNoAdditionalSas, "NO_ADDITIONAL_SAS"},
    {NotifyType::kInternalAddressFailure, "INTERNAL_ADDRESS_FAILURE"},
    {NotifyType::kFailedCpRequired, "FAILED_CP_REQUIRED"},
    {NotifyType::kTsUnacceptable, "TS_UNACCEPTABLE"},
    {NotifyType::kInvalidSelectors, "INVALID_SELECTORS"},
    {NotifyType::kUnacceptableAddresses, "UNACCEPTABLE_ADDRESSES"},
    {NotifyType::kUnexpectedNatDetected, "UNEXPECTED_NAT_DETECTED"},
    {NotifyType::kUseAssignedHoa, "USE_ASSIGNED_HoA"},
    {NotifyType::kTemporaryFailure, "TEMPORARY_FAILURE"},
    {NotifyType::kChildSaNotFound, "CHILD_SA_NOT_FOUND"},
    {NotifyType::kInvalidGroupId, "INVALID_GROUP_ID"},
    {NotifyType::kAuthorizationFailed, "AUTHORIZATION_FAILED"},
    {NotifyType::kStateNotFound, "STATE_NOT_FOUND"},
    {NotifyType::kTsMaxQueue, "TS_MAX_QUEUE"},
    {NotifyType::kRegistrationFailed, "REGISTRATION_FAILED"},
    {NotifyType::kInitialContact, "INITIAL_CONTACT"},
    {NotifyType::kSetWindowSize, "SET_WINDOW_SIZE"},
    {NotifyType::kAdditionalTsPossible, "ADDITIONAL_TS_POSSIBLE"},
    {NotifyType::kIpcompSupported, "IPCOMP_SUPPORTED"},
    {NotifyType::kNatDetectionSourceIp, "NAT_DETECTION_SOURCE_IP"},
    {NotifyType::kNatDetectionDestinationIp, "NAT_DETECTION_DESTINATION_IP"},
    {NotifyType::kCookie, "COOKIE"},
    {NotifyType::kUseTransportMode, "USE_TRANSPORT_MODE"},
    {NotifyType::kHttpCertLookupSupported, "HTTP_CERT_LOOKUP_SUPPORTED"},
    {NotifyType::kRekeySa, "REKEY_SA"},
    {NotifyType::kEspTfcPaddingNotSupported, "ESP_TFC_PADDING_NOT_SUPPORTED"},
    {NotifyType::kNonFirstFragmentsAlso, "NON_FIRST_FRAGMENTS_ALSO"},
    {NotifyType::kMobikeSupported, "MOBIKE_SUPPORTED"},
    {NotifyType::kAdditionalIp4Address, "ADDITIONAL_IP4_ADDRESS"},
    {NotifyType::kAdditionalIp6Address, "ADDITIONAL_IP6_ADDRESS"},
    {NotifyType::kNoAdditionalAddresses, "NO_ADDITIONAL_ADDRESSES"},
    {NotifyType::kUpdateSaAddresses, "UPDATE_SA_ADDRESSES"},
    {NotifyType::kCookie2, "COOKIE2"},
    {NotifyType::kNoNatsAllowed, "NO_NATS_ALLOWED"},
    {NotifyType::kAuthLifetime, "AUTH_LIFETIME"},
    {NotifyType::kMultipleAuthSupported, "MULTIPLE_AUTH_SUPPORTED"},
    {NotifyType::kAnotherAuthFollows, "ANOTHER_AUTH_FOLLOWS"},
    {NotifyType::kRedirectSupported, "REDIRECT_SUPPORTED"},
    {NotifyType::kRedirect, "REDIRECT"},
    {NotifyType::kRedirectedFrom, "REDIRECTED_FROM"},
    {NotifyType::kTicketLtOpaque, "TICKET_LT_OPAQUE"},
    {NotifyType::kTicketRequest, "TICKET_REQUEST"},
    {NotifyType::kTicketAck, "TICKET_ACK"},
    {NotifyType::kTicketNack, "TICKET_NACK"},
    {NotifyType::kTicketOpaque, "TICKET_OPAQUE"},
    {NotifyType::kLinkId, "LINK_ID"},
    {NotifyType::kUseWespMode, "USE_WESP_MODE"},
    {NotifyType::kRohcSupported, "ROHC_SUPPORTED"},
    {NotifyType::kEapOnlyAuthentication, "EAP_ONLY_AUTHENTICATION"},
    {NotifyType::kChildlessIkev2Supported, "CHILDLESS_IKEV2_SUPPORTED"},
    {NotifyType::kQuickCrashDetection, "QUICK_CRASH_DETECTION"},
    {NotifyType::kIkev2MessageIdSyncSupported, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED"},
    {NotifyType::kIpsecReplayCounterSyncSupported, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED"},
    {NotifyType::kIkev2MessageIdSync, "IKEV2_MESSAGE_ID_SYNC"},
    {NotifyType::kIpsecReplayCounterSync, "IPSEC_REPLAY_COUNTER_SYNC"},
    {NotifyType::kSecurePasswordMethods, "SECURE_PASSWORD_METHODS"},
    {NotifyType::kPskPersist, "PSK_PERSIST"},
    {NotifyType::kPskConfirm, "PSK_CONFIRM"},
    {NotifyType::kErxSupported, "ERX_SUPPORTED"},
    {NotifyType::kIfomCapability, "IFOM_CAPABILITY"},
    {NotifyType::kGroupSender, "GROUP_SENDER"},
    {NotifyType::kIkev2FragmentationSupported, "IKEV2_FRAGMENTATION_SUPPORTED"},
    {NotifyType::kSignatureHashAlgorithms, "SIGNATURE_HASH_ALGORITHMS"},
    {NotifyType::kCloneIkeSaSupported, "CLONE_IKE_SA_SUPPORTED"},
    {NotifyType::kCloneIkeSa, "CLONE_IKE_SA"},
    {NotifyType::kPuzzle, "PUZZLE"},
    {NotifyType::kUsePpk, "USE_PPK"},
    {NotifyType::kPpkIdentity, "PPK_IDENTITY"},
    {NotifyType::kNoPpkAuth, "NO_PPK_AUTH"},
    {NotifyType::kIntermediateExchangeSupported, "INTERMEDIATE_EXCHANGE_SUPPORTED"},
    {NotifyType::kIp4Allowed, "IP4_ALLOWED"},
    {NotifyType::kIp6Allowed, "IP6_ALLOWED"},
    {NotifyType::kAdditionalKeyExchange, "ADDITIONAL_KEY_EXCHANGE"},
    {NotifyType::kUseAggfrag, "USE_AGGFRAG"},
    {NotifyType::kSupportedAuthMethods, "SUPPORTED_AUTH_METHODS"},
    {NotifyType::kSaResourceInfo, "SA_RESOURCE_INFO"},
    {NotifyType::kUsePpkInt, "USE_PPK_INT"},
    {NotifyType::kPpkIdentityKey, "PPK_IDENTITY_KEY"},
    {NotifyType::kIkeSaInitFullTranscriptAuth, "IKE_SA_INIT_FULL_TRANSCRIPT_AUTH"},
}};

template <typename E, size_t N>
constexpr std::string_view Lookup(const Table<E, N>& table, E value) {
  for (const auto& row : table)
    if (row.value == value) return row.name;
  return "";
}

template <typename E, size_t N>
constexpr std::optional<E> Find(const Table<E, N>& table, std::string_view name) {
  for (const auto& row : table)
    if (row.name == name) return row.value;
  return std::nullopt;
}

template <typename E, size_t N>
constexpr bool Ascending(const Table<E, N>& table) {
  for (size_t i = 1; i < N; ++i)
    if (!(table[i - 1].value < table[i].value)) return false;
  return true;
}

// Ascending order also rules out a value listed twice.
static_assert(Ascending(kExchangeTypes));
static_assert(Ascending(kPayloadTypes));
static_assert(Ascending(kPayloadLongNames));
static_assert(Ascending(kTransformTypes));
static_assert(Ascending(kSecurityProtocols));
static_assert(Ascending(kKeGroups));
static_assert(Ascending(kEsnTypes));
static_assert(Ascending(kAuthMethods));
static_assert(Ascending(kIdTypes));
static_assert(Ascending(kCertEncodings));
static_assert(Ascending(kTsTypes));
static_assert(Ascending(kCfgTypes));
static_assert(Ascending(kCfgAttributes));
static_assert(Ascending(kTransformAttributes));
static_assert(Ascending(kHashAlgorithms));
static_assert(Ascending(kNotifyTypes));

}  // namespace

// Registry() and Name()/FromName() for one enum, all reading the same table.
#define IPSECREF_IKE_REGISTRY(Enum, table)                                   \
  template <>                                                                 \
  std::span<const Registered<Enum>> Registry<Enum>() {                        \
    return table;                                                             \
  }                                                                           \
  std::string_view Name(Enum v) { return Lookup(table, v); }                  \
  std::optional<Enum> Enum##FromName(std::string_view name) {                 \
    return Find(table, name);                                                 \
  }

IPSECREF_IKE_REGISTRY(ExchangeType, kExchangeTypes)
IPSECREF_IKE_REGISTRY(PayloadType, kPayloadTypes)
IPSECREF_IKE_REGISTRY(TransformType, kTransformTypes)
IPSECREF_IKE_REGISTRY(SecurityProtocol, kSecurityProtocols)
IPSECREF_IKE_REGISTRY(KeGroup, kKeGroups)
IPSECREF_IKE_REGISTRY(EsnType, kEsnTypes)
IPSECREF_IKE_REGISTRY(AuthMethod, kAuthMethods)
IPSECREF_IKE_REGISTRY(IdType, kIdTypes)
IPSECREF_IKE_REGISTRY(CertEncoding, kCertEncodings)
IPSECREF_IKE_REGISTRY(TsType, kTsTypes)
IPSECREF_IKE_REGISTRY(CfgType, kCfgTypes)
IPSECREF_IKE_REGISTRY(CfgAttribute, kCfgAttributes)
IPSECREF_IKE_REGISTRY(TransformAttribute, kTransformAttributes)
IPSECREF_IKE_REGISTRY(HashAlgorithm, kHashAlgorithms)
IPSECREF_IKE_REGISTRY(NotifyType, kNotifyTypes)

#undef IPSECREF_IKE_REGISTRY

std::string_view PayloadLongName(PayloadType v) { return Lookup(kPayloadLongNames, v); }

}  // namespace ipsecref::iana
