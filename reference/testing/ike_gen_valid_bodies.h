// Generators of the other payload bodies that meet their Verify rules: ID,
// CERT, CERTREQ, AUTH, Nonce, Notify, Delete, Vendor ID, TS, SK, SKF, CP,
// EAP. See ike_generators.h.
#pragma once

#include "reference/testing/ike_gen_base.h"

namespace ipsecref::testing {


// Letters, digits, '-' and '.': a host name without any terminator.
inline rc::Gen<Bytes> GenHostName(size_t min, size_t max) {
  static const std::string kChars = "abcdefghijklmnopqrstuvwxyz0123456789-.";
  return rc::gen::mapcat(rc::gen::inRange<size_t>(min, max + 1), [](size_t n) {
    return rc::gen::container<Bytes>(n, rc::gen::map(rc::gen::inRange<size_t>(0, kChars.size()),
                                                     [](size_t i) { return static_cast<uint8_t>(kChars[i]); }));
  });
}

//= rfc7296#section-3.5
//# Address IDs have the address's size; names carry no terminator.
inline rc::Gen<ike::IdPayload> GenValidId() {
  using I = iana::IdType;
  return rc::gen::mapcat(rc::gen::element(I::kIpv4Addr, I::kFqdn, I::kRfc822Addr, I::kIpv6Addr, I::kDerAsn1Dn,
                                          I::kDerAsn1Gn, I::kKeyId, I::kNull),
                         [](I type) {
                           rc::Gen<Bytes> data = GenBytes(1, 64);
                           if (type == I::kIpv4Addr) data = GenBytesOfSize(4);
                           if (type == I::kIpv6Addr) data = GenBytesOfSize(16);
                           if (type == I::kFqdn) data = GenHostName(1, 40);
                           if (type == I::kRfc822Addr)
                             data = rc::gen::map(rc::gen::pair(GenHostName(1, 10), GenHostName(1, 20)), [](auto parts) {
                               Bytes b = parts.first;
                               b.push_back('@');
                               b.insert(b.end(), parts.second.begin(), parts.second.end());
                               return b;
                             });
                           //= rfc7619#section-2.2
                           //# ID_NULL carries no identification data.
                           if (type == I::kNull) data = rc::gen::just(Bytes{});
                           return rc::gen::build<ike::IdPayload>(
                               rc::gen::set(&ike::IdPayload::id_type, rc::gen::just(type)),
                               rc::gen::set(&ike::IdPayload::identification_data, data));
                         });
}

//= rfc7296#section-3.6
//# Hash and URL: a 20-octet SHA-1 hash, then the URL.
inline rc::Gen<ike::CertPayload> GenValidCert() {
  using C = iana::CertEncoding;
  return rc::gen::mapcat(rc::gen::element(C::kX509Signature, C::kPkcs7X509, C::kCrl, C::kRawPublicKey,
                                          C::kHashUrlX509Cert, C::kHashUrlX509Bundle),
                         [](C encoding) {
                           rc::Gen<Bytes> data = GenBytes(1, 300);
                           if (encoding == C::kHashUrlX509Cert || encoding == C::kHashUrlX509Bundle)
                             data = rc::gen::map(rc::gen::pair(GenBytesOfSize(20), GenHostName(1, 60)), [](auto p) {
                               Bytes b = p.first;
                               b.insert(b.end(), p.second.begin(), p.second.end());
                               return b;
                             });
                           return rc::gen::build<ike::CertPayload>(
                               rc::gen::set(&ike::CertPayload::cert_encoding, rc::gen::just(encoding)),
                               rc::gen::set(&ike::CertPayload::certificate_data, data));
                         });
}

//= rfc7296#section-3.7
//# X.509 CERTREQ: a list of 20-octet SHA-1 hashes of CA public keys.
inline rc::Gen<ike::CertreqPayload> GenValidCertreq() {
  return rc::gen::build<ike::CertreqPayload>(
      rc::gen::set(&ike::CertreqPayload::cert_encoding, rc::gen::just(iana::CertEncoding::kX509Signature)),
      rc::gen::set(&ike::CertreqPayload::certification_authority,
                   rc::gen::mapcat(rc::gen::inRange<size_t>(1, 5), [](size_t n) { return GenBytesOfSize(20 * n); })));
}

//= rfc4754#section-7
//# ECDSA AUTH data is r||s: 64, 96 or 132 octets for P-256, P-384, P-521.
inline rc::Gen<ike::AuthPayload> GenValidAuth() {
  using A = iana::AuthMethod;
  const std::vector<std::pair<A, size_t>> methods = {{A::kRsaDigitalSignature, 256}, {A::kSharedKeyMic, 32},
                                                     {A::kSharedKeyMic, 64},         {A::kEcdsaSha256P256, 64},
                                                     {A::kEcdsaSha384P384, 96},      {A::kEcdsaSha512P521, 132},
                                                     {A::kNullAuthentication, 32},   {A::kDigitalSignature, 80}};
  return rc::gen::mapcat(rc::gen::elementOf(methods), [](const std::pair<A, size_t>& m) {
    return rc::gen::build<ike::AuthPayload>(
        rc::gen::set(&ike::AuthPayload::auth_method, rc::gen::just(m.first)),
        rc::gen::set(&ike::AuthPayload::authentication_data, GenBytesOfSize(m.second)));
  });
}

//= rfc7296#section-3.9
//# Nonces are 16 to 256 octets.
inline rc::Gen<ike::NoncePayload> GenValidNonce() {
  return rc::gen::build<ike::NoncePayload>(rc::gen::set(&ike::NoncePayload::nonce_data, GenBytes(16, 256)));
}

// Notify types with the data sizes their RFCs fix (data_min..data_max in
// steps of `multiple`; spi: the SPI size, with Protocol ID ESP or AH when
// it is not 0).
struct NotifyShape {
  iana::NotifyType type;
  size_t data_min, data_max, multiple;
  int spi;
};

inline const std::vector<NotifyShape>& ValidNotifyShapes() {
  using N = iana::NotifyType;
  static const std::vector<NotifyShape> shapes = {
      {N::kUnsupportedCriticalPayload, 1, 1, 1, 0},  // RFC 7296 §3.10.1: the payload type
      {N::kInvalidKePayload, 2, 2, 1, 0},            // §3.10.1: the accepted group
      {N::kInvalidMessageId, 4, 4, 1, 0},            // §3.10.1: the message ID
      {N::kInvalidMajorVersion, 1, 1, 1, 0},         // §3.10.1
      {N::kSetWindowSize, 4, 4, 1, 0},               // §3.10.1
      {N::kNatDetectionSourceIp, 20, 20, 1, 0},      // §2.23: SHA-1 digest
      {N::kNatDetectionDestinationIp, 20, 20, 1, 0},
      {N::kCookie, 1, 64, 1, 0},  // §2.6
      {N::kRekeySa, 0, 0, 1, 4},  // §1.3.3: SPI of the Child SA
      {N::kUseTransportMode, 0, 0, 1, 0},
      {N::kEspTfcPaddingNotSupported, 0, 0, 1, 0},
      {N::kNonFirstFragmentsAlso, 0, 0, 1, 0},
      {N::kInitialContact, 0, 0, 1, 0},
      {N::kIkev2FragmentationSupported, 0, 0, 1, 0},    // RFC 7383 §2.3
      {N::kSignatureHashAlgorithms, 2, 16, 2, 0},       // RFC 7427 §4
      {N::kIntermediateExchangeSupported, 0, 0, 1, 0},  // RFC 9242 §3.1
      {N::kMobikeSupported, 0, 0, 1, 0},                // RFC 4555 §4.2
      {N::kAdditionalIp4Address, 4, 4, 1, 0},
      {N::kAdditionalIp6Address, 16, 16, 1, 0},
      {N::kChildlessIkev2Supported, 0, 0, 1, 0},  // RFC 6023 §3
      {N::kNoProposalChosen, 0, 0, 1, 0},         // no fixed data: any
      {N::kAuthenticationFailed, 0, 0, 1, 0},
      {N::kInvalidSpi, 4, 4, 1, 0},             // §3.10.1: the SPI in the data
      {N::kRedirectSupported, 0, 0, 1, 0},      // RFC 5685
      {N::kMultipleAuthSupported, 0, 0, 1, 0},  // RFC 4739
  };
  return shapes;
}

inline rc::Gen<ike::NotifyPayload> GenValidNotify() {
  return rc::gen::mapcat(rc::gen::elementOf(ValidNotifyShapes()), [](const NotifyShape& s) {
    return rc::gen::exec([s] {
      ike::NotifyPayload n;
      n.notify_message_type = s.type;
      const size_t items = *rc::gen::inRange<size_t>(s.data_min / s.multiple, s.data_max / s.multiple + 1);
      n.notification_data = *GenBytesOfSize(items * s.multiple);
      if (s.spi > 0) {
        n.protocol_id =
            static_cast<uint8_t>(*rc::gen::element(iana::SecurityProtocol::kEsp, iana::SecurityProtocol::kAh));
        n.spi = *GenBytesOfSize(static_cast<size_t>(s.spi));
      }
      return n;
    });
  });
}

//= rfc7296#section-3.11
//# Deleting the IKE SA: SPI Size 0, no SPIs; ESP or AH: 4-octet SPIs.
inline rc::Gen<ike::DeletePayload> GenValidDelete() {
  return rc::gen::exec([] {
    ike::DeletePayload d;
    d.protocol_id =
        *rc::gen::element(iana::SecurityProtocol::kIke, iana::SecurityProtocol::kEsp, iana::SecurityProtocol::kAh);
    if (d.protocol_id == iana::SecurityProtocol::kIke) {
      d.spi_size = 0;
      d.num_of_spis = 0;
      return d;
    }
    d.spi_size = 4;
    d.spis = *rc::gen::container<std::vector<Bytes>>(*rc::gen::inRange<size_t>(1, 9), GenBytesOfSize(4));
    d.num_of_spis = static_cast<uint16_t>(d.spis.size());
    return d;
  });
}

inline rc::Gen<ike::VendorIdPayload> GenValidVendorId() {
  return rc::gen::build<ike::VendorIdPayload>(rc::gen::set(&ike::VendorIdPayload::vendor_id, GenBytes(1, 32)));
}

//= rfc7296#section-3.13.1
//# Starting address and port not above the ending ones (or the OPAQUE
//# port range 65535-0).
inline rc::Gen<ike::TrafficSelector> GenValidTrafficSelector() {
  return rc::gen::exec([] {
    ike::TrafficSelector ts;
    ts.ts_type = *rc::gen::element(iana::TsType::kIpv4AddrRange, iana::TsType::kIpv6AddrRange);
    const size_t size = ts.ts_type == iana::TsType::kIpv4AddrRange ? 4 : 16;
    ts.ip_protocol_id = *rc::gen::element<uint8_t>(0, 1, 6, 17, 58, 132);
    Bytes a = *GenBytesOfSize(size), b = *GenBytesOfSize(size);
    if (b < a) std::swap(a, b);
    ts.starting_address = a;
    ts.ending_address = b;
    const int ports = *rc::gen::inRange(0, 4);
    if (ports == 0) {
      ts.start_port = 0;
      ts.end_port = 65535;
    } else if (ports == 1) {
      ts.start_port = 65535;  // OPAQUE
      ts.end_port = 0;
    } else {
      uint16_t p = *rc::gen::arbitrary<uint16_t>(), q = *rc::gen::arbitrary<uint16_t>();
      if (ports == 2) q = p;
      ts.start_port = std::min(p, q);
      ts.end_port = std::max(p, q);
    }
    return ts;
  });
}

inline rc::Gen<ike::TsPayload> GenValidTs() {
  return rc::gen::build<ike::TsPayload>(
      rc::gen::set(&ike::TsPayload::traffic_selectors, rc::gen::mapcat(rc::gen::inRange<size_t>(1, 5), [](size_t n) {
        return rc::gen::container<std::vector<ike::TrafficSelector>>(n, GenValidTrafficSelector());
      })));
}

// The first inner payload of an SK payload: a payload that may be encrypted.
inline rc::Gen<iana::PayloadType> GenInnerPayloadType() { return rc::gen::elementOf(PlainPayloadTypes()); }

inline rc::Gen<ike::SkPayload> GenValidSk() {
  return rc::gen::build<ike::SkPayload>(rc::gen::set(&ike::SkPayload::first_inner, GenInnerPayloadType()),
                                        rc::gen::set(&ike::SkPayload::encrypted, GenBytes(24, 300)));
}

//= rfc7383#section-2.5
//# Fragment Number 1..Total Fragments; only fragment 1 names the first
//# inner payload.
inline rc::Gen<ike::SkfPayload> GenValidSkf() {
  return rc::gen::exec([] {
    ike::SkfPayload f;
    f.total_fragments = *rc::gen::inRange<uint16_t>(1, 12);
    f.fragment_number = *rc::gen::inRange<uint16_t>(1, static_cast<uint16_t>(f.total_fragments + 1));
    f.first_inner = f.fragment_number == 1 ? *GenInnerPayloadType() : iana::PayloadType::kNone;
    f.encrypted = *GenBytes(24, 300);
    return f;
  });
}

//= rfc7296#section-3.15.1
//# Attribute values are empty (a request) or have their type's size.
inline rc::Gen<ike::CpAttribute> GenValidCpAttribute() {
  using A = iana::CfgAttribute;
  const std::vector<std::pair<A, size_t>> shapes = {
      {A::kInternalIp4Address, 4}, {A::kInternalIp4Netmask, 4},  {A::kInternalIp4Dns, 4},  {A::kInternalIp4Nbns, 4},
      {A::kInternalIp4Dhcp, 4},    {A::kInternalIp6Address, 17}, {A::kInternalIp6Dns, 16}, {A::kInternalIp6Dhcp, 16},
      {A::kInternalIp4Subnet, 8},  {A::kInternalIp6Subnet, 17}};
  return rc::gen::weightedOneOf<ike::CpAttribute>(
      {{6, rc::gen::mapcat(rc::gen::elementOf(shapes),
                           [](const std::pair<A, size_t>& s) {
                             return rc::gen::build<ike::CpAttribute>(
                                 rc::gen::set(&ike::CpAttribute::attribute_type,
                                              rc::gen::just(static_cast<uint16_t>(s.first))),
                                 rc::gen::set(&ike::CpAttribute::value,
                                              rc::gen::oneOf(rc::gen::just(Bytes{}), GenBytesOfSize(s.second))));
                           })},
       {1,
        rc::gen::build<ike::CpAttribute>(
            rc::gen::set(&ike::CpAttribute::attribute_type,
                         rc::gen::just(static_cast<uint16_t>(A::kSupportedAttributes))),
            rc::gen::set(&ike::CpAttribute::value, rc::gen::mapcat(rc::gen::inRange<size_t>(0, 6),
                                                                   [](size_t n) { return GenBytesOfSize(2 * n); })))},
       {1, rc::gen::build<ike::CpAttribute>(rc::gen::set(&ike::CpAttribute::attribute_type,
                                                         rc::gen::just(static_cast<uint16_t>(A::kApplicationVersion))),
                                            rc::gen::set(&ike::CpAttribute::value, GenHostName(0, 20)))}});
}

inline rc::Gen<ike::CpPayload> GenValidCp() {
  return rc::gen::build<ike::CpPayload>(
      rc::gen::set(&ike::CpPayload::cfg_type, rc::gen::element(iana::CfgType::kRequest, iana::CfgType::kReply,
                                                               iana::CfgType::kSet, iana::CfgType::kAck)),
      rc::gen::set(&ike::CpPayload::attributes, rc::gen::mapcat(rc::gen::inRange<size_t>(0, 6), [](size_t n) {
        return rc::gen::container<std::vector<ike::CpAttribute>>(n, GenValidCpAttribute());
      })));
}

//= rfc3748#section-4
//# Request/Response: Code, Identifier, Length, Type, Type-Data; Success and
//# Failure: the 4-octet header only. Length counts the whole message.
inline rc::Gen<ike::EapPayload> GenValidEap() {
  return rc::gen::exec([] {
    const uint8_t code = *rc::gen::inRange<uint8_t>(1, 5);
    Bytes m = {code, *rc::gen::arbitrary<uint8_t>(), 0, 0};
    if (code <= 2) {
      m.push_back(*rc::gen::element<uint8_t>(1, 4, 13, 18, 23, 26, 50));
      const Bytes data = *GenBytes(0, 40);
      m.insert(m.end(), data.begin(), data.end());
    }
    StoreU16(&m[2], static_cast<uint16_t>(m.size()));
    return ike::EapPayload{m};
  });
}


}  // namespace ipsecref::testing
