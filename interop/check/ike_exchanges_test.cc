// IKE exchange tracking in the capture checker, over the bundled captures
// and over edited copies of their packet lists. Every expected SPI, message
// ID, flag and frame number of the real captures was read with tshark 4.0.17
// given the captures' ikev2_decryption_table:
//   tshark -r pcaps/X/capture.pcap -o 'uat:ikev2_decryption_table:<line>' -Y isakmp
//     -T fields -e frame.number -e ip.src -e ip.dst -e isakmp.ispi -e isakmp.rspi
//     -e isakmp.exchangetype -e isakmp.flags -e isakmp.messageid -e isakmp.prop.protoid
//     -e isakmp.spi -e isakmp.notify.msgtype -e isakmp.delete.protoid -e isakmp.delete.spi
// (and `-V` for frames 33 and 36 of linux-xfrm-collision, to tell the
// REKEY_SA SPI from the proposal's), not computed by ipsecref.
#include "interop/check/ike_exchanges.h"

#include <gtest/gtest.h>

#include "interop/check/capture_check.h"
#include "reference/io/pcap_reader.h"

namespace ipsecref::io {
namespace {

Bytes Ip(std::string_view text) { return ParseAddress(text).value(); }

std::vector<CapturedPacket> Packets(const std::string& dir) {
  auto packets = ReadCapture("pcaps/" + dir + "/capture.pcap");
  EXPECT_TRUE(packets.ok()) << packets.error().ToString();
  return packets.ok() ? std::move(*packets) : std::vector<CapturedPacket>{};
}

// Checks `packets` renumbered 1, 2, ... as a capture file would number them.
CaptureReport Check(std::vector<CapturedPacket> packets, const KeyStore& keys) {
  CaptureChecker checker(keys);
  uint64_t number = 0;
  for (CapturedPacket& p : packets) {
    p.number = ++number;
    checker.Process(p);
  }
  return checker.Finish("edited", "Ethernet");
}

KeyStore Keys(const std::string& dir) {
  auto keys = KeyStore::Load("pcaps/" + dir);
  EXPECT_TRUE(keys.ok()) << keys.error().ToString();
  return keys.ok() ? std::move(*keys) : KeyStore{};
}

const IkeFinding* FindingOf(const std::vector<IkeFinding>& list, IkeFindingKind kind) {
  for (const IkeFinding& f : list)
    if (f.kind == kind) return &f;
  return nullptr;
}

std::optional<size_t> SaIndex(const CaptureReport& r, uint32_t spi) {
  for (size_t i = 0; i < r.sas.size(); ++i)
    if (r.sas[i].spi == spi) return i;
  return std::nullopt;
}

using iana::ExchangeType;

// tshark: frames 1/2 IKE_SA_INIT (flags 0x08/0x20, ID 0), 3/4 IKE_AUTH (ID
// 1; proposal SPI f4befda5 in 3, 30855da0 in 4), 15/16 INFORMATIONAL (ID 2,
// Delete protocol 1 = IKE in 15); SPIs 80ea419260b5b6ec / 2c239fb98b89226d;
// 192.0.2.1 initiates.
TEST(IkeExchanges, StrongswanGcm) {
  const KeyStore keys = Keys("strongswan-gcm");
  const CaptureReport r = Check(Packets("strongswan-gcm"), keys);
  EXPECT_EQ(r.ike_messages, 6u);
  ASSERT_EQ(r.ike_sas.size(), 1u);
  const IkeSaReport& sa = r.ike_sas[0];
  EXPECT_EQ(sa.spi_i, 0x80ea419260b5b6ecu);
  EXPECT_EQ(sa.spi_r, 0x2c239fb98b89226du);
  EXPECT_EQ(sa.initiator, Ip("192.0.2.1"));
  EXPECT_EQ(sa.responder, Ip("192.0.2.2"));
  EXPECT_TRUE(sa.keys_known);
  EXPECT_TRUE(sa.seen_from_start);
  EXPECT_EQ(sa.packets, 6u);
  ASSERT_EQ(sa.exchanges.size(), 3u);
  const std::vector<std::tuple<ExchangeType, uint32_t, uint64_t, uint64_t>> expected{
      {ExchangeType::kIkeSaInit, 0, 1, 2},
      {ExchangeType::kIkeAuth, 1, 3, 4},
      {ExchangeType::kInformational, 2, 15, 16}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const IkeExchange& ex = sa.exchanges[i];
    const auto& [type, id, request, response] = expected[i];
    EXPECT_EQ(ex.type, type) << i;
    EXPECT_EQ(ex.message_id, id) << i;
    EXPECT_TRUE(ex.by_original_initiator) << i;
    EXPECT_EQ(ex.requests.kept(), std::vector<uint64_t>{request}) << i;
    EXPECT_EQ(ex.responses.kept(), std::vector<uint64_t>{response}) << i;
    EXPECT_TRUE(ex.contents_seen) << i;
  }
  EXPECT_EQ(sa.initiator_ids, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_TRUE(sa.responder_ids.empty());
  EXPECT_EQ(sa.delete_requested, 15u);
  EXPECT_EQ(sa.delete_answered, 16u);
  EXPECT_TRUE(sa.findings.empty()) << sa.findings[0].example;
  ASSERT_EQ(r.child_sas.size(), 1u);
  const ChildSaReport& c = r.child_sas[0];
  EXPECT_EQ(c.protocol, SaProtocol::kEsp);
  EXPECT_EQ(c.created_by, ExchangeType::kIkeAuth);
  EXPECT_EQ(c.created_at, 4u);
  EXPECT_EQ(c.at_initiator.spi, 0xf4befda5u);
  EXPECT_EQ(c.at_responder.spi, 0x30855da0u);
  EXPECT_EQ(c.at_initiator.sa, SaIndex(r, 0xf4befda5));
  EXPECT_EQ(c.at_responder.sa, SaIndex(r, 0x30855da0));
  EXPECT_EQ(r.sas[*c.at_initiator.sa].dst, Ip("192.0.2.1"));  // the side that chose it
  // Deleting the IKE SA closes its CHILD SA (RFC 7296 §1.4.1).
  EXPECT_EQ(c.delete_answered, 16u);
  EXPECT_TRUE(r.ike_findings.empty());
  EXPECT_EQ(r.failed(), 0u);
  EXPECT_EQ(r.findings(), 0u);
}

// tshark: frame 15 (192.0.2.2, flags 0x00, ID 0) and 16 (192.0.2.1, 0x08,
// ID 2) both rekey IKE SA 710e27e9852f0932/a8875f4537ed5456 (proposal SPIs
// 0302b020c4df0742 and 9c0315c9c1f5de11), answered by 17 (f79eb3b19d9af6d0)
// and 18 (3b9117665c317659); 19/21 delete the old IKE SA, 20/22 the one
// 9c03.. made. On 0302../f79e..: 33/34 rekey CHILD SA c6076244 (REKEY_SA
// c6076244, proposal c8bf771e, answer c298f182), 36/38 rekey c298f182
// (proposal cec2ac28, answer c513517c), 35/37 delete c6076244 (answer
// c0c9e5fa), 39/40 delete c298f182 (answer c8bf771e), 51/52 delete the IKE SA.
TEST(IkeExchanges, LinuxXfrmCollision) {
  const KeyStore keys = Keys("linux-xfrm-collision");
  const CaptureReport r = Check(Packets("linux-xfrm-collision"), keys);
  EXPECT_EQ(r.ike_messages, 22u);
  ASSERT_EQ(r.ike_sas.size(), 3u);
  const IkeSaReport& old_sa = r.ike_sas[0];
  EXPECT_EQ(old_sa.spi_i, 0x710e27e9852f0932u);
  EXPECT_EQ(old_sa.initiator, Ip("192.0.2.1"));
  EXPECT_EQ(old_sa.initiator_ids, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(old_sa.responder_ids, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(old_sa.delete_requested, 19u);
  EXPECT_EQ(old_sa.delete_answered, 21u);
  const IkeSaReport* by_b = nullptr;
  const IkeSaReport* by_a = nullptr;
  for (const IkeSaReport& sa : r.ike_sas) {
    if (sa.spi_i == 0x0302b020c4df0742u) by_b = &sa;
    if (sa.spi_i == 0x9c0315c9c1f5de11u) by_a = &sa;
  }
  ASSERT_NE(by_b, nullptr);
  ASSERT_NE(by_a, nullptr);
  EXPECT_EQ(by_b->spi_r, 0xf79eb3b19d9af6d0u);
  EXPECT_EQ(by_b->initiator, Ip("192.0.2.2"));  // the peer that asked for the rekey
  EXPECT_EQ(by_b->rekeyed_from, 0u);
  EXPECT_EQ(by_b->initiator_ids, (std::vector<uint32_t>{0, 1}));         // 36, 39
  EXPECT_EQ(by_b->responder_ids, (std::vector<uint32_t>{0, 1, 2}));      // 33, 35, 51
  EXPECT_EQ(by_b->delete_answered, 52u);
  EXPECT_EQ(by_a->spi_r, 0x3b9117665c317659u);
  EXPECT_EQ(by_a->initiator, Ip("192.0.2.1"));
  EXPECT_EQ(by_a->delete_requested, 20u);
  EXPECT_EQ(by_a->delete_answered, 22u);
  ASSERT_EQ(r.child_sas.size(), 3u);
  const ChildSaReport& first = r.child_sas[0];
  EXPECT_EQ(first.at_initiator.spi, 0xc6076244u);
  EXPECT_EQ(first.at_responder.spi, 0xc0c9e5fau);
  EXPECT_EQ(first.delete_requested, 35u);
  EXPECT_EQ(first.delete_answered, 37u);
  const ChildSaReport& second = r.child_sas[1];
  EXPECT_EQ(second.created_at, 34u);
  EXPECT_EQ(second.at_initiator.spi, 0xc8bf771eu);  // chosen by 192.0.2.1, who asked
  EXPECT_EQ(second.at_initiator.address, Ip("192.0.2.1"));
  EXPECT_EQ(second.at_responder.spi, 0xc298f182u);
  EXPECT_EQ(second.rekey_of, 0u);
  EXPECT_EQ(first.rekeyed_by, 1u);
  EXPECT_EQ(second.delete_requested, 39u);
  EXPECT_EQ(second.delete_answered, 40u);
  EXPECT_FALSE(second.at_initiator.sa.has_value());  // no ESP on it in the capture
  const ChildSaReport& third = r.child_sas[2];
  EXPECT_EQ(third.created_at, 38u);
  EXPECT_EQ(third.at_initiator.spi, 0xcec2ac28u);
  EXPECT_EQ(third.at_initiator.address, Ip("192.0.2.2"));
  EXPECT_EQ(third.at_responder.spi, 0xc513517cu);
  EXPECT_EQ(third.rekey_of, 1u);
  EXPECT_EQ(third.at_initiator.sa, SaIndex(r, 0xcec2ac28));
  EXPECT_EQ(third.at_responder.sa, SaIndex(r, 0xc513517c));
  for (const IkeSaReport& sa : r.ike_sas)
    EXPECT_TRUE(sa.findings.empty()) << sa.findings[0].example;
  EXPECT_TRUE(r.ike_findings.empty());
  EXPECT_EQ(r.failed(), 0u);
}

// The edited cases below start from strongswan-gcm's 16 frames: 1-4 IKE,
// 5-14 ESP in UDP, 15/16 the INFORMATIONAL exchange (tshark, as above).

TEST(IkeExchanges, DroppedResponseLeavesTheRequestUnanswered) {
  const KeyStore keys = Keys("strongswan-gcm");
  std::vector<CapturedPacket> packets = Packets("strongswan-gcm");
  packets.erase(packets.begin() + 3);  // frame 4, the IKE_AUTH response
  const CaptureReport r = Check(std::move(packets), keys);
  ASSERT_EQ(r.ike_sas.size(), 1u);
  const IkeFinding* f = FindingOf(r.ike_sas[0].findings, IkeFindingKind::kUnansweredRequest);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->packets.kept(), std::vector<uint64_t>{3});
  EXPECT_EQ(f->severity, IkeSeverity::kWarning);
  EXPECT_TRUE(r.child_sas.empty());
  // The ESP SAs were then made by no exchange in the capture.
  const IkeFinding* spis = FindingOf(r.ike_findings, IkeFindingKind::kSpiNotCreated);
  ASSERT_NE(spis, nullptr);
  EXPECT_EQ(spis->packets.kept(), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(r.failed(), 0u);
  EXPECT_GT(r.findings(), 0u);
}

TEST(IkeExchanges, IdenticalRetransmissionIsCountedNotFaulted) {
  const KeyStore keys = Keys("strongswan-gcm");
  std::vector<CapturedPacket> packets = Packets("strongswan-gcm");
  packets.insert(packets.begin() + 3, packets[2]);  // frame 3 twice
  packets.insert(packets.begin() + 5, packets[4]);  // and its response
  const CaptureReport r = Check(std::move(packets), keys);
  ASSERT_EQ(r.ike_sas.size(), 1u);
  const IkeExchange& auth = r.ike_sas[0].exchanges.at(1);
  EXPECT_EQ(auth.requests.kept(), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(auth.responses.kept(), (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(auth.request_retransmissions, 1u);
  EXPECT_EQ(auth.response_retransmissions, 1u);
  EXPECT_TRUE(r.ike_sas[0].findings.empty()) << r.ike_sas[0].findings[0].example;
  EXPECT_EQ(r.child_sas.size(), 1u);  // learned once
  EXPECT_EQ(r.failed(), 0u);
}

TEST(IkeExchanges, ChangedRetransmissionIsAnError) {
  const KeyStore keys = Keys("strongswan-gcm");
  std::vector<CapturedPacket> packets = Packets("strongswan-gcm");
  CapturedPacket changed = packets[2];
  changed.frame.back() ^= 0x01;  // the last octet of the ICV
  packets.insert(packets.begin() + 3, changed);
  const CaptureReport r = Check(std::move(packets), keys);
  const IkeFinding* f =
      FindingOf(r.ike_sas.at(0).findings, IkeFindingKind::kChangedRetransmission);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->packets.kept(), std::vector<uint64_t>{4});
  EXPECT_EQ(f->severity, IkeSeverity::kError);
  EXPECT_EQ(f->requirement, "rfc7296#section-2.1");
  const IkeFinding* icv = FindingOf(r.ike_sas[0].findings, IkeFindingKind::kDecryptionFailed);
  ASSERT_NE(icv, nullptr);
  EXPECT_EQ(icv->packets.kept(), std::vector<uint64_t>{4});
  EXPECT_GT(r.failed(), 0u);
}

// Header edits break the ICV, so these run without IKE keys: what the
// headers allow is still tracked.
void SetMessageId(CapturedPacket& p, uint32_t id) {
  // Ethernet 14 + IPv4 20 + UDP 8 + non-ESP marker 4, then ID at 20.
  StoreU32(p.frame.data() + 14 + 20 + 8 + 4 + 20, id);
}

TEST(IkeExchanges, MessageIdJumpWithoutKeys) {
  KeyStore no_keys;
  std::vector<CapturedPacket> packets = Packets("strongswan-gcm");
  SetMessageId(packets[14], 5);
  SetMessageId(packets[15], 5);
  const CaptureReport r = Check(std::move(packets), no_keys);
  ASSERT_EQ(r.ike_sas.size(), 1u);
  const IkeSaReport& sa = r.ike_sas[0];
  EXPECT_FALSE(sa.keys_known);
  EXPECT_EQ(sa.initiator_ids, (std::vector<uint32_t>{0, 1, 5}));
  const IkeFinding* f = FindingOf(sa.findings, IkeFindingKind::kMessageIdSkipped);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->packets.kept(), std::vector<uint64_t>{15});
  const IkeFinding* unseen = FindingOf(sa.findings, IkeFindingKind::kContentsNotSeen);
  ASSERT_NE(unseen, nullptr);
  EXPECT_EQ(unseen->packets.kept(), (std::vector<uint64_t>{3, 4, 15, 16}));
  EXPECT_EQ(sa.exchanges.at(2).responses.kept(), std::vector<uint64_t>{16});
  EXPECT_FALSE(sa.exchanges[2].contents_seen);
  EXPECT_TRUE(sa.exchanges[0].contents_seen);  // IKE_SA_INIT is plaintext
  EXPECT_EQ(r.failed(), 0u);
}

TEST(IkeExchanges, ResponseWithoutRequest) {
  const KeyStore keys = Keys("strongswan-gcm");
  std::vector<CapturedPacket> packets = Packets("strongswan-gcm");
  packets.erase(packets.begin() + 14);  // frame 15, the INFORMATIONAL request
  const CaptureReport r = Check(std::move(packets), keys);
  const IkeFinding* f =
      FindingOf(r.ike_sas.at(0).findings, IkeFindingKind::kResponseWithoutRequest);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->packets.kept(), std::vector<uint64_t>{15});
  EXPECT_EQ(f->severity, IkeSeverity::kWarning);
}

TEST(IkeExchanges, EspAfterTheDeleteWasAnswered) {
  const KeyStore keys = Keys("strongswan-gcm");
  std::vector<CapturedPacket> packets = Packets("strongswan-gcm");
  CapturedPacket late = packets[13];  // frame 14, ESP 0xf4befda5 to 192.0.2.1
  late.timestamp.seconds += 5;
  packets.erase(packets.begin() + 13);
  packets.push_back(late);  // now 16, five seconds after the Delete response
  const CaptureReport r = Check(std::move(packets), keys);
  const IkeFinding* f = FindingOf(r.ike_sas.at(0).findings, IkeFindingKind::kEspAfterDelete);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->packets.kept(), std::vector<uint64_t>{16});
  EXPECT_EQ(f->severity, IkeSeverity::kWarning);
  EXPECT_EQ(f->requirement, "rfc7296#section-1.4.1");
}

TEST(IkeExchanges, EspInFlightAtTheDeleteIsNormal) {
  const KeyStore keys = Keys("strongswan-gcm");
  std::vector<CapturedPacket> packets = Packets("strongswan-gcm");
  CapturedPacket late = packets[13];
  late.timestamp = packets[15].timestamp;  // as the Delete is answered
  packets.erase(packets.begin() + 13);
  packets.push_back(late);
  const CaptureReport r = Check(std::move(packets), keys);
  EXPECT_EQ(FindingOf(r.ike_sas.at(0).findings, IkeFindingKind::kEspAfterDelete), nullptr);
}

TEST(IkeExchanges, IkeSasBeyondTheTrackedAreCounted) {
  // IKE_SA_INIT requests (RFC 7296 §3.1 header only), each from its own
  // initiator SPI: the first kIkeSasTracked become IKE SAs, the rest are counted.
  IkeExchangeTracker tracker(KeyStore{});
  const Bytes src = {192, 0, 2, 1}, dst = {198, 51, 100, 2};
  for (uint64_t i = 1; i <= kIkeSasTracked + 6; ++i) {
    Bytes message(28, 0);
    StoreU64(&message[0], i);
    message[17] = 0x20;  // version 2.0
    message[18] = 34;    // IKE_SA_INIT
    message[19] = 0x08;  // Initiator
    StoreU32(&message[24], 28);
    IkeDatagram d;
    d.number = i;
    d.src = src;
    d.dst = dst;
    d.sport = d.dport = 500;
    d.message = message;
    d.ip_length = 20 + 8 + 28;
    tracker.Observe(d);
  }
  const IkeReport r = tracker.Finish({});
  EXPECT_EQ(r.sas.size(), kIkeSasTracked);
  EXPECT_EQ(r.untracked_messages, 6u);
  EXPECT_EQ(r.messages, kIkeSasTracked + 6);
  // Untracked messages are still judged: a bare header breaks the
  // IKE_SA_INIT rules (RFC 7296 §1.2: SA, KE, Ni).
  const IkeFinding* f = FindingOf(r.findings, IkeFindingKind::kRuleViolation);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->packets.front(), kIkeSasTracked + 1);
  EXPECT_EQ(f->packets.count(), 6u);
}

}  // namespace
}  // namespace ipsecref::io
