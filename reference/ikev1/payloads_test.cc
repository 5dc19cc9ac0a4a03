// The IKEv1 payloads (RFC 2408 §3.2-3.16, RFC 2407 §4.6, RFC 3947, Mode
// Config): strongSwan's Main Mode message 1 against tshark 4.0's
// dissection of it, then each payload on hand-written bytes with the exact
// error of each malformation.
#include "reference/ikev1/describe.h"
#include "reference/ikev1/test_util.h"

namespace ipsecref::ikev1 {
namespace {

uint16_t Tv(const DataAttribute& a) { return std::get<uint16_t>(a.value); }

TEST(Ikev1Sa, StrongswanMainMode1AsTsharkDissectsIt) {
  const Message m = V1Decoded(kMainMode1);
  ASSERT_EQ(m.payloads.size(), 6u);
  // tshark: SA, DOI IPSEC (1), Situation 00000001 (Identity Only); proposal
  // 1, ISAKMP (1), SPI size 0, 1 transform; transform 1 KEY_IKE (1) with
  // Encryption-Algorithm AES-CBC (7), Key-Length 128, Hash-Algorithm
  // SHA2-256 (4), Group-Description 2048 bit MODP (14), Authentication-Method
  // Pre-shared key (1), Life-Type Seconds (1), Life-Duration 15840; all TV.
  const SaPayload* sa = m.payloads[0].as<SaPayload>();
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->doi, 1u);
  EXPECT_EQ(sa->situation, 1u);
  ASSERT_EQ(sa->proposals.size(), 1u);
  const Proposal& p = sa->proposals[0];
  EXPECT_EQ(p.proposal_num, 1);
  EXPECT_EQ(p.protocol_id, 1);
  EXPECT_TRUE(p.spi.empty());
  ASSERT_EQ(p.transforms.size(), 1u);
  const Transform& t = p.transforms[0];
  EXPECT_EQ(t.transform_num, 1);
  EXPECT_EQ(t.transform_id, 1);
  ASSERT_EQ(t.attributes.size(), 7u);
  const std::pair<uint16_t, uint16_t> expected[] = {{1, 7}, {14, 128}, {2, 4}, {4, 14}, {3, 1}, {11, 1}, {12, 15840}};
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(t.attributes[i].type, expected[i].first) << i;
    EXPECT_EQ(Tv(t.attributes[i]), expected[i].second) << i;
  }
  EXPECT_EQ(AttributeValueName(1, 1, 7), "AES-CBC");
  EXPECT_EQ(AttributeValueName(1, 2, 4), "SHA2-256");
  EXPECT_EQ(AttributeValueName(1, 3, 1), "pre-shared key");
  // tshark: Vendor IDs XAUTH, RFC 3706 DPD, Cisco Fragmentation
  // (4048b7d5...c2d380000000), RFC 3947, draft-ietf-ipsec-nat-t-ike-02\n.
  const char* names[] = {"XAuth", "DPD", "FRAGMENTATION", "RFC 3947", "draft-ietf-ipsec-nat-t-ike-02\\n"};
  for (size_t i = 0; i < 5; ++i) {
    const auto* vid = m.payloads[i + 1].as<VendorIdPayload>();
    ASSERT_NE(vid, nullptr) << i;
    EXPECT_EQ(VendorIdName(vid->vendor_id), names[i]) << i;
  }
  EXPECT_EQ(m.payloads[3].as<VendorIdPayload>()->vendor_id.size(), 20u);
  EXPECT_EQ(PayloadLabel(m.payloads[2]), "VID(DPD)");
  EXPECT_TRUE(m.notes.empty());
  EXPECT_TRUE(Validate(m).empty());
  EXPECT_EQ(Encode(m).value(), kMainMode1);
}

