#include "reference/iana/ike.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ipsecref::iana {
namespace {

template <typename E>
constexpr auto Num(E e) {
  return static_cast<uint32_t>(e);
}

// FromName for each registry, chosen by the enum type.
std::optional<ExchangeType> FromName(ExchangeType, std::string_view n) { return ExchangeTypeFromName(n); }
std::optional<PayloadType> FromName(PayloadType, std::string_view n) { return PayloadTypeFromName(n); }
std::optional<TransformType> FromName(TransformType, std::string_view n) { return TransformTypeFromName(n); }
std::optional<SecurityProtocol> FromName(SecurityProtocol, std::string_view n) { return SecurityProtocolFromName(n); }
std::optional<KeGroup> FromName(KeGroup, std::string_view n) { return KeGroupFromName(n); }
std::optional<EsnType> FromName(EsnType, std::string_view n) { return EsnTypeFromName(n); }
std::optional<AuthMethod> FromName(AuthMethod, std::string_view n) { return AuthMethodFromName(n); }
std::optional<IdType> FromName(IdType, std::string_view n) { return IdTypeFromName(n); }
std::optional<CertEncoding> FromName(CertEncoding, std::string_view n) { return CertEncodingFromName(n); }
std::optional<TsType> FromName(TsType, std::string_view n) { return TsTypeFromName(n); }
std::optional<CfgType> FromName(CfgType, std::string_view n) { return CfgTypeFromName(n); }
std::optional<CfgAttribute> FromName(CfgAttribute, std::string_view n) { return CfgAttributeFromName(n); }
std::optional<TransformAttribute> FromName(TransformAttribute, std::string_view n) {
  return TransformAttributeFromName(n);
}
std::optional<HashAlgorithm> FromName(HashAlgorithm, std::string_view n) { return HashAlgorithmFromName(n); }
std::optional<NotifyType> FromName(NotifyType, std::string_view n) { return NotifyTypeFromName(n); }

// ---------------------------------------------------------------------------
// Properties every registry table must have.

template <typename E>
class RegistryTable : public ::testing::Test {};

using RegistryEnums =
    ::testing::Types<ExchangeType, PayloadType, TransformType, SecurityProtocol, KeGroup, EsnType,
                     AuthMethod, IdType, CertEncoding, TsType, CfgType, CfgAttribute,
                     TransformAttribute, HashAlgorithm, NotifyType>;
TYPED_TEST_SUITE(RegistryTable, RegistryEnums);

TYPED_TEST(RegistryTable, IsNotEmpty) { EXPECT_FALSE(Registry<TypeParam>().empty()); }

TYPED_TEST(RegistryTable, NameAndFromNameRoundTripForEveryRow) {
  for (const auto& row : Registry<TypeParam>()) {
    SCOPED_TRACE(std::string(row.name));
    EXPECT_FALSE(row.name.empty());
    EXPECT_EQ(Name(row.value), row.name);
    const auto back = FromName(TypeParam{}, Name(row.value));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, row.value);
  }
}

TYPED_TEST(RegistryTable, NoDuplicateValuesOrNames) {
  std::set<uint32_t> values;
  std::set<std::string_view> names;
  for (const auto& row : Registry<TypeParam>()) {
    EXPECT_TRUE(values.insert(Num(row.value)).second) << "value " << Num(row.value) << " twice";
    EXPECT_TRUE(names.insert(row.name).second) << "name " << row.name << " twice";
  }
}

TYPED_TEST(RegistryTable, UnknownNameIsRejected) {
  EXPECT_FALSE(FromName(TypeParam{}, "").has_value());
  EXPECT_FALSE(FromName(TypeParam{}, "NO_SUCH_REGISTERED_NAME").has_value());
}

// ---------------------------------------------------------------------------
// Spot checks against the tables printed in the RFCs.

