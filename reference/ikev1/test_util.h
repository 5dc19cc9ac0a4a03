// Helpers for the IKEv1 codec's tests: hand-built ISAKMP messages, on the
// IKEv2 tests' hex and payload helpers.
#pragma once

#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"
#include "reference/ikev1/message.h"

namespace ipsecref::ikev1 {

using ike::Cat;
using ike::Fails;
using ike::Gp;
using ike::Hex;

// An ISAKMP header (RFC 2408 §3.1): Main Mode, version 1.0, the given first
// payload and flags, then `payloads`; Length states the whole message.
inline Bytes V1Msg(uint8_t first, const Bytes& payloads, uint8_t flags = 0, uint8_t exchange = 2) {
  Bytes m = Hex("1112131415161718" "0000000000000000");
  m.insert(m.end(), {first, 0x10, exchange, flags, 0, 0, 0, 0, 0, 0, 0, 0});
  StoreU32(&m[24], static_cast<uint32_t>(28 + payloads.size()));
  m.insert(m.end(), payloads.begin(), payloads.end());
  return m;
}

// A message of one payload.
inline Bytes V1One(PayloadType type, const Bytes& body) {
  return V1Msg(static_cast<uint8_t>(type), Gp(0, 0, body));
}

inline Message V1Decoded(const Bytes& wire) {
  auto m = Decode(wire);
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  return m.ok() ? *m : Message{};
}

// Main Mode message 1 of pcaps/strongswan-ikev1-main (frame 1, UDP
// payload), strongSwan 5.9.8 as initiator: SA (one proposal, one KEY_IKE
// transform: AES-CBC 128, SHA2-256, MODP 2048, PSK, 15840 s), then five
// Vendor IDs (XAuth, DPD, FRAGMENTATION, RFC 3947, draft-02\n).
inline const Bytes kMainMode1 = Hex(
    "9e97d2be7358cd6400000000000000000110020000000000000000b40d00003800000001000000010000002c01010001000000"
    "240101000080010007800e0080800200048004000e80030001800b0001800c3de00d00000c09002689dfd6b7120d000014afca"
    "d71368a1f1c96b8696fc775701000d0000184048b7d56ebce88525e7de7f00d6c2d3800000000d0000144a131c81070358455c"
    "5728f20e95452f0000001490cb80913ebb696e086381b5ec427b1f");

}  // namespace ipsecref::ikev1