TEST(Ikev1Sa, DescribedWithNames) {
  const ike::Node n = DescribeMessage(V1Decoded(kMainMode1));
  EXPECT_EQ(n.name, "IKEv1 Main Mode");
  const ike::Node& transform = n.children[0].children[0].children[0];
  EXPECT_EQ(transform.name, "transform 1");
  EXPECT_EQ(transform.fields[0], (std::pair<std::string, std::string>{"id", "KEY_IKE (1)"}));
  EXPECT_EQ(transform.fields[1],
            (std::pair<std::string, std::string>{"Encryption Algorithm", "AES-CBC (7)"}));
  EXPECT_EQ(transform.fields[4],
            (std::pair<std::string, std::string>{"Group Description", "2048-bit MODP (14)"}));
}

// SA body: DOI 1, Situation 1, then `proposals`.
Bytes SaBody(const Bytes& proposals) { return Cat({Hex("00000001" "00000001"), proposals}); }
// A proposal of protocol ESP with a 4-byte SPI and `transforms`.
Bytes EspProposal(uint8_t next, uint8_t count, const Bytes& transforms) {
  return Gp(next, 0, Cat({Hex("0103 04"), Bytes{count}, Hex("c0ffee01"), transforms}));
}
// An ESP_AES-CBC transform, Tunnel mode, HMAC-SHA2-256, key length 128.
Bytes AesTransform(uint8_t next, uint8_t num) {
  return Gp(next, 0, Cat({Bytes{num}, Hex("0c0000" "80040001" "80050005" "80060080")}));
}

TEST(Ikev1Sa, QuickModeProposalWithTwoTransforms) {
  const Bytes wire = V1One(PayloadType::kSa, SaBody(EspProposal(0, 2, Cat({AesTransform(3, 1), AesTransform(0, 2)}))));
  const Message m = V1Decoded(wire);
  const SaPayload& sa = *m.payloads[0].as<SaPayload>();
  ASSERT_EQ(sa.proposals[0].transforms.size(), 2u);
  EXPECT_EQ(ToHex(sa.proposals[0].spi), "c0ffee01");
  EXPECT_EQ(TransformName(3, sa.proposals[0].transforms[1].transform_id), "ESP_AES-CBC");
  EXPECT_EQ(AttributeName(3, 4), "Encapsulation Mode");
  EXPECT_EQ(AttributeValueName(3, 5, 5), "HMAC-SHA2-256");
  EXPECT_EQ(Encode(m).value(), wire);
}

TEST(Ikev1Sa, TransformCountAndNextPayloadMustAgree) {
  // # of Transforms 2, but the first transform says it is the last.
  Bytes wire = V1One(PayloadType::kSa, SaBody(EspProposal(0, 2, Cat({AesTransform(0, 1), AesTransform(0, 2)}))));
  EXPECT_TRUE(Fails(Decode(wire), Code::kPayloadMalformed, 32 + 8 + 12 + 20, "rfc2408#section-3.5",
                    "transform 1 has Next Payload 0"));
  // # of Transforms 1, but the transform announces another.
  wire = V1One(PayloadType::kSa, SaBody(EspProposal(0, 1, AesTransform(3, 1))));
  EXPECT_TRUE(Fails(Decode(wire), Code::kPayloadMalformed, 32 + 8 + 12 + 20, "rfc2408#section-3.5",
                    "announces another"));
  // A transform whose Next Payload is neither 3 nor 0.
  wire = V1One(PayloadType::kSa, SaBody(EspProposal(0, 1, AesTransform(13, 1))));
  EXPECT_TRUE(Fails(Decode(wire), Code::kPayloadMalformed, 32 + 8 + 12, "rfc2408#section-3.6", "Next Payload 13"));
}

