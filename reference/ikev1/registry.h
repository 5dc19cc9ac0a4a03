// The IKEv1 numbers a reader of a capture meets, with their names: ISAKMP's
// own (RFC 2408), IKE's attribute classes (RFC 2409 Appendix A), the IPsec
// DOI's (RFC 2407 §4.4-4.6), NAT traversal (RFC 3947), dead peer detection
// (RFC 3706), Mode Config and XAuth (draft-dukes-ike-mode-cfg-02,
// draft-beaulieu-ike-xauth-02). Names are the documents' own identifiers.
// Every lookup returns "" for a number the tables do not hold.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ipsecref::ikev1 {

//= rfc2408#section-3.1
//# The Next Payload field names the first payload by a number from this
//# table; values 14-127 are reserved by ISAKMP (later documents use some).
enum class PayloadType : uint8_t {
  kNone = 0,
  kSa = 1,
  kProposal = 2,
  kTransform = 3,
  kKe = 4,
  kId = 5,
  kCert = 6,
  kCr = 7,
  kHash = 8,
  kSig = 9,
  kNonce = 10,
  kNotification = 11,
  kDelete = 12,
  kVendorId = 13,
  kAttribute = 14,       // draft-dukes-ike-mode-cfg-02 §3.2
  kNatD = 20,            // RFC 3947 §3.2
  kNatOa = 21,           // RFC 3947 §5.2
  kNatDDraft = 130,      // draft-ietf-ipsec-nat-t-ike-02/03, before RFC 3947
  kNatOaDraft = 131,
  kFragment = 132,       // IKEv1 fragmentation (Cisco's, also strongSwan's)
};

//= rfc2408#section-3.1
//# Exchange Type: 0 None, 1 Base, 2 Identity Protection, 3 Authentication
//# Only, 4 Aggressive, 5 Informational; DOI-specific ones start at 32.
//= rfc2409#section-5.5
//# IKE's Quick Mode is DOI exchange 32 and New Group Mode 33 (RFC 2409
//# Appendix A).
enum class ExchangeType : uint8_t {
  kNone = 0,
  kBase = 1,
  kIdentityProtection = 2,  // IKE's Main Mode
  kAuthenticationOnly = 3,
  kAggressive = 4,
  kInformational = 5,
  kTransaction = 6,  // draft-dukes-ike-mode-cfg-02 §3.1: Mode Config and XAuth
  kQuickMode = 32,
  kNewGroupMode = 33,
};

std::string_view Name(PayloadType v);
std::string_view Name(ExchangeType v);
// "Main Mode" for Identity Protection, as IKE names it; else Name().
std::string_view IkeName(ExchangeType v);

//= rfc2407#section-4.4.1
//# The IPsec DOI's protocol identifiers: PROTO_ISAKMP 1, PROTO_IPSEC_AH 2,
//# PROTO_IPSEC_ESP 3, PROTO_IPCOMP 4.
std::string_view ProtocolName(uint8_t protocol_id);
// A transform ID's name within its protocol (RFC 2407 §4.4.2-4.4.5).
std::string_view TransformName(uint8_t protocol_id, uint8_t transform_id);
// A data attribute's class name: Phase 1 (protocol ISAKMP: RFC 2409
// Appendix A) or Phase 2 (RFC 2407 §4.5).
std::string_view AttributeName(uint8_t protocol_id, uint16_t attribute_type);
// A basic attribute's value name, where its class names its values.
std::string_view AttributeValueName(uint8_t protocol_id, uint16_t attribute_type, uint16_t value);

//= rfc2407#section-4.6.2.1
//# Identification types of the IPsec DOI: 1 to 11.
std::string_view IdTypeName(uint8_t id_type);
//= rfc2408#section-3.9
//# Certificate encodings 0 to 10.
std::string_view CertEncodingName(uint8_t encoding);
// ISAKMP's notify message types (RFC 2408 §3.14.1), the IPsec DOI's status
// types (RFC 2407 §4.6.3) and DPD's (RFC 3706 §5.3).
std::string_view NotifyName(uint16_t type);
//= rfc2407#section-4.2
//# The IPsec DOI's Situation bits: SIT_IDENTITY_ONLY 1, SIT_SECRECY 2,
//# SIT_INTEGRITY 4.
std::string SituationName(uint32_t situation);
// Mode Config message types (draft-dukes-ike-mode-cfg-02 §3.2) and
// attribute types, XAuth's among them (draft-beaulieu-ike-xauth-02 §6).
std::string_view CfgTypeName(uint8_t type);
std::string_view CfgAttributeName(uint16_t type);

// "NAME (n)", or "n" when the name is "".
std::string Named(std::string_view name, unsigned value);

}  // namespace ipsecref::ikev1