TEST(IkeRegistry, ExchangeTypesOfRfc7296Section3_1) {
  // RFC 7296 §3.1, Exchange Type table.
  EXPECT_EQ(Num(ExchangeType::kIkeSaInit), 34u);
  EXPECT_EQ(Num(ExchangeType::kIkeAuth), 35u);
  EXPECT_EQ(Num(ExchangeType::kCreateChildSa), 36u);
  EXPECT_EQ(Num(ExchangeType::kInformational), 37u);
  EXPECT_EQ(Name(ExchangeType::kIkeSaInit), "IKE_SA_INIT");
  EXPECT_EQ(Name(ExchangeType::kIkeAuth), "IKE_AUTH");
  EXPECT_EQ(Name(ExchangeType::kCreateChildSa), "CREATE_CHILD_SA");
  EXPECT_EQ(Name(ExchangeType::kInformational), "INFORMATIONAL");
  // RFC 5723 §4.1 (IKE_SESSION_RESUME 38), RFC 9242 §5 (IKE_INTERMEDIATE 43),
  // RFC 9370 §3.2.2 (IKE_FOLLOWUP_KE 44).
  EXPECT_EQ(ExchangeTypeFromName("IKE_SESSION_RESUME"), ExchangeType{38});
  EXPECT_EQ(ExchangeTypeFromName("IKE_INTERMEDIATE"), ExchangeType{43});
  EXPECT_EQ(ExchangeTypeFromName("IKE_FOLLOWUP_KE"), ExchangeType{44});
}

TEST(IkeRegistry, PayloadTypesOfRfc7296Section3_2) {
  // RFC 7296 §3.2: Next Payload Type, Notation, Value.
  const std::vector<std::tuple<std::string_view, std::string_view, uint32_t>> rfc = {
      {"No Next Payload", "", 0},
      {"Security Association", "SA", 33},
      {"Key Exchange", "KE", 34},
      {"Identification - Initiator", "IDi", 35},
      {"Identification - Responder", "IDr", 36},
      {"Certificate", "CERT", 37},
      {"Certificate Request", "CERTREQ", 38},
      {"Authentication", "AUTH", 39},
      {"Nonce", "", 40},  // notation "Ni, Nr"; this module names it "Nonce"
      {"Notify", "N", 41},
      {"Delete", "D", 42},
      {"Vendor ID", "V", 43},
      {"Traffic Selector - Initiator", "TSi", 44},
      {"Traffic Selector - Responder", "TSr", 45},
      {"Encrypted and Authenticated", "SK", 46},
      {"Configuration", "CP", 47},
      {"Extensible Authentication", "EAP", 48},
  };
  for (const auto& [long_name, notation, value] : rfc) {
    SCOPED_TRACE(std::string(long_name));
    const auto t = static_cast<PayloadType>(value);
    EXPECT_EQ(PayloadLongName(t), long_name);
    if (!notation.empty()) {
      EXPECT_EQ(Name(t), notation);
      EXPECT_EQ(PayloadTypeFromName(notation), t);
    }
  }
  EXPECT_EQ(Name(PayloadType::kNonce), "Nonce");
  // RFC 7383 §2.5: Encrypted and Authenticated Fragment, SKF, 53.
  EXPECT_EQ(Num(PayloadType::kSkf), 53u);
  EXPECT_EQ(Name(PayloadType::kSkf), "SKF");
  EXPECT_EQ(PayloadLongName(PayloadType::kSkf), "Encrypted and Authenticated Fragment");
  // RFC 8019 §8.2: Puzzle Solution, PS, 54.
  EXPECT_EQ(Num(PayloadType::kPs), 54u);
}