TEST(Ikev1Sa, LengthsThatRunPastAreRefused) {
  Bytes proposal = EspProposal(0, 1, AesTransform(0, 1));
  proposal[3] += 4;  // Payload Length 4 bytes too long
  EXPECT_TRUE(Fails(Decode(V1One(PayloadType::kSa, SaBody(proposal))), Code::kPayloadMalformed, 32 + 8 + 2,
                    "rfc2408#section-3.2", "runs past its container"));
  // A TLV attribute whose length runs past the transform.
  const Bytes transform = Gp(0, 0, Hex("010c0000" "0010" "0004" "abcd"));
  EXPECT_TRUE(Fails(Decode(V1One(PayloadType::kSa, SaBody(EspProposal(0, 1, transform)))), Code::kPayloadMalformed,
                    32 + 8 + 12 + 8 + 2, "rfc2408#section-3.3", "Attribute Length 4 but 2 bytes are left"));
}

TEST(Ikev1Sa, OtherDoisAndLabelledSituationsAreNotDecoded) {
  EXPECT_TRUE(Fails(Decode(V1One(PayloadType::kSa, Hex("00000002" "00000001"))), Code::kUnsupported, 32,
                    "rfc2408#section-3.4", "DOI 2"));
  EXPECT_TRUE(Fails(Decode(V1One(PayloadType::kSa, Hex("00000001" "00000003"))), Code::kUnsupported, 36,
                    "rfc2407#section-4.6.1", "SIT_IDENTITY_ONLY|SIT_SECRECY"));
}

TEST(Ikev1Sa, Phase1SaHoldsOneProposal) {
  const Bytes isakmp = Gp(2, 0, Hex("0101 0001" "00000008 01010000"));
  const Bytes last = Gp(0, 0, Hex("0201 0001" "00000008 01010000"));
  const Message m = V1Decoded(V1One(PayloadType::kSa, SaBody(Cat({isakmp, last}))));
  const auto violations = Validate(m);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].requirement, "rfc2409#section-5");
}

TEST(Ikev1Id, FqdnAndSubnet) {
  // As in Aggressive Mode message 1 of pcaps/strongswan-ikev1-aggressive;
  // tshark: ID type FQDN (2), Protocol ID Unused, Port Unused.
  Message m = V1Decoded(V1One(PayloadType::kId, Cat({Hex("02000000"), Bytes{'a', '.', 'p', 'f', '.', 't', 'e', 's', 't'}})));
  const IdPayload& id = *m.payloads[0].as<IdPayload>();
  EXPECT_EQ(DescribeIdentification(id), "a.pf.test");
  // Quick Mode's IDci: ID_IPV4_ADDR_SUBNET 203.0.113.0/24, any protocol and port.
  m = V1Decoded(V1One(PayloadType::kId, Hex("04000000" "cb007100" "ffffff00")));
  EXPECT_EQ(DescribeIdentification(*m.payloads[0].as<IdPayload>()), "203.0.113.0/24");
  m = V1Decoded(V1One(PayloadType::kId, Hex("07110035" "c0000201" "c0000210")));
  EXPECT_EQ(DescribeIdentification(*m.payloads[0].as<IdPayload>()), "192.0.2.1-192.0.2.16");
  EXPECT_EQ(m.payloads[0].as<IdPayload>()->port, 53);
  // An ID_IPV4_ADDR of 3 bytes breaks RFC 2407 §4.6.2.1.
  m = V1Decoded(V1One(PayloadType::kId, Hex("01000000" "c00002")));
  const auto violations = Validate(m);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_TRUE(ike::IsError(violations[0], Code::kPayloadMalformed, 36, "rfc2407#section-4.6.2.1", "3 bytes, 4 expected"));
  EXPECT_TRUE(Fails(Decode(V1One(PayloadType::kId, Hex("0100"))), Code::kPayloadMalformed, 32, "rfc2407#section-4.6.2"));
}

