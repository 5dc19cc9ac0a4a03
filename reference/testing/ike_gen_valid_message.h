// Verify-valid payloads of any type, headers and messages
// (GenValidPayloadOfType, GenValidHeader, GenValidMessageOf,
// GenValidMessage). See ike_generators.h.
#pragma once

#include "reference/testing/ike_gen_message.h"
#include "reference/testing/ike_gen_valid_bodies.h"
#include "reference/testing/ike_gen_valid_sa.h"

namespace ipsecref::testing {

// A payload of `type` whose body meets its Verify; unknown types get an
// opaque, non-critical body.
inline rc::Gen<ike::Payload> GenValidPayloadOfType(iana::PayloadType type) {
  using PT = iana::PayloadType;
  auto with = [type](auto body_gen) {
    return rc::gen::map(body_gen, [type](auto body) {
      ike::Payload p;
      p.type = type;
      p.body = std::move(body);
      return p;
    });
  };
  switch (type) {
    case PT::kSa:
      return with(GenValidSa());
    case PT::kKe:
      return with(GenValidKe());
    case PT::kIdi:
    case PT::kIdr:
      return with(GenValidId());
    case PT::kCert:
      return with(GenValidCert());
    case PT::kCertreq:
      return with(GenValidCertreq());
    case PT::kAuth:
      return with(GenValidAuth());
    case PT::kNonce:
      return with(GenValidNonce());
    case PT::kNotify:
      return with(GenValidNotify());
    case PT::kDelete:
      return with(GenValidDelete());
    case PT::kVendorId:
      return with(GenValidVendorId());
    case PT::kTsi:
    case PT::kTsr:
      return with(GenValidTs());
    case PT::kSk:
      return with(GenValidSk());
    case PT::kCp:
      return with(GenValidCp());
    case PT::kEap:
      return with(GenValidEap());
    case PT::kSkf:
      return with(GenValidSkf());
    default:
      return with(rc::gen::arbitrary<ike::UnknownPayload>());
  }
}

// A Verify-valid header: IKEv2 2.0, a registered exchange, only the
// Initiator and Response flags.
inline rc::Gen<ike::Header> GenValidHeader(iana::ExchangeType exchange) {
  return rc::gen::exec([exchange] {
    ike::Header h;
    h.spi_i = *rc::gen::inRange<uint64_t>(1, UINT64_MAX);
    h.exchange_type = exchange;
    const bool response = *rc::gen::arbitrary<bool>();
    h.spi_r = exchange == iana::ExchangeType::kIkeSaInit && !response ? 0 : *rc::gen::inRange<uint64_t>(1, UINT64_MAX);
    h.flags = static_cast<uint8_t>((*rc::gen::arbitrary<bool>() ? ike::kFlagInitiator : 0) |
                                   (response ? ike::kFlagResponse : 0));
    h.message_id = exchange == iana::ExchangeType::kIkeSaInit ? 0 : *rc::gen::inRange<uint32_t>(0, 100);
    return h;
  });
}

// A finalized message of exactly these payload types, each valid.
inline rc::Gen<ike::Message> GenValidMessageOf(iana::ExchangeType exchange, std::vector<iana::PayloadType> types) {
  return rc::gen::exec([exchange, types] {
    ike::Message m;
    m.header = *GenValidHeader(exchange);
    for (iana::PayloadType t : types) m.payloads.push_back(*GenValidPayloadOfType(t));
    RC_ASSERT(ike::Finalize(m).ok());
    return m;
  });
}

// A finalized message of 1..8 valid payloads of any types (an SK or SKF
// payload only last), under a registered exchange type.
inline rc::Gen<ike::Message> GenValidMessage() {
  return rc::gen::exec([] {
    using ET = iana::ExchangeType;
    const ET exchange =
        *rc::gen::element(ET::kIkeSaInit, ET::kIkeAuth, ET::kCreateChildSa, ET::kInformational, ET::kIkeIntermediate);
    std::vector<iana::PayloadType> types = *rc::gen::container<std::vector<iana::PayloadType>>(
        *rc::gen::inRange<size_t>(1, 8),
        rc::gen::weightedOneOf<iana::PayloadType>(
            {{12, rc::gen::elementOf(PlainPayloadTypes())}, {1, GenUnknownPayloadType()}}));
    if (*rc::gen::arbitrary<bool>())
      types.push_back(*rc::gen::element(iana::PayloadType::kSk, iana::PayloadType::kSkf));
    return *GenValidMessageOf(exchange, types);
  });
}

}  // namespace ipsecref::testing