TEST(IkeRegistry, SecurityProtocolsAndTransformTypesOfRfc7296Section3_3) {
  // RFC 7296 §3.3.1 Protocol ID.
  EXPECT_EQ(SecurityProtocolFromName("IKE"), SecurityProtocol{1});
  EXPECT_EQ(SecurityProtocolFromName("AH"), SecurityProtocol{2});
  EXPECT_EQ(SecurityProtocolFromName("ESP"), SecurityProtocol{3});
  // RFC 7296 §3.3.2 Transform Type table (ENCR 1, PRF 2, INTEG 3, D-H 4, ESN 5).
  EXPECT_EQ(TransformTypeFromName("ENCR"), TransformType{1});
  EXPECT_EQ(TransformTypeFromName("PRF"), TransformType{2});
  EXPECT_EQ(TransformTypeFromName("INTEG"), TransformType{3});
  EXPECT_EQ(Num(TransformType::kKe), 4u);
  EXPECT_EQ(Num(TransformType::kEsn), 5u);
  // RFC 9370 §3.2.1: Additional Key Exchange 1..7 are Transform Types 6..12.
  EXPECT_EQ(TransformTypeFromName("ADDKE1"), TransformType{6});
  EXPECT_EQ(TransformTypeFromName("ADDKE7"), TransformType{12});
  // RFC 7296 §3.3.2 "For Transform Type 5 (Extended Sequence Numbers)":
  // No Extended Sequence Numbers 0, Extended Sequence Numbers 1.
  EXPECT_EQ(Num(EsnType::kNoEsn), 0u);
  EXPECT_EQ(Num(EsnType::kEsn), 1u);
  // RFC 7296 §3.3.5: Key Length (in bits) is attribute type 14.
  EXPECT_EQ(TransformAttributeFromName("Key Length (in bits)"), TransformAttribute::kKeyLength);
  EXPECT_EQ(Num(TransformAttribute::kKeyLength), 14u);
}

TEST(IkeRegistry, KeyExchangeMethodsFromTheirRfcs) {
  // RFC 7296 §3.3.2 (Transform Type 4 table) and Appendix B.
  EXPECT_EQ(Num(KeGroup::kNone), 0u);
  EXPECT_EQ(Num(KeGroup::kModp768), 1u);
  EXPECT_EQ(Num(KeGroup::kModp1024), 2u);
  // RFC 3526 §2..§7: groups 5, 14, 15, 16, 17, 18.
  EXPECT_EQ(Num(KeGroup::kModp1536), 5u);
  EXPECT_EQ(Num(KeGroup::kModp2048), 14u);
  EXPECT_EQ(Num(KeGroup::kModp3072), 15u);
  EXPECT_EQ(Num(KeGroup::kModp4096), 16u);
  EXPECT_EQ(Num(KeGroup::kModp6144), 17u);
  EXPECT_EQ(Num(KeGroup::kModp8192), 18u);
  // RFC 5903 §3.1..§3.3: ECP groups 19, 20, 21.
  EXPECT_EQ(Num(KeGroup::kEcp256), 19u);
  EXPECT_EQ(Num(KeGroup::kEcp384), 20u);
  EXPECT_EQ(Num(KeGroup::kEcp521), 21u);
  // RFC 8031 §2 (and IANA Considerations): Curve25519 31, Curve448 32.
  EXPECT_EQ(Num(KeGroup::kCurve25519), 31u);
  EXPECT_EQ(Num(KeGroup::kCurve448), 32u);
  // Token spelling documented in ike.h.
  EXPECT_EQ(Name(KeGroup::kModp2048), "MODP_2048");
  EXPECT_EQ(Name(KeGroup::kEcp256), "ECP_256");
  EXPECT_EQ(Name(KeGroup::kCurve25519), "CURVE25519");
  EXPECT_EQ(KeGroupFromName("ML_KEM_768"), KeGroup::kMlKem768);
}

TEST(IkeRegistry, IdentificationTypesOfRfc7296Section3_5) {
  const std::vector<std::pair<std::string_view, uint32_t>> rfc = {
      {"ID_IPV4_ADDR", 1}, {"ID_FQDN", 2},         {"ID_RFC822_ADDR", 3}, {"ID_IPV6_ADDR", 5},
      {"ID_DER_ASN1_DN", 9}, {"ID_DER_ASN1_GN", 10}, {"ID_KEY_ID", 11},
  };
  for (const auto& [name, value] : rfc) {
    EXPECT_EQ(Name(static_cast<IdType>(value)), name);
    EXPECT_EQ(IdTypeFromName(name), static_cast<IdType>(value));
  }
  // RFC 7619 §3: ID_NULL is 13.
  EXPECT_EQ(Num(IdType::kNull), 13u);
}