TEST(Ikev1Notification, DpdRUThere) {
  // R-U-THERE (36136 = 0x8d28): DOI 1, PROTO_ISAKMP, SPI size 16 (the
  // cookies), sequence number 7.
  const Bytes body = Hex("00000001" "01" "10" "8d28" "11121314151617180102030405060708" "00000007");
  const Message m = V1Decoded(V1One(PayloadType::kNotification, body));
  const NotificationPayload& n = *m.payloads[0].as<NotificationPayload>();
  EXPECT_EQ(n.notify_message_type, 36136);
  EXPECT_EQ(n.spi.size(), 16u);
  EXPECT_EQ(PayloadLabel(m.payloads[0]), "N(R-U-THERE)");
  EXPECT_TRUE(Validate(m).empty());
  // A sequence number of 2 bytes.
  const Message short_seq = V1Decoded(V1One(PayloadType::kNotification, Hex("00000001 01 00 8d29 0007")));
  ASSERT_EQ(Validate(short_seq).size(), 1u);
  EXPECT_EQ(Validate(short_seq)[0].requirement, "rfc3706#section-5.3");
  // SPI Size past the end.
  EXPECT_TRUE(Fails(Decode(V1One(PayloadType::kNotification, Hex("00000001 03 04 000e 0102"))),
                    Code::kPayloadMalformed, 37, "rfc2408#section-3.14", "SPI Size 4"));
  EXPECT_EQ(NotifyName(24578), "INITIAL-CONTACT");
}

TEST(Ikev1Delete, SpisFillThePayload) {
  const Message m = V1Decoded(V1One(PayloadType::kDelete, Hex("00000001 03 04 0002 c0ffee01 c0ffee02")));
  EXPECT_EQ(m.payloads[0].as<DeletePayload>()->spis.size(), 2u);
  EXPECT_TRUE(Fails(Decode(V1One(PayloadType::kDelete, Hex("00000001 03 04 0002 c0ffee01"))), Code::kPayloadMalformed,
                    38, "rfc2408#section-3.15", "2 SPIs of 4 bytes need 8 bytes, the payload has 4"));
}

TEST(Ikev1NatT, NatDAndNatOaWithTheirDraftNumbers) {
  const Bytes hash = Hex("1b8a8decf74d75b313bea91e0654ef91667a4b59c84c2689f4a03fd1e93a16cc");
  for (PayloadType t : {PayloadType::kNatD, PayloadType::kNatDDraft}) {
    const Bytes wire = V1One(t, hash);
    const Message m = V1Decoded(wire);
    EXPECT_EQ(m.payloads[0].as<NatDPayload>()->data, hash);
    EXPECT_EQ(Encode(m).value(), wire);
  }
  for (PayloadType t : {PayloadType::kNatOa, PayloadType::kNatOaDraft}) {
    const Message m = V1Decoded(V1One(t, Hex("01000000 c0000201")));
    EXPECT_EQ(m.payloads[0].as<NatOaPayload>()->address, Hex("c0000201"));
    EXPECT_TRUE(Validate(m).empty());
  }
  const Message bad = V1Decoded(V1One(PayloadType::kNatOa, Hex("05000000 c0000201")));
  ASSERT_EQ(Validate(bad).size(), 1u);
  EXPECT_EQ(Validate(bad)[0].requirement, "rfc3947#section-5.2");
}

TEST(Ikev1ModeConfig, XauthRequestAndModeConfigReply) {
  // ISAKMP_CFG_REQUEST id 0x1234: XAUTH_TYPE (TV, Generic 0),
  // XAUTH_USER_NAME and XAUTH_USER_PASSWORD (TLV, empty).
  Message m = V1Decoded(V1One(PayloadType::kAttribute, Hex("01001234" "c0880000" "40890000" "408a0000")));
  const AttributePayload& a = *m.payloads[0].as<AttributePayload>();
  EXPECT_EQ(a.cfg_type, 1);
  EXPECT_EQ(a.identifier, 0x1234);
  ASSERT_EQ(a.attributes.size(), 3u);
  EXPECT_EQ(CfgAttributeName(a.attributes[0].type), "XAUTH_TYPE");
  EXPECT_EQ(CfgAttributeName(a.attributes[2].type), "XAUTH_USER_PASSWORD");
  // ISAKMP_CFG_REPLY: INTERNAL_IP4_ADDRESS 10.99.0.17, XAUTH_USER_PASSWORD hidden.
  m = V1Decoded(V1One(PayloadType::kAttribute, Hex("02000001" "00010004 0a630011" "408a0003 616263")));
  const ike::Node n = DescribePayload(m.payloads[0]);
  EXPECT_EQ(n.fields[2], (std::pair<std::string, std::string>{"INTERNAL_IP4_ADDRESS", "10.99.0.17"}));
  EXPECT_EQ(n.fields[3], (std::pair<std::string, std::string>{"XAUTH_USER_PASSWORD", "(3 bytes, not shown)"}));
}

