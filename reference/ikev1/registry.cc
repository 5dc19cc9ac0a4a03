#include "reference/ikev1/registry.h"

#include <fmt/format.h>

#include <span>

namespace ipsecref::ikev1 {
namespace {

struct Entry {
  unsigned value;
  std::string_view name;
};

std::string_view Find(std::span<const Entry> table, unsigned value) {
  for (const Entry& e : table)
    if (e.value == value) return e.name;
  return {};
}

constexpr Entry kPayloadTypes[] = {
    {0, "NONE"},  {1, "SA"},    {2, "P"},      {3, "T"},      {4, "KE"},      {5, "ID"},     {6, "CERT"},
    {7, "CR"},    {8, "HASH"},  {9, "SIG"},    {10, "NONCE"}, {11, "N"},      {12, "D"},     {13, "VID"},
    {14, "ATTR"}, {20, "NAT-D"}, {21, "NAT-OA"}, {130, "NAT-D (draft)"}, {131, "NAT-OA (draft)"}, {132, "FRAG"},
};

constexpr Entry kExchangeTypes[] = {
    {0, "NONE"},          {1, "Base"},          {2, "Identity Protection"}, {3, "Authentication Only"},
    {4, "Aggressive"},    {5, "Informational"}, {6, "Transaction"},         {32, "Quick Mode"},
    {33, "New Group Mode"},
};

constexpr Entry kProtocols[] = {{1, "PROTO_ISAKMP"}, {2, "PROTO_IPSEC_AH"}, {3, "PROTO_IPSEC_ESP"}, {4, "PROTO_IPCOMP"}};

//= rfc2407#section-4.4.2
//# PROTO_ISAKMP has one transform, KEY_IKE (1).
constexpr Entry kIsakmpTransforms[] = {{1, "KEY_IKE"}};
//= rfc2407#section-4.4.3
//# AH's transform identifiers name the hash of the AH transform.
constexpr Entry kAhTransforms[] = {{2, "AH_MD5"},       {3, "AH_SHA"},       {4, "AH_DES"},
                                   {5, "AH_SHA2-256"}, {6, "AH_SHA2-384"}, {7, "AH_SHA2-512"}};
//= rfc2407#section-4.4.4
//# ESP's transform identifiers name the cipher (later RFCs add AES and its
//# modes with the numbers IKEv2's ENCR registry took over).
constexpr Entry kEspTransforms[] = {
    {1, "ESP_DES_IV64"}, {2, "ESP_DES"},       {3, "ESP_3DES"},        {4, "ESP_RC5"},         {5, "ESP_IDEA"},
    {6, "ESP_CAST"},     {7, "ESP_BLOWFISH"},  {8, "ESP_3IDEA"},       {9, "ESP_DES_IV32"},    {10, "ESP_RC4"},
    {11, "ESP_NULL"},    {12, "ESP_AES-CBC"},  {13, "ESP_AES-CTR"},    {14, "ESP_AES-CCM_8"},  {15, "ESP_AES-CCM_12"},
    {16, "ESP_AES-CCM_16"}, {18, "ESP_AES-GCM_8"}, {19, "ESP_AES-GCM_12"}, {20, "ESP_AES-GCM_16"},
    {21, "ESP_SEED_CBC"}, {22, "ESP_CAMELLIA"}, {23, "ESP_NULL_AUTH_AES-GMAC"},
};
//= rfc2407#section-4.4.5
//# IPComp's transform identifiers name the compression algorithm.
constexpr Entry kIpcompTransforms[] = {{1, "IPCOMP_OUI"}, {2, "IPCOMP_DEFLATE"}, {3, "IPCOMP_LZS"}};

//= rfc2409#appendix-A
//# Phase 1 attribute classes 1-16; basic ones (B) carry their value in the
//# attribute (TV), variable ones (V) after it (TLV).
constexpr Entry kPhase1Attributes[] = {
    {1, "Encryption Algorithm"},  {2, "Hash Algorithm"},     {3, "Authentication Method"},
    {4, "Group Description"},     {5, "Group Type"},         {6, "Group Prime/Irreducible Polynomial"},
    {7, "Group Generator One"},   {8, "Group Generator Two"}, {9, "Group Curve A"},
    {10, "Group Curve B"},        {11, "Life Type"},         {12, "Life Duration"},
    {13, "PRF"},                  {14, "Key Length"},        {15, "Field Size"},
    {16, "Group Order"},
};
constexpr Entry kPhase1Encryption[] = {{1, "DES-CBC"},  {2, "IDEA-CBC"}, {3, "Blowfish-CBC"}, {4, "RC5-R16-B64-CBC"},
                                       {5, "3DES-CBC"}, {6, "CAST-CBC"}, {7, "AES-CBC"},      {8, "CAMELLIA-CBC"}};
constexpr Entry kPhase1Hash[] = {{1, "MD5"},      {2, "SHA"},      {3, "Tiger"},
                                 {4, "SHA2-256"}, {5, "SHA2-384"}, {6, "SHA2-512"}};
// Authentication methods: RFC 2409 Appendix A (1-5); XAuth's (65001-65010)
// from draft-beaulieu-ike-xauth-02 §7.2.
constexpr Entry kPhase1AuthMethods[] = {
    {1, "pre-shared key"},     {2, "DSS signatures"},        {3, "RSA signatures"},
    {4, "RSA encryption"},     {5, "revised RSA encryption"}, {65001, "XAUTHInitPreShared"},
    {65002, "XAUTHRespPreShared"}, {65003, "XAUTHInitDSS"},   {65004, "XAUTHRespDSS"},
    {65005, "XAUTHInitRSA"},   {65006, "XAUTHRespRSA"},      {65007, "XAUTHInitRSAEncryption"},
    {65008, "XAUTHRespRSAEncryption"}, {65009, "XAUTHInitRSARevisedEncryption"},
    {65010, "XAUTHRespRSARevisedEncryption"},
};
// Group Description: RFC 2409 §6 (1-4), RFC 3526 (5, 14-18), RFC 5903 (19-21),
// RFC 5114 (22-24): the numbers IKEv2's registry kept.
constexpr Entry kGroups[] = {
    {1, "768-bit MODP"},   {2, "1024-bit MODP"},  {3, "EC2N 155"},       {4, "EC2N 185"},
    {5, "1536-bit MODP"},  {14, "2048-bit MODP"}, {15, "3072-bit MODP"}, {16, "4096-bit MODP"},
    {17, "6144-bit MODP"}, {18, "8192-bit MODP"}, {19, "256-bit ECP"},   {20, "384-bit ECP"},
    {21, "521-bit ECP"},   {22, "1024-bit MODP with 160-bit prime order subgroup"},
    {23, "2048-bit MODP with 224-bit prime order subgroup"}, {24, "2048-bit MODP with 256-bit prime order subgroup"},
};
constexpr Entry kGroupTypes[] = {{1, "MODP"}, {2, "ECP"}, {3, "EC2N"}};
constexpr Entry kLifeTypes[] = {{1, "seconds"}, {2, "kilobytes"}};

//= rfc2407#section-4.5
//# Phase 2 attribute classes of the IPsec DOI.
constexpr Entry kPhase2Attributes[] = {
    {1, "SA Life Type"},       {2, "SA Life Duration"}, {3, "Group Description"},
    {4, "Encapsulation Mode"}, {5, "Authentication Algorithm"}, {6, "Key Length"},
    {7, "Key Rounds"},         {8, "Compress Dictionary Size"}, {9, "Compress Private Algorithm"},
    {10, "ECN Tunnel"},        {11, "Extended (64-bit) Sequence Number"},
};
//= rfc3947#section-5.1
//# UDP-Encapsulated-Tunnel (3) and UDP-Encapsulated-Transport (4) join
//# Tunnel and Transport; the drafts before the RFC used 61443 and 61444.
constexpr Entry kEncapsulationModes[] = {{1, "Tunnel"},
                                         {2, "Transport"},
                                         {3, "UDP-Encapsulated-Tunnel"},
                                         {4, "UDP-Encapsulated-Transport"},
                                         {61443, "UDP-Encapsulated-Tunnel (draft)"},
                                         {61444, "UDP-Encapsulated-Transport (draft)"}};
constexpr Entry kAuthAlgorithms[] = {{1, "HMAC-MD5"},      {2, "HMAC-SHA"},      {3, "DES-MAC"},      {4, "KPDK"},
                                     {5, "HMAC-SHA2-256"}, {6, "HMAC-SHA2-384"}, {7, "HMAC-SHA2-512"}, {8, "HMAC-RIPEMD"},
                                     {9, "AES-XCBC-MAC"},  {11, "AES-128-GMAC"}, {12, "AES-192-GMAC"}, {13, "AES-256-GMAC"}};

constexpr Entry kIdTypes[] = {
    {1, "ID_IPV4_ADDR"},       {2, "ID_FQDN"},           {3, "ID_USER_FQDN"},       {4, "ID_IPV4_ADDR_SUBNET"},
    {5, "ID_IPV6_ADDR"},       {6, "ID_IPV6_ADDR_SUBNET"}, {7, "ID_IPV4_ADDR_RANGE"}, {8, "ID_IPV6_ADDR_RANGE"},
    {9, "ID_DER_ASN1_DN"},     {10, "ID_DER_ASN1_GN"},   {11, "ID_KEY_ID"},
};

constexpr Entry kCertEncodings[] = {
    {0, "NONE"},
    {1, "PKCS #7 wrapped X.509 certificate"},
    {2, "PGP Certificate"},
    {3, "DNS Signed Key"},
    {4, "X.509 Certificate - Signature"},
    {5, "X.509 Certificate - Key Exchange"},
    {6, "Kerberos Tokens"},
    {7, "Certificate Revocation List (CRL)"},
    {8, "Authority Revocation List (ARL)"},
    {9, "SPKI Certificate"},
    {10, "X.509 Certificate - Attribute"},
};

//= rfc2408#section-3.14.1
//# Error types 1-30 (8192-16383 private use); status types from 16384,
//# CONNECTED being 16384.
//= rfc2407#section-4.6.3
//# The IPsec DOI adds RESPONDER-LIFETIME 24576, REPLAY-STATUS 24577 and
//# INITIAL-CONTACT 24578.
//= rfc3706#section-5.3
//# DPD's R-U-THERE is 36136 and R-U-THERE-ACK 36137.
constexpr Entry kNotifyTypes[] = {
    {1, "INVALID-PAYLOAD-TYPE"},     {2, "DOI-NOT-SUPPORTED"},       {3, "SITUATION-NOT-SUPPORTED"},
    {4, "INVALID-COOKIE"},           {5, "INVALID-MAJOR-VERSION"},   {6, "INVALID-MINOR-VERSION"},
    {7, "INVALID-EXCHANGE-TYPE"},    {8, "INVALID-FLAGS"},           {9, "INVALID-MESSAGE-ID"},
    {10, "INVALID-PROTOCOL-ID"},     {11, "INVALID-SPI"},            {12, "INVALID-TRANSFORM-ID"},
    {13, "ATTRIBUTES-NOT-SUPPORTED"}, {14, "NO-PROPOSAL-CHOSEN"},    {15, "BAD-PROPOSAL-SYNTAX"},
    {16, "PAYLOAD-MALFORMED"},       {17, "INVALID-KEY-INFORMATION"}, {18, "INVALID-ID-INFORMATION"},
    {19, "INVALID-CERT-ENCODING"},   {20, "INVALID-CERTIFICATE"},    {21, "CERT-TYPE-UNSUPPORTED"},
    {22, "INVALID-CERT-AUTHORITY"},  {23, "INVALID-HASH-INFORMATION"}, {24, "AUTHENTICATION-FAILED"},
    {25, "INVALID-SIGNATURE"},       {26, "ADDRESS-NOTIFICATION"},   {27, "NOTIFY-SA-LIFETIME"},
    {28, "CERTIFICATE-UNAVAILABLE"}, {29, "UNSUPPORTED-EXCHANGE-TYPE"}, {30, "UNEQUAL-PAYLOAD-LENGTHS"},
    {16384, "CONNECTED"},            {24576, "RESPONDER-LIFETIME"},  {24577, "REPLAY-STATUS"},
    {24578, "INITIAL-CONTACT"},      {36136, "R-U-THERE"},           {36137, "R-U-THERE-ACK"},
};

// draft-dukes-ike-mode-cfg-02 §3.2 (types) and §3.3 (attributes 1-15);
// draft-beaulieu-ike-xauth-02 §6 (16520-16529).
constexpr Entry kCfgTypes[] = {{1, "ISAKMP_CFG_REQUEST"}, {2, "ISAKMP_CFG_REPLY"}, {3, "ISAKMP_CFG_SET"},
                               {4, "ISAKMP_CFG_ACK"}};
constexpr Entry kCfgAttributes[] = {
    {1, "INTERNAL_IP4_ADDRESS"},  {2, "INTERNAL_IP4_NETMASK"}, {3, "INTERNAL_IP4_DNS"},
    {4, "INTERNAL_IP4_NBNS"},     {5, "INTERNAL_ADDRESS_EXPIRY"}, {6, "INTERNAL_IP4_DHCP"},
    {7, "APPLICATION_VERSION"},   {8, "INTERNAL_IP6_ADDRESS"}, {9, "INTERNAL_IP6_NETMASK"},
    {10, "INTERNAL_IP6_DNS"},     {11, "INTERNAL_IP6_NBNS"},   {12, "INTERNAL_IP6_DHCP"},
    {13, "INTERNAL_IP4_SUBNET"},  {14, "SUPPORTED_ATTRIBUTES"}, {15, "INTERNAL_IP6_SUBNET"},
    {16520, "XAUTH_TYPE"},        {16521, "XAUTH_USER_NAME"},  {16522, "XAUTH_USER_PASSWORD"},
    {16523, "XAUTH_PASSCODE"},    {16524, "XAUTH_MESSAGE"},    {16525, "XAUTH_CHALLENGE"},
    {16526, "XAUTH_DOMAIN"},      {16527, "XAUTH_STATUS"},     {16528, "XAUTH_NEXT_PIN"},
    {16529, "XAUTH_ANSWER"},
};

}  // namespace

std::string_view Name(PayloadType v) { return Find(kPayloadTypes, static_cast<unsigned>(v)); }
std::string_view Name(ExchangeType v) { return Find(kExchangeTypes, static_cast<unsigned>(v)); }
std::string_view IkeName(ExchangeType v) {
  //= rfc2409#section-5
  //# IKE's Main Mode is ISAKMP's Identity Protection exchange and its
  //# Aggressive Mode ISAKMP's Aggressive exchange.
  if (v == ExchangeType::kIdentityProtection) return "Main Mode";
  if (v == ExchangeType::kAggressive) return "Aggressive Mode";
  return Name(v);
}

std::string_view ProtocolName(uint8_t protocol_id) { return Find(kProtocols, protocol_id); }

std::string_view TransformName(uint8_t protocol_id, uint8_t transform_id) {
  switch (protocol_id) {
    case 1: return Find(kIsakmpTransforms, transform_id);
    case 2: return Find(kAhTransforms, transform_id);
    case 3: return Find(kEspTransforms, transform_id);
    case 4: return Find(kIpcompTransforms, transform_id);
    default: return {};
  }
}

std::string_view AttributeName(uint8_t protocol_id, uint16_t attribute_type) {
  return protocol_id == 1 ? Find(kPhase1Attributes, attribute_type) : Find(kPhase2Attributes, attribute_type);
}

std::string_view AttributeValueName(uint8_t protocol_id, uint16_t attribute_type, uint16_t value) {
  if (protocol_id == 1) {
    switch (attribute_type) {
      case 1: return Find(kPhase1Encryption, value);
      case 2: return Find(kPhase1Hash, value);
      case 3: return Find(kPhase1AuthMethods, value);
      case 4: return Find(kGroups, value);
      case 5: return Find(kGroupTypes, value);
      case 11: return Find(kLifeTypes, value);
      default: return {};
    }
  }
  switch (attribute_type) {
    case 1: return Find(kLifeTypes, value);
    case 3: return Find(kGroups, value);
    case 4: return Find(kEncapsulationModes, value);
    case 5: return Find(kAuthAlgorithms, value);
    default: return {};
  }
}

std::string_view IdTypeName(uint8_t id_type) { return Find(kIdTypes, id_type); }
std::string_view CertEncodingName(uint8_t encoding) { return Find(kCertEncodings, encoding); }
std::string_view NotifyName(uint16_t type) { return Find(kNotifyTypes, type); }

std::string SituationName(uint32_t situation) {
  std::string names;
  constexpr Entry kBits[] = {{1, "SIT_IDENTITY_ONLY"}, {2, "SIT_SECRECY"}, {4, "SIT_INTEGRITY"}};
  for (const Entry& bit : kBits)
    if (situation & bit.value) names += fmt::format("{}{}", names.empty() ? "" : "|", bit.name);
  if (situation & ~uint32_t{7}) names += fmt::format("{}0x{:x}", names.empty() ? "" : "|", situation & ~uint32_t{7});
  return names.empty() ? "0" : names;
}

std::string_view CfgTypeName(uint8_t type) { return Find(kCfgTypes, type); }
std::string_view CfgAttributeName(uint16_t type) { return Find(kCfgAttributes, type); }

std::string Named(std::string_view name, unsigned value) {
  return name.empty() ? fmt::format("{}", value) : fmt::format("{} ({})", name, value);
}

}  // namespace ipsecref::ikev1