TEST(IkeRegistry, CertificateEncodingsOfRfc7296Section3_6) {
  const std::vector<std::pair<std::string_view, uint32_t>> rfc = {
      {"PKCS #7 wrapped X.509 certificate", 1},
      {"PGP Certificate", 2},
      {"DNS Signed Key", 3},
      {"X.509 Certificate - Signature", 4},
      {"Kerberos Token", 6},
      {"Certificate Revocation List (CRL)", 7},
      {"Authority Revocation List (ARL)", 8},
      {"SPKI Certificate", 9},
      {"X.509 Certificate - Attribute", 10},
      {"Hash and URL of X.509 certificate", 12},
      {"Hash and URL of X.509 bundle", 13},
  };
  for (const auto& [name, value] : rfc) EXPECT_EQ(Name(static_cast<CertEncoding>(value)), name);
  EXPECT_EQ(Num(CertEncoding::kRawRsaKey), 11u);  // "Raw RSA Key (deprecated)"
  // RFC 7670 §2: Raw Public Key is 15.
  EXPECT_EQ(Num(CertEncoding::kRawPublicKey), 15u);
}

TEST(IkeRegistry, AuthenticationMethodsOfRfc7296Section3_8) {
  EXPECT_EQ(AuthMethodFromName("RSA Digital Signature"), AuthMethod{1});
  EXPECT_EQ(AuthMethodFromName("Shared Key Message Integrity Code"), AuthMethod{2});
  EXPECT_EQ(AuthMethodFromName("DSS Digital Signature"), AuthMethod{3});
  // RFC 4754 §4 (9, 10, 11), RFC 7619 §2 (13), RFC 7427 §3 (14).
  EXPECT_EQ(Num(AuthMethod::kEcdsaSha256P256), 9u);
  EXPECT_EQ(Num(AuthMethod::kEcdsaSha512P521), 11u);
  EXPECT_EQ(Num(AuthMethod::kNullAuthentication), 13u);
  EXPECT_EQ(Num(AuthMethod::kDigitalSignature), 14u);
}

TEST(IkeRegistry, NotifyTypesOfRfc7296Section3_10_1) {
  const std::vector<std::pair<std::string_view, uint32_t>> errors = {
      {"UNSUPPORTED_CRITICAL_PAYLOAD", 1}, {"INVALID_IKE_SPI", 4},
      {"INVALID_MAJOR_VERSION", 5},        {"INVALID_SYNTAX", 7},
      {"INVALID_MESSAGE_ID", 9},           {"INVALID_SPI", 11},
      {"NO_PROPOSAL_CHOSEN", 14},          {"INVALID_KE_PAYLOAD", 17},
      {"AUTHENTICATION_FAILED", 24},       {"SINGLE_PAIR_REQUIRED", 34},
      {"NO_ADDITIONAL_SAS", 35},           {"INTERNAL_ADDRESS_FAILURE", 36},
      {"FAILED_CP_REQUIRED", 37},          {"TS_UNACCEPTABLE", 38},
      {"INVALID_SELECTORS", 39},           {"TEMPORARY_FAILURE", 43},
      {"CHILD_SA_NOT_FOUND", 44},
  };
  const std::vector<std::pair<std::string_view, uint32_t>> status = {
      {"INITIAL_CONTACT", 16384},
      {"SET_WINDOW_SIZE", 16385},
      {"ADDITIONAL_TS_POSSIBLE", 16386},
      {"IPCOMP_SUPPORTED", 16387},
      {"NAT_DETECTION_SOURCE_IP", 16388},
      {"NAT_DETECTION_DESTINATION_IP", 16389},
      {"COOKIE", 16390},
      {"USE_TRANSPORT_MODE", 16391},
      {"HTTP_CERT_LOOKUP_SUPPORTED", 16392},
      {"REKEY_SA", 16393},
      {"ESP_TFC_PADDING_NOT_SUPPORTED", 16394},
      {"NON_FIRST_FRAGMENTS_ALSO", 16395},
  };
  for (const auto& [name, value] : errors) {
    SCOPED_TRACE(std::string(name));
    const auto t = static_cast<NotifyType>(value);
    EXPECT_EQ(Name(t), name);
    EXPECT_EQ(NotifyTypeFromName(name), t);
    EXPECT_TRUE(IsError(t));
  }
  for (const auto& [name, value] : status) {
    SCOPED_TRACE(std::string(name));
    const auto t = static_cast<NotifyType>(value);
    EXPECT_EQ(Name(t), name);
    EXPECT_EQ(NotifyTypeFromName(name), t);
    EXPECT_FALSE(IsError(t));
  }
}

