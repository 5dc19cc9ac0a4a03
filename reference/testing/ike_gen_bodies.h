// rc::Arbitrary for every IKEv2 payload body (reference/ike/wire/payloads/):
// syntactically valid, each body survives its own parser; field values are
// otherwise arbitrary. See ike_generators.h.
#pragma once

#include "reference/testing/ike_gen_base.h"

// ---------------------------------------------------------------------------
// Syntactically valid bodies: rc::Arbitrary specialisations.

namespace rc {

template <>
struct Arbitrary<ipsecref::ike::TransformAttribute> {
  static Gen<ipsecref::ike::TransformAttribute> arbitrary() {
    using ipsecref::ike::TransformAttribute;
    return gen::exec([] {
      TransformAttribute a;
      // The AF bit is the format, not part of the type.
      a.type = *gen::weightedOneOf<uint16_t>(
          {{2, gen::just<uint16_t>(static_cast<uint16_t>(ipsecref::iana::TransformAttribute::kKeyLength))},
           {1, gen::inRange<uint16_t>(0, 0x8000)}});
      if (*gen::arbitrary<bool>()) {
        a.value = *gen::arbitrary<uint16_t>();
      } else {
        a.value = *ipsecref::testing::GenBytes(0, 16);
      }
      return a;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::Transform> {
  static Gen<ipsecref::ike::Transform> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::Transform t;
      t.type = *ipsecref::testing::GenMostlyRegistered<iana::TransformType>();
      t.id = *gen::weightedOneOf<uint16_t>({{3, gen::inRange<uint16_t>(0, 40)}, {1, gen::arbitrary<uint16_t>()}});
      t.attributes = *gen::container<std::vector<ike::TransformAttribute>>(*gen::inRange<size_t>(0, 3),
                                                                           gen::arbitrary<ike::TransformAttribute>());
      return t;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::Proposal> {
  static Gen<ipsecref::ike::Proposal> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::Proposal p;
      p.proposal_num = *gen::arbitrary<uint8_t>();
      p.protocol_id = *ipsecref::testing::GenMostlyRegistered<iana::SecurityProtocol>();
      p.spi = *gen::weightedOneOf<Bytes>(
          {{3, gen::mapcat(gen::element<size_t>(0, 4, 8), ipsecref::testing::GenBytesOfSize)},
           {1, ipsecref::testing::GenBytes(0, 32)}});
      p.transforms =
          *gen::container<std::vector<ike::Transform>>(*gen::inRange<size_t>(0, 7), gen::arbitrary<ike::Transform>());
      return p;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::SaPayload> {
  static Gen<ipsecref::ike::SaPayload> arbitrary() {
    using namespace ipsecref;
    // At least one proposal: the parser refuses an SA payload without any.
    return gen::build<ike::SaPayload>(
        gen::set(&ike::SaPayload::proposals, gen::mapcat(gen::inRange<size_t>(1, 5), [](size_t n) {
          return gen::container<std::vector<ike::Proposal>>(n, gen::arbitrary<ike::Proposal>());
        })));
  }
};

template <>
struct Arbitrary<ipsecref::ike::KePayload> {
  static Gen<ipsecref::ike::KePayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::KePayload>(
        gen::set(&ike::KePayload::group, ipsecref::testing::GenMostlyRegistered<iana::KeGroup>()),
        gen::set(&ike::KePayload::key_exchange_data, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::IdPayload> {
  static Gen<ipsecref::ike::IdPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::IdPayload>(
        gen::set(&ike::IdPayload::id_type, ipsecref::testing::GenMostlyRegistered<iana::IdType>()),
        gen::set(&ike::IdPayload::identification_data, ipsecref::testing::GenBytes(0, 64)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::CertPayload> {
  static Gen<ipsecref::ike::CertPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::CertPayload>(
        gen::set(&ike::CertPayload::cert_encoding, ipsecref::testing::GenMostlyRegistered<iana::CertEncoding>()),
        gen::set(&ike::CertPayload::certificate_data, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::CertreqPayload> {
  static Gen<ipsecref::ike::CertreqPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::CertreqPayload>(
        gen::set(&ike::CertreqPayload::cert_encoding, ipsecref::testing::GenMostlyRegistered<iana::CertEncoding>()),
        gen::set(&ike::CertreqPayload::certification_authority, ipsecref::testing::GenBytes(0, 100)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::AuthPayload> {
  static Gen<ipsecref::ike::AuthPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::AuthPayload>(
        gen::set(&ike::AuthPayload::auth_method, ipsecref::testing::GenMostlyRegistered<iana::AuthMethod>()),
        gen::set(&ike::AuthPayload::authentication_data, ipsecref::testing::GenBytes(0, 140)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::NoncePayload> {
  static Gen<ipsecref::ike::NoncePayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::NoncePayload>(gen::set(&ike::NoncePayload::nonce_data, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::NotifyPayload> {
  static Gen<ipsecref::ike::NotifyPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::NotifyPayload>(
        gen::set(&ike::NotifyPayload::protocol_id, gen::arbitrary<uint8_t>()),
        gen::set(&ike::NotifyPayload::spi,
                 gen::weightedOneOf<Bytes>(
                     {{3, gen::mapcat(gen::element<size_t>(0, 4, 8), ipsecref::testing::GenBytesOfSize)},
                      {1, ipsecref::testing::GenBytes(0, 32)}})),
        gen::set(&ike::NotifyPayload::notify_message_type, ipsecref::testing::GenMostlyRegistered<iana::NotifyType>()),
        gen::set(&ike::NotifyPayload::notification_data, ipsecref::testing::GenBytes(0, 64)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::DeletePayload> {
  static Gen<ipsecref::ike::DeletePayload> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::DeletePayload d;
      d.protocol_id = *ipsecref::testing::GenMostlyRegistered<iana::SecurityProtocol>();
      d.spi_size =
          *gen::weightedOneOf<uint8_t>({{3, gen::element<uint8_t>(0, 4, 8)}, {1, gen::inRange<uint8_t>(0, 17)}});
      if (d.spi_size == 0) {
        // SPI Size 0 with any count: no SPI bytes follow.
        d.num_of_spis = *gen::arbitrary<uint16_t>();
        return d;
      }
      d.spis = *gen::container<std::vector<Bytes>>(*gen::inRange<size_t>(0, 9),
                                                   ipsecref::testing::GenBytesOfSize(d.spi_size));
      d.num_of_spis = static_cast<uint16_t>(d.spis.size());
      return d;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::VendorIdPayload> {
  static Gen<ipsecref::ike::VendorIdPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::VendorIdPayload>(
        gen::set(&ike::VendorIdPayload::vendor_id, ipsecref::testing::GenBytes(0, 64)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::TrafficSelector> {
  static Gen<ipsecref::ike::TrafficSelector> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::TrafficSelector ts;
      ts.ts_type = *gen::weightedOneOf<iana::TsType>({{2, gen::just(iana::TsType::kIpv4AddrRange)},
                                                      {2, gen::just(iana::TsType::kIpv6AddrRange)},
                                                      {1, ipsecref::testing::GenAnyEnum<iana::TsType>()}});
      ts.ip_protocol_id = *gen::arbitrary<uint8_t>();
      if (!ts.address_range()) {
        // Other TS types: everything after Selector Length is opaque, and
        // the port and address fields keep their defaults.
        ts.other = *ipsecref::testing::GenBytes(0, 32);
        return ts;
      }
      const size_t size = ts.ts_type == iana::TsType::kIpv4AddrRange ? 4 : 16;
      ts.start_port = *gen::arbitrary<uint16_t>();
      ts.end_port = *gen::arbitrary<uint16_t>();
      ts.starting_address = *ipsecref::testing::GenBytesOfSize(size);
      ts.ending_address = *ipsecref::testing::GenBytesOfSize(size);
      return ts;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::TsPayload> {
  static Gen<ipsecref::ike::TsPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::TsPayload>(
        gen::set(&ike::TsPayload::traffic_selectors, gen::mapcat(gen::inRange<size_t>(0, 6), [](size_t n) {
          return gen::container<std::vector<ike::TrafficSelector>>(n, gen::arbitrary<ike::TrafficSelector>());
        })));
  }
};

template <>
struct Arbitrary<ipsecref::ike::SkPayload> {
  static Gen<ipsecref::ike::SkPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::SkPayload>(
        gen::set(&ike::SkPayload::first_inner, ipsecref::testing::GenAnyEnum<iana::PayloadType>()),
        gen::set(&ike::SkPayload::encrypted, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::SkfPayload> {
  static Gen<ipsecref::ike::SkfPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::SkfPayload>(
        gen::set(&ike::SkfPayload::first_inner, ipsecref::testing::GenAnyEnum<iana::PayloadType>()),
        gen::set(&ike::SkfPayload::fragment_number, gen::arbitrary<uint16_t>()),
        gen::set(&ike::SkfPayload::total_fragments, gen::arbitrary<uint16_t>()),
        gen::set(&ike::SkfPayload::encrypted, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::CpAttribute> {
  static Gen<ipsecref::ike::CpAttribute> arbitrary() {
    using namespace ipsecref;
    // The R bit is reserved, not part of the type.
    return gen::build<ike::CpAttribute>(
        gen::set(
            &ike::CpAttribute::attribute_type,
            gen::weightedOneOf<uint16_t>({{3, gen::inRange<uint16_t>(0, 30)}, {1, gen::inRange<uint16_t>(0, 0x8000)}})),
        gen::set(&ike::CpAttribute::value, ipsecref::testing::GenBytes(0, 20)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::CpPayload> {
  static Gen<ipsecref::ike::CpPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::CpPayload>(
        gen::set(&ike::CpPayload::cfg_type, ipsecref::testing::GenMostlyRegistered<iana::CfgType>()),
        gen::set(&ike::CpPayload::attributes, gen::mapcat(gen::inRange<size_t>(0, 6), [](size_t n) {
          return gen::container<std::vector<ike::CpAttribute>>(n, gen::arbitrary<ike::CpAttribute>());
        })));
  }
};

template <>
struct Arbitrary<ipsecref::ike::EapPayload> {
  static Gen<ipsecref::ike::EapPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::EapPayload>(gen::set(&ike::EapPayload::eap_message, ipsecref::testing::GenBytes(0, 64)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::UnknownPayload> {
  static Gen<ipsecref::ike::UnknownPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::UnknownPayload>(gen::set(&ike::UnknownPayload::body, ipsecref::testing::GenBytes(0, 64)));
  }
};

}  // namespace rc
