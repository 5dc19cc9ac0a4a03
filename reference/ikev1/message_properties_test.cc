// Properties of the IKEv1 codec: Decode inverts Encode for generated
// messages of every payload type the reference reads, and no input, random
// or a mutated real message, makes Decode crash; an error it returns points
// into the input.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/ikev1/describe.h"
#include "reference/ikev1/test_util.h"

namespace ipsecref::ikev1 {
namespace {

rc::Gen<Bytes> GenBytes(size_t max) {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(0, max + 1),
                         [](size_t n) { return rc::gen::container<Bytes>(n, rc::gen::arbitrary<uint8_t>()); });
}

rc::Gen<DataAttribute> GenAttribute() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::pair(rc::gen::inRange<uint16_t>(0, 0x8000), rc::gen::arbitrary<uint16_t>()),
                   [](auto p) { return DataAttribute{p.first, p.second}; }),
      rc::gen::map(rc::gen::pair(rc::gen::inRange<uint16_t>(0, 0x8000), GenBytes(12)),
                   [](auto p) { return DataAttribute{p.first, p.second}; }));
}

rc::Gen<SaPayload> GenSa() {
  auto transform = rc::gen::map(
      rc::gen::tuple(rc::gen::arbitrary<uint8_t>(), rc::gen::arbitrary<uint8_t>(),
                     rc::gen::container<std::vector<DataAttribute>>(GenAttribute())),
      [](auto t) { return Transform{std::get<0>(t), std::get<1>(t), std::get<2>(t)}; });
  auto proposal = rc::gen::map(
      rc::gen::tuple(rc::gen::arbitrary<uint8_t>(), rc::gen::inRange<uint8_t>(1, 5), GenBytes(16),
                     rc::gen::resize(4, rc::gen::container<std::vector<Transform>>(transform))),
      [](auto t) { return Proposal{std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t)}; });
  return rc::gen::map(rc::gen::resize(3, rc::gen::container<std::vector<Proposal>>(proposal)),
                      [](std::vector<Proposal> p) { return SaPayload{kDoiIpsec, 1, std::move(p)}; });
}

rc::Gen<Payload> GenPayload() {
  auto of = [](PayloadType t, auto gen) {
    return rc::gen::map(gen, [t](auto body) { return Payload{t, PayloadBody{std::move(body)}, 0}; });
  };
  return rc::gen::oneOf(
      of(PayloadType::kSa, GenSa()),
      of(PayloadType::kKe, rc::gen::map(GenBytes(64), [](Bytes b) { return KePayload{b}; })),
      of(PayloadType::kId, rc::gen::map(rc::gen::tuple(rc::gen::arbitrary<uint8_t>(), rc::gen::arbitrary<uint8_t>(),
                                                       rc::gen::arbitrary<uint16_t>(), GenBytes(20)),
                                        [](auto t) { return IdPayload{std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t)}; })),
      of(PayloadType::kCert, rc::gen::map(GenBytes(20), [](Bytes b) { return CertPayload{4, b}; })),
      of(PayloadType::kCr, rc::gen::map(GenBytes(20), [](Bytes b) { return CrPayload{4, b}; })),
      of(PayloadType::kHash, rc::gen::map(GenBytes(32), [](Bytes b) { return HashPayload{b}; })),
      of(PayloadType::kSig, rc::gen::map(GenBytes(32), [](Bytes b) { return SigPayload{b}; })),
      of(PayloadType::kNonce, rc::gen::map(GenBytes(32), [](Bytes b) { return NoncePayload{b}; })),
      of(PayloadType::kNotification,
         rc::gen::map(rc::gen::tuple(rc::gen::arbitrary<uint16_t>(), GenBytes(16), GenBytes(8)),
                      [](auto t) { return NotificationPayload{1, 1, std::get<0>(t), std::get<1>(t), std::get<2>(t)}; })),
      of(PayloadType::kDelete, rc::gen::map(rc::gen::inRange<size_t>(0, 4), [](size_t n) {
           return DeletePayload{1, 3, 4, std::vector<Bytes>(n, Bytes{1, 2, 3, 4})};
         })),
      of(PayloadType::kVendorId, rc::gen::map(GenBytes(20), [](Bytes b) { return VendorIdPayload{b}; })),
      of(PayloadType::kAttribute,
         rc::gen::map(rc::gen::pair(rc::gen::arbitrary<uint16_t>(),
                                    rc::gen::container<std::vector<DataAttribute>>(GenAttribute())),
                      [](auto p) { return AttributePayload{1, p.first, p.second}; })),
      of(PayloadType::kNatD, rc::gen::map(GenBytes(32), [](Bytes b) { return NatDPayload{b}; })),
      of(PayloadType::kNatOa, rc::gen::map(GenBytes(16), [](Bytes b) { return NatOaPayload{1, b}; })),
      of(PayloadType::kFragment, rc::gen::map(GenBytes(32), [](Bytes b) { return FragmentPayload{7, 1, 1, b}; })));
}

RC_GTEST_PROP(Ikev1Properties, DecodeInvertsEncode, ()) {
  Message m;
  m.header.initiator_cookie = *rc::gen::arbitrary<uint64_t>();
  m.header.exchange_type = *rc::gen::element(ExchangeType::kIdentityProtection, ExchangeType::kAggressive,
                                             ExchangeType::kInformational, ExchangeType::kTransaction);
  m.payloads = *rc::gen::resize(8, rc::gen::container<std::vector<Payload>>(GenPayload()));
  RC_ASSERT(Finalize(m).ok());
  const Bytes wire = Encode(m).value();
  auto back = Decode(wire);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == m);
  RC_ASSERT(back->notes.empty());
  RC_ASSERT(Encode(*back).value() == wire);
  (void)DescribeMessage(*back);
}

void CheckNeverCrashes(const Bytes& wire) {
  auto m = Decode(wire);
  if (!m) {
    const Error& e = m.error();
    RC_ASSERT(e.offset == kNoOffset || e.offset <= wire.size());
    RC_ASSERT(!e.detail.empty());
    return;
  }
  (void)Validate(*m);
  (void)DescribeMessage(*m);
  RC_ASSERT(Encode(*m).ok());
}

RC_GTEST_PROP(Ikev1Properties, RandomBytesNeverCrash, ()) {
  Bytes wire = *GenBytes(400);
  if (*rc::gen::arbitrary<bool>() && wire.size() >= 28) {  // a plausible header half of the time
    wire[17] = 0x10;
    wire[19] &= 0xfe;
    StoreU32(&wire[24], static_cast<uint32_t>(wire.size()));
  }
  CheckNeverCrashes(wire);
}

RC_GTEST_PROP(Ikev1Properties, MutatedRealMessageNeverCrashes, ()) {
  Bytes wire = kMainMode1;
  const size_t flips = *rc::gen::inRange<size_t>(1, 6);
  for (size_t i = 0; i < flips; ++i)
    wire[*rc::gen::inRange<size_t>(28, wire.size())] = *rc::gen::arbitrary<uint8_t>();
  if (*rc::gen::arbitrary<bool>()) wire.resize(*rc::gen::inRange<size_t>(28, wire.size()));
  StoreU32(&wire[24], static_cast<uint32_t>(wire.size()));
  CheckNeverCrashes(wire);
}

}  // namespace
}  // namespace ipsecref::ikev1