TEST(IkeRegistry, NotifyTypesFromLaterRfcs) {
  // RFC 4555 §5: MOBIKE_SUPPORTED 16396.
  EXPECT_EQ(NotifyTypeFromName("MOBIKE_SUPPORTED"), NotifyType{16396});
  // RFC 7383 §2.3: IKEV2_FRAGMENTATION_SUPPORTED 16430.
  EXPECT_EQ(NotifyTypeFromName("IKEV2_FRAGMENTATION_SUPPORTED"), NotifyType{16430});
  // RFC 7427 §4: SIGNATURE_HASH_ALGORITHMS 16431.
  EXPECT_EQ(NotifyTypeFromName("SIGNATURE_HASH_ALGORITHMS"), NotifyType{16431});
  // RFC 8784 §7: USE_PPK 16435, PPK_IDENTITY 16436, NO_PPK_AUTH 16437.
  EXPECT_EQ(NotifyTypeFromName("USE_PPK"), NotifyType{16435});
  EXPECT_EQ(NotifyTypeFromName("NO_PPK_AUTH"), NotifyType{16437});
  // RFC 9242 §5: INTERMEDIATE_EXCHANGE_SUPPORTED 16438.
  EXPECT_EQ(NotifyTypeFromName("INTERMEDIATE_EXCHANGE_SUPPORTED"), NotifyType{16438});
  // RFC 9370 §5: ADDITIONAL_KEY_EXCHANGE 16441 (status), STATE_NOT_FOUND 47 (error).
  EXPECT_EQ(NotifyTypeFromName("ADDITIONAL_KEY_EXCHANGE"), NotifyType{16441});
  EXPECT_EQ(NotifyTypeFromName("STATE_NOT_FOUND"), NotifyType{47});
  EXPECT_TRUE(IsError(NotifyType::kStateNotFound));
  // RFC 9593 §6: SUPPORTED_AUTH_METHODS 16443.
  EXPECT_EQ(NotifyTypeFromName("SUPPORTED_AUTH_METHODS"), NotifyType{16443});
  // The registry spells the home-address notify with a lower-case "o".
  EXPECT_EQ(Name(NotifyType::kUseAssignedHoa), "USE_ASSIGNED_HoA");
}

TEST(IkeRegistry, TrafficSelectorAndConfigurationTypesOfRfc7296) {
  // RFC 7296 §3.13.1.
  EXPECT_EQ(TsTypeFromName("TS_IPV4_ADDR_RANGE"), TsType{7});
  EXPECT_EQ(TsTypeFromName("TS_IPV6_ADDR_RANGE"), TsType{8});
  // RFC 7296 §3.15.
  EXPECT_EQ(CfgTypeFromName("CFG_REQUEST"), CfgType{1});
  EXPECT_EQ(CfgTypeFromName("CFG_REPLY"), CfgType{2});
  EXPECT_EQ(CfgTypeFromName("CFG_SET"), CfgType{3});
  EXPECT_EQ(CfgTypeFromName("CFG_ACK"), CfgType{4});
  // RFC 7296 §3.15.1 attribute table.
  const std::vector<std::pair<std::string_view, uint32_t>> rfc = {
      {"INTERNAL_IP4_ADDRESS", 1}, {"INTERNAL_IP4_NETMASK", 2}, {"INTERNAL_IP4_DNS", 3},
      {"INTERNAL_IP4_NBNS", 4},    {"INTERNAL_IP4_DHCP", 6},    {"APPLICATION_VERSION", 7},
      {"INTERNAL_IP6_ADDRESS", 8}, {"INTERNAL_IP6_DNS", 10},    {"INTERNAL_IP6_DHCP", 12},
      {"INTERNAL_IP4_SUBNET", 13}, {"SUPPORTED_ATTRIBUTES", 14}, {"INTERNAL_IP6_SUBNET", 15},
  };
  for (const auto& [name, value] : rfc) {
    EXPECT_EQ(Name(static_cast<CfgAttribute>(value)), name);
    EXPECT_EQ(CfgAttributeFromName(name), static_cast<CfgAttribute>(value));
  }
  // RFC 8598 §4: INTERNAL_DNS_DOMAIN 25, INTERNAL_DNSSEC_TA 26.
  EXPECT_EQ(CfgAttributeFromName("INTERNAL_DNS_DOMAIN"), CfgAttribute{25});
  EXPECT_EQ(CfgAttributeFromName("INTERNAL_DNSSEC_TA"), CfgAttribute{26});
}

