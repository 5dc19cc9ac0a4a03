// Properties of ESP over every transform of the registry, both modes, IPv4
// and IPv6, ESN, UDP encapsulation.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/esp/esp_packet.h"
#include "reference/testing/generators.h"

namespace ipsecref::esp {
namespace {

using testing::GenEspSaConfig;
using testing::GenIpPacket;

struct Pair {
  std::unique_ptr<Sa> sender, receiver;
};

Pair MakePair(const SaConfig& c) {
  auto s = Sa::Create(c);
  auto r = Sa::Create(c);
  RC_ASSERT(s.ok());
  RC_ASSERT(r.ok());
  return {std::move(s).value(), std::move(r).value()};
}

RC_GTEST_PROP(EspProperties, DecapsulateInvertsEncapsulate, ()) {
  const SaConfig c = *GenEspSaConfig();
  Pair p = MakePair(c);
  const auto packets = *rc::gen::container<std::vector<Bytes>>(*rc::gen::inRange(1, 5), GenIpPacket());
  // Start near the 2^32 boundary sometimes, so ESN's hidden high half matters.
  if (c.esn && *rc::gen::arbitrary<bool>()) {
    p.sender->AssumeSent(0xfffffffeULL);
    p.receiver->AssumeReceived(0xfffffffeULL);
  }
  SaLookup lookup = [&](uint32_t spi) { return spi == c.spi ? p.receiver.get() : nullptr; };
  for (const Bytes& packet : packets) {
    Bytes wire;
    RC_ASSERT(Encapsulate(*p.sender, packet, wire).ok());
    auto back = Decapsulate(lookup, wire);
    RC_ASSERT(back.ok());
    RC_ASSERT(back->packet == packet);
    RC_ASSERT(back->findings.empty());
    RC_ASSERT(back->sequence_number == p.sender->sequence_number_counter());
  }
}

RC_GTEST_PROP(EspProperties, AnyBitFlipInTheEspPacketIsRejected, ()) {
  SaConfig c = *GenEspSaConfig();
  Pair p = MakePair(c);
  const Bytes packet = *GenIpPacket(300);
  Bytes wire;
  RC_ASSERT(Encapsulate(*p.sender, packet, wire).ok());
  auto loc = LocateEsp(wire);
  RC_ASSERT(loc.ok());
  //= rfc4303#section-3.4.4
  //# Integrity covers SPI, sequence number, IV, payload, padding, trailer and
  //# (for AEAD) the ciphertext: flipping any of their bits must be detected.
  const size_t bit = *rc::gen::inRange<size_t>(0, loc->esp_length * 8);
  wire[loc->esp_offset + bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  SaLookup lookup = [&](uint32_t spi) { return spi == c.spi ? p.receiver.get() : nullptr; };
  auto back = Decapsulate(lookup, wire);
  RC_ASSERT(!back.ok());
  const Code code = back.error().code;
  RC_ASSERT(code == Code::kIcvMismatch || code == Code::kNoSa || code == Code::kStale ||
            code == Code::kReplay);
}

RC_GTEST_PROP(EspProperties, ReplayedPacketIsDroppedAfterAcceptance, ()) {
  SaConfig c = *GenEspSaConfig();
  Pair p = MakePair(c);
  const Bytes packet = *GenIpPacket(200);
  Bytes wire;
  RC_ASSERT(Encapsulate(*p.sender, packet, wire).ok());
  SaLookup lookup = [&](uint32_t spi) { return spi == c.spi ? p.receiver.get() : nullptr; };
  RC_ASSERT(Decapsulate(lookup, wire).ok());
  auto again = Decapsulate(lookup, wire);
  RC_ASSERT(!again.ok());
  RC_ASSERT(again.error().code == Code::kReplay);
}

RC_GTEST_PROP(EspProperties, CounterIvsNeverRepeat, ()) {
  SaConfig c = *GenEspSaConfig();
  Pair p = MakePair(c);
  const size_t iv_size = p.sender->iv_size();
  std::set<Bytes> seen;
  for (int i = 0; i < 50; ++i) {
    Bytes out;
    RC_ASSERT(p.sender->Protect(Bytes{1, 2, 3}, 6, out).ok());
    Bytes iv(out.begin() + kHeaderSize, out.begin() + static_cast<long>(kHeaderSize + iv_size));
    //= rfc4106#section-3.1
    //# An IV must never be used twice under the same key.
    if (iv_size > 0) RC_ASSERT(seen.insert(iv).second);
  }
}

}  // namespace
}  // namespace ipsecref::esp
