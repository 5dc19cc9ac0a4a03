// Real messages: values as tshark 4.0 dissects pcaps/strongswan-gcm/capture.pcap
// (`tshark -r pcaps/strongswan-gcm/capture.pcap -V`), frames 1-3; the bytes are
// the UDP payloads of those frames.
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"
#include "reference/ike/wire/strongswan_gcm_frames_test_util.h"

namespace ipsecref::ike {
namespace {

using TT = iana::TransformType;

std::vector<std::string> Labels(const Message& m) {
  std::vector<std::string> out;
  for (const Payload& p : m.payloads) out.push_back(PayloadLabel(p));
  return out;
}

// SA of frames 1 and 2 (tshark: Proposal #1, IKE, SPI Size 0, 3 transforms:
// ENCR 20 "AES-GCM with a 16 octet ICV" Key Length 256, PRF 5
// PRF_HMAC_SHA2_256, D-H 19 "256-bit random ECP group").
void ExpectStrongswanGcmProposal(const Payload& p) {
  ASSERT_NE(p.as<SaPayload>(), nullptr);
  const SaPayload& sa = *p.as<SaPayload>();
  ASSERT_EQ(sa.proposals.size(), 1u);
  const Proposal& pr = sa.proposals[0];
  EXPECT_EQ(pr.proposal_num, 1);
  EXPECT_EQ(pr.protocol_id, iana::SecurityProtocol::kIke);
  EXPECT_TRUE(pr.spi.empty());
  ASSERT_EQ(pr.transforms.size(), 3u);
  EXPECT_EQ(pr.transforms[0].type, TT::kEncr);
  EXPECT_EQ(pr.transforms[0].id, 20);
  EXPECT_EQ(pr.transforms[0].key_length(), 256);
  EXPECT_EQ(pr.transforms[1].type, TT::kPrf);
  EXPECT_EQ(pr.transforms[1].id, 5);
  EXPECT_EQ(pr.transforms[2].type, TT::kKe);
  EXPECT_EQ(pr.transforms[2].id, 19);
}

TEST(StrongswanGcmCapture, Frame1IkeSaInitRequest) {
  const Bytes wire = Hex(kFrame1);
  ASSERT_EQ(wire.size(), 264u);
  const Message m = Decoded(wire);
  // tshark: Initiator SPI 80ea419260b5b6ec, Responder SPI 0, Version 2.0,
  // IKE_SA_INIT (34), Flags 0x08 (Initiator, Request), Message ID 0, Length 264.
  EXPECT_EQ(m.header.spi_i, 0x80ea419260b5b6ecULL);
  EXPECT_EQ(m.header.spi_r, 0u);
  EXPECT_EQ(m.header.major_version, 2);
  EXPECT_EQ(m.header.minor_version, 0);
  EXPECT_EQ(m.header.exchange_type, iana::ExchangeType::kIkeSaInit);
  EXPECT_EQ(m.header.flags, 0x08);
  EXPECT_EQ(m.header.message_id, 0u);
  EXPECT_EQ(m.header.length, 264u);
  EXPECT_EQ(Describe(m.header), "IKE_SA_INIT request");
  EXPECT_EQ(Labels(m), (std::vector<std::string>{"SA", "KE", "Nonce", "N(NAT_DETECTION_SOURCE_IP)",
                                                 "N(NAT_DETECTION_DESTINATION_IP)", "N(IKEV2_FRAGMENTATION_SUPPORTED)",
                                                 "N(SIGNATURE_HASH_ALGORITHMS)", "N(REDIRECT_SUPPORTED)"}));
  ExpectStrongswanGcmProposal(m.payloads[0]);
  // tshark: KE payload length 72, DH Group # 19; Key Exchange Data as
  // `-T fields -e isakmp.key_exchange.data` prints it.
  const KePayload& ke = *m.payloads[1].as<KePayload>();
  EXPECT_EQ(ke.group, iana::KeGroup::kEcp256);
  EXPECT_EQ(ke.key_exchange_data, Hex("f7e7e60a5b2c459e1b9ced52892a1e7c8d1def47f7419c4f548610432434130d"
                                      "69c1c8a723a9d0a27082c0e9d3c475b55881a6251dcb9f68fb79a579ecfa1552"));
  EXPECT_EQ(m.payloads[2].as<NoncePayload>()->nonce_data,
            Hex("da4e137e1c90d52c3d6096bac644afd6596bd676df1caf06acb28ae4c32fec2a"));
  EXPECT_EQ(m.payloads[3].as<NotifyPayload>()->notification_data, Hex("9fcfd5276ac1dad436afa1c74856268935475adb"));
  EXPECT_EQ(m.payloads[4].as<NotifyPayload>()->notification_data, Hex("8b946a9f706fa764131993f3cb09a26c246b1e21"));
  // SHA2-256 (2), SHA2-384 (3), SHA2-512 (4), Identity (5).
  EXPECT_EQ(m.payloads[6].as<NotifyPayload>()->notification_data, Hex("0002000300040005"));
  for (const Payload& p : m.payloads) {
    EXPECT_FALSE(p.critical);
    EXPECT_TRUE(p.as<NotifyPayload>() == nullptr || p.as<NotifyPayload>()->spi.empty());
    const Status s = VerifyPayload(p);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
  }
  // Payload offsets: SA at 28 (40 bytes), KE at 68 (72), Nonce at 140 (36).
  EXPECT_EQ(m.payloads[1].offset, 68u);
  EXPECT_EQ(m.payloads[2].offset, 140u);
  EXPECT_TRUE(m.notes.empty());
  EXPECT_EQ(Encode(m).value(), wire);
}

TEST(StrongswanGcmCapture, Frame2IkeSaInitResponse) {
  const Bytes wire = Hex(kFrame2);
  ASSERT_EQ(wire.size(), 272u);
  const Message m = Decoded(wire);
  // tshark: Responder SPI 2c239fb98b89226d, Flags 0x20 (Responder, Response),
  // Length 272.
  EXPECT_EQ(m.header.spi_i, 0x80ea419260b5b6ecULL);
  EXPECT_EQ(m.header.spi_r, 0x2c239fb98b89226dULL);
  EXPECT_EQ(m.header.flags, 0x20);
  EXPECT_TRUE(m.header.response());
  EXPECT_FALSE(m.header.initiator());
  EXPECT_EQ(m.header.length, 272u);
  EXPECT_EQ(Describe(m.header), "IKE_SA_INIT response");
  EXPECT_EQ(Labels(m), (std::vector<std::string>{"SA", "KE", "Nonce", "N(NAT_DETECTION_SOURCE_IP)",
                                                 "N(NAT_DETECTION_DESTINATION_IP)", "N(IKEV2_FRAGMENTATION_SUPPORTED)",
                                                 "N(SIGNATURE_HASH_ALGORITHMS)", "N(CHILDLESS_IKEV2_SUPPORTED)",
                                                 "N(MULTIPLE_AUTH_SUPPORTED)"}));
  ExpectStrongswanGcmProposal(m.payloads[0]);
  const KePayload& ke = *m.payloads[1].as<KePayload>();
  EXPECT_EQ(ke.group, iana::KeGroup::kEcp256);
  EXPECT_EQ(ke.key_exchange_data, Hex("0784d4c2b877d1b0fb95b6835358c77e7a4f62113fe00430f2d9f3024f45f1bd"
                                      "6e24e5a6775364ecb39f97e5bf601608700f8708e855e5933f3fa20fe7a94f2a"));
  EXPECT_EQ(m.payloads[2].as<NoncePayload>()->nonce_data,
            Hex("89038e236c25897f5946357525bf136ae0593db3292d6542a42e3d03cc4fb3f6"));
  EXPECT_EQ(m.payloads[3].as<NotifyPayload>()->notification_data, Hex("d77fc622f2e35f626f3c499a9f63608ca27708df"));
  EXPECT_EQ(m.payloads[4].as<NotifyPayload>()->notification_data, Hex("533a9789b11e01161a56fc2c4513171898ec211b"));
  for (const Payload& p : m.payloads) {
    const Status s = VerifyPayload(p);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
  }
  EXPECT_TRUE(m.notes.empty());
  EXPECT_EQ(Encode(m).value(), wire);
}

TEST(StrongswanGcmCapture, Frame3IkeAuthRequestOnPort4500) {
  const Bytes udp = Hex(kFrame3);
  ASSERT_EQ(udp.size(), 267u);
  //= rfc3948#section-2.2
  //# IKE on port 4500 starts with a four-octet zero non-ESP marker.
  ASSERT_EQ(Bytes(udp.begin(), udp.begin() + 4), Bytes(4, 0));
  const Bytes wire(udp.begin() + 4, udp.end());
  const Message m = Decoded(wire);
  // tshark: Next payload 46 (Encrypted and Authenticated), IKE_AUTH (35),
  // Flags 0x08, Message ID 1, Length 263; SK payload: Next payload
  // Identification - Initiator (35), Payload length 235, IV b8f27d4b...
  EXPECT_EQ(m.header.exchange_type, iana::ExchangeType::kIkeAuth);
  EXPECT_EQ(m.header.next_payload, PT::kSk);
  EXPECT_EQ(m.header.message_id, 1u);
  EXPECT_EQ(m.header.length, 263u);
  ASSERT_EQ(m.payloads.size(), 1u);
  const SkPayload* sk = m.payloads[0].as<SkPayload>();
  ASSERT_NE(sk, nullptr);
  EXPECT_EQ(sk->first_inner, PT::kIdi);
  EXPECT_EQ(sk->encrypted.size(), 235u - 4);
  EXPECT_EQ(Bytes(sk->encrypted.begin(), sk->encrypted.begin() + 4), Hex("b8f27d4b"));
  EXPECT_EQ(m.Encrypted(), &m.payloads[0]);
  EXPECT_FALSE(m.decrypted);
  EXPECT_EQ(Encode(m).value(), wire);
  // With the marker still in front, the bytes are no IKE message.
  EXPECT_FALSE(Decode(udp).ok());
}

}  // namespace
}  // namespace ipsecref::ike