TEST(IkeRegistry, HashAlgorithmsOfRfc7427Section7) {
  EXPECT_EQ(HashAlgorithmFromName("SHA1"), HashAlgorithm{1});
  EXPECT_EQ(HashAlgorithmFromName("SHA2-256"), HashAlgorithm{2});
  EXPECT_EQ(HashAlgorithmFromName("SHA2-384"), HashAlgorithm{3});
  EXPECT_EQ(HashAlgorithmFromName("SHA2-512"), HashAlgorithm{4});
  // RFC 8420 §2: Identity is 5.
  EXPECT_EQ(Num(HashAlgorithm::kIdentity), 5u);
}

TEST(IkeRegistry, EncryptionTransformIdsOfRfc7296Section3_3_2) {
  const std::vector<std::pair<std::string_view, uint32_t>> rfc = {
      {"ENCR_DES_IV64", 1}, {"ENCR_DES", 2},      {"ENCR_3DES", 3},     {"ENCR_RC5", 4},
      {"ENCR_IDEA", 5},     {"ENCR_CAST", 6},     {"ENCR_BLOWFISH", 7}, {"ENCR_3IDEA", 8},
      {"ENCR_DES_IV32", 9}, {"ENCR_NULL", 11},    {"ENCR_AES_CBC", 12}, {"ENCR_AES_CTR", 13},
  };
  for (const auto& [name, value] : rfc) {
    SCOPED_TRACE(std::string(name));
    EXPECT_EQ(Name(static_cast<Encr>(value)), name);
    EXPECT_EQ(EncrFromName(name), static_cast<Encr>(value));
  }
  // RFC 5529 §4.2: Camellia CBC 23, CTR 24, CCM 25..27.
  EXPECT_EQ(EncrFromName("ENCR_CAMELLIA_CBC"), Encr{23});
  EXPECT_EQ(EncrFromName("ENCR_CAMELLIA_CCM_16"), Encr{27});
  // RFC 8750 §8: implicit-IV AEADs 29, 30, 31.
  EXPECT_EQ(EncrFromName("ENCR_AES_CCM_8_IIV"), Encr{29});
  EXPECT_EQ(EncrFromName("ENCR_AES_GCM_16_IIV"), Encr{30});
  EXPECT_EQ(EncrFromName("ENCR_CHACHA20_POLY1305_IIV"), Encr{31});
}

TEST(IkeRegistry, UnregisteredValuesHaveNoName) {
  EXPECT_EQ(Name(ExchangeType{33}), "");       // 0..33 reserved (RFC 7296 §3.1)
  EXPECT_EQ(Name(PayloadType{1}), "");         // 1..32 reserved (RFC 7296 §3.2)
  EXPECT_EQ(PayloadLongName(PayloadType{200}), "");
  EXPECT_EQ(Name(KeGroup{3}), "");             // reserved
  EXPECT_EQ(Name(NotifyType{2}), "");          // reserved
  EXPECT_EQ(Name(NotifyType{40960}), "");      // private use
  EXPECT_EQ(Name(AuthMethod{4}), "");          // unassigned
  EXPECT_EQ(Name(CfgAttribute{5}), "");        // reserved
}

TEST(IkeRegistry, IsErrorSplitsAt16384) {
  // RFC 7296 §3.10.1: error types 0..16383, status types 16384..65535.
  EXPECT_TRUE(IsError(NotifyType{16383}));
  EXPECT_FALSE(IsError(NotifyType{16384}));
  for (const auto& row : Registry<NotifyType>())
    EXPECT_EQ(IsError(row.value), Num(row.value) < 16384) << row.name;
}

}  // namespace
}  // namespace ipsecref::iana
