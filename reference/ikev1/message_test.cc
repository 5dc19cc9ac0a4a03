// Whole IKEv1 messages: Finalize fills Next Payload and Length, Encode
// writes back what Decode read, for each recorded strongSwan message kind.
#include "reference/ikev1/describe.h"
#include "reference/ikev1/test_util.h"

namespace ipsecref::ikev1 {
namespace {

TEST(Ikev1Message, FinalizeSetsNextPayloadAndLength) {
  Message m;
  m.header.initiator_cookie = 0x1112131415161718u;
  m.payloads.push_back({PayloadType::kVendorId, VendorIdPayload{Hex("afcad71368a1f1c96b8696fc77570100")}, 0});
  m.payloads.push_back({PayloadType::kNonce, NoncePayload{Bytes(16, 7)}, 0});
  ASSERT_TRUE(Finalize(m).ok());
  EXPECT_EQ(m.header.next_payload, PayloadType::kVendorId);
  EXPECT_EQ(m.header.length, 28u + 20 + 20);
  const Bytes wire = Encode(m).value();
  EXPECT_EQ(wire.size(), m.header.length);
  EXPECT_EQ(V1Decoded(wire), m);
}

TEST(Ikev1Message, EncryptedBodyKeepsTheHeadersNextPayload) {
  Message m;
  m.header.flags = kFlagEncryption;
  m.header.exchange_type = ExchangeType::kQuickMode;
  m.header.next_payload = PayloadType::kHash;
  m.encrypted = Bytes(32, 0xee);
  ASSERT_TRUE(Finalize(m).ok());
  EXPECT_EQ(m.header.next_payload, PayloadType::kHash);
  EXPECT_EQ(m.header.length, 60u);
  const ike::Node n = DescribeMessage(V1Decoded(Encode(m).value()));
  EXPECT_EQ(n.name, "IKEv1 Quick Mode (encrypted)");
  ASSERT_EQ(n.children.size(), 1u);
  EXPECT_EQ(n.children[0].fields[0], (std::pair<std::string, std::string>{"first payload", "HASH"}));
}

TEST(Ikev1Message, TooLongPayloadIsRefusedByTheWriter) {
  Message m;
  m.payloads.push_back({PayloadType::kVendorId, VendorIdPayload{Bytes(70000, 1)}, 0});
  const Status s = Finalize(m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kLengthOverflow);
  EXPECT_EQ(s.error().requirement, "rfc2408#section-3.2");
}

}  // namespace
}  // namespace ipsecref::ikev1
