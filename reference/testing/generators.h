// RapidCheck generators shared by the property tests: IP packets and SA
// configurations over every transform of the registry.
#pragma once

#include <rapidcheck.h>

#include "reference/crypto/transforms.h"
#include "reference/esp/esp_sa.h"
#include "reference/ip/packet.h"

namespace ipsecref::testing {

// A well-formed IPv4 (with valid header checksum) or IPv6 packet carrying
// `protocol` and a random payload of up to `max_payload` bytes.
inline Bytes MakeIpPacket(int version, uint8_t protocol, const Bytes& payload, uint8_t tc,
                          const Bytes& src, const Bytes& dst) {
  Bytes p;
  if (version == 4) {
    p = {0x45, tc, 0, 0, 0x12, 0x34, 0x40, 0x00, 64, protocol, 0, 0};
    p.insert(p.end(), src.begin(), src.end());
    p.insert(p.end(), dst.begin(), dst.end());
  } else {
    p = {static_cast<uint8_t>(0x60 | tc >> 4), static_cast<uint8_t>(tc << 4), 0x12, 0x34, 0, 0, protocol, 64};
    p.insert(p.end(), src.begin(), src.end());
    p.insert(p.end(), dst.begin(), dst.end());
  }
  p.insert(p.end(), payload.begin(), payload.end());
  ip::FixLengths(p, version);
  return p;
}

inline rc::Gen<Bytes> GenAddress(int version) {
  return rc::gen::container<Bytes>(version == 4 ? 4 : 16, rc::gen::arbitrary<uint8_t>());
}

inline rc::Gen<Bytes> GenIpPacket(size_t max_payload = 1400) {
  return rc::gen::exec([max_payload] {
    const int version = *rc::gen::element(4, 6);
    const uint8_t protocol = *rc::gen::element<uint8_t>(1, 6, 17, 58, 47);
    const auto size = *rc::gen::inRange<size_t>(0, max_payload + 1);
    const Bytes payload = *rc::gen::container<Bytes>(size, rc::gen::arbitrary<uint8_t>());
    const uint8_t tc = *rc::gen::arbitrary<uint8_t>();
    return MakeIpPacket(version, protocol, payload, tc, *GenAddress(version), *GenAddress(version));
  });
}

inline rc::Gen<SecureBytes> GenKey(size_t size) {
  return rc::gen::map(rc::gen::container<Bytes>(size, rc::gen::arbitrary<uint8_t>()),
                      [](const Bytes& b) { return ToSecure(b); });
}

// Any valid SA of the registry: every encryption transform and key size,
// integrity for the non-AEAD ones, either mode, ESN, UDP encapsulation.
inline rc::Gen<esp::SaConfig> GenEspSaConfig() {
  return rc::gen::exec([] {
    esp::SaConfig c;
    const auto encrs = crypto::EncrTransforms();
    const auto& e = encrs[*rc::gen::inRange<size_t>(0, encrs.size())];
    std::vector<uint16_t> bits;
    for (uint16_t b : e.key_bits)
      if (b != 0 || e.id == iana::Encr::kNull) bits.push_back(b);
    c.encr = e.id;
    c.encr_key = *GenKey(*rc::gen::elementOf(bits) / 8 + e.salt_size);
    if (!e.aead) {
      const auto integs = crypto::IntegTransforms();
      const auto& i = integs[*rc::gen::inRange<size_t>(0, integs.size())];
      c.integ = i.id;
      c.integ_key = *GenKey(i.key_size);
    }
    c.spi = *rc::gen::inRange<uint32_t>(256, 0xffffffff);
    c.esn = *rc::gen::arbitrary<bool>();
    c.mode = *rc::gen::element(esp::Mode::kTransport, esp::Mode::kTunnel);
    if (*rc::gen::arbitrary<bool>()) c.udp = esp::UdpEncapsulation{};
    const int outer = *rc::gen::element(4, 6);
    c.tunnel_src = *GenAddress(outer);
    c.tunnel_dst = *GenAddress(outer);
    c.replay_window = *rc::gen::element<uint32_t>(32, 64, 1024);
    return c;
  });
}

}  // namespace ipsecref::testing