TEST(Ikev1Chain, GenericHeaderErrors) {
  // Payload Length 3.
  Bytes wire = V1Msg(13, Hex("00000003"));
  EXPECT_TRUE(Fails(Decode(wire), Code::kPayloadMalformed, 30, "rfc2408#section-3.2", "Payload Length 3"));
  // The header announces a payload that is not there.
  EXPECT_TRUE(Fails(Decode(V1Msg(13, {})), Code::kPayloadMalformed, 28, "rfc2408#section-3.2", "only 0 bytes"));
  // Bytes after the last payload.
  EXPECT_TRUE(Fails(Decode(V1Msg(13, Cat({Gp(0, 0, Hex("aa")), Hex("00")}))), Code::kPayloadMalformed, 33,
                    "rfc2408#section-3.2", "1 bytes after the last payload"));
  // A Proposal payload in the message's own chain.
  EXPECT_TRUE(Fails(Decode(V1One(PayloadType::kProposal, Hex("01010000"))), Code::kPayloadMalformed, 28,
                    "rfc2408#section-3.5", "outside an SA"));
}

TEST(Ikev1Chain, UnknownTypesAreKeptAndNoted) {
  const Bytes wire = V1Msg(77, Cat({Gp(13, 0, Hex("0102")), Gp(0, 0, Hex("09002689dfd6b712"))}));
  const Message m = V1Decoded(wire);
  ASSERT_EQ(m.payloads.size(), 2u);
  EXPECT_NE(m.payloads[0].as<UnknownPayload>(), nullptr);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_EQ(m.notes[0].requirement, "rfc2408#section-5.3");
  EXPECT_EQ(Encode(m).value(), wire);
}

TEST(Ikev1Chain, ReservedOctetIsNoted) {
  const Message m = V1Decoded(V1Msg(13, Gp(0, 0x80, Hex("09002689dfd6b712"))));
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_EQ(m.notes[0].offset, 29u);
  EXPECT_EQ(m.notes[0].requirement, "rfc2408#section-2.5.2");
}

TEST(Ikev1Chain, Phase1SaComesFirst) {
  const Bytes sa = Gp(0, 0, SaBody(Gp(0, 0, Hex("0101 0001" "00000008 01010000"))));
  const Message m = V1Decoded(V1Msg(13, Cat({Gp(1, 0, Hex("09002689dfd6b712")), sa})));
  const auto v = Validate(m);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].requirement, "rfc2409#section-5");
}

TEST(Ikev1Nonce, EightTo256Octets) {
  EXPECT_TRUE(Validate(V1Decoded(V1One(PayloadType::kNonce, Bytes(8, 1)))).empty());
  const auto v = Validate(V1Decoded(V1One(PayloadType::kNonce, Bytes(7, 1))));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(ike::IsError(v[0], Code::kPayloadMalformed, 32, "rfc2409#section-5", "Nonce Data is 7 bytes"));
}

TEST(Ikev1Fragment, FieldsAreRead) {
  const Message m = V1Decoded(V1One(PayloadType::kFragment, Hex("0001 02 01 aabbcc")));
  const FragmentPayload& f = *m.payloads[0].as<FragmentPayload>();
  EXPECT_EQ(f.fragment_id, 1);
  EXPECT_EQ(f.fragment_number, 2);
  EXPECT_EQ(f.flags, kLastFragment);
  EXPECT_EQ(f.data.size(), 3u);
}

}  // namespace
}  // namespace ipsecref::ikev1
