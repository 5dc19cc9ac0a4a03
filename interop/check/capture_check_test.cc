// The checker on real captures (strongSwan userspace ESP, Linux XFRM ESP and
// AH), as made and as damaged in memory. Expected values: tshark's view of
// the captures (packet numbers, SPIs, sequence numbers, lengths) and the
// cleartext captured beside them.
#include "interop/check/capture_check.h"

#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include <algorithm>
#include <random>

#include "reference/crypto/transforms.h"
#include "reference/esp/esp_packet.h"
#include "reference/io/esp_sa_file.h"
#include "interop/check/inner_packets.h"

namespace ipsecref::io {
namespace {

constexpr size_t kEthernet = 14;

struct CheckRun {
  CaptureReport report;
  std::vector<IpPacketRecord> inner;
};

CheckRun Check(const std::vector<CapturedPacket>& packets, const KeyStore& keys) {
  CheckRun run;
  CaptureChecker checker(keys, {}, [&run](const PacketResult& p, ByteSpan inner) {
    run.inner.push_back({p.number, p.timestamp, Bytes(inner.begin(), inner.end())});
  });
  for (const CapturedPacket& p : packets) checker.Process(p);
  run.report = checker.Finish("test", "Ethernet");
  return run;
}

std::vector<CapturedPacket> Load(const std::string& path) {
  auto packets = ReadCapture(path);
  EXPECT_TRUE(packets.ok()) << packets.error().ToString();
  return packets.ok() ? std::move(*packets) : std::vector<CapturedPacket>{};
}

KeyStore Keys(const std::string& path) {
  auto keys = KeyStore::Load(path);
  EXPECT_TRUE(keys.ok()) << keys.error().ToString();
  return keys.ok() ? std::move(*keys) : KeyStore{};
}

const SaReport& Sa(const CaptureReport& r, uint32_t spi) {
  for (const SaReport& sa : r.sas)
    if (sa.spi == spi) return sa;
  ADD_FAILURE() << "no SA " << spi;
  static const SaReport none;
  return none;
}

const PacketResult* Notable(const CaptureReport& r, uint64_t number) {
  for (const PacketResult& p : r.notable)
    if (p.number == number) return &p;
  return nullptr;
}

void Renumber(std::vector<CapturedPacket>& packets) {
  for (size_t i = 0; i < packets.size(); ++i) packets[i].number = i + 1;
}

// A frame changed in place keeps its link layer; its lengths follow it.
void Resize(CapturedPacket& p, size_t size) {
  p.frame.resize(size);
  p.captured_length = p.original_length = static_cast<uint32_t>(size);
}

std::vector<IpPacketRecord> Expected(const std::string& path) {
  auto expected = ReadIpPackets(path);
  EXPECT_TRUE(expected.ok()) << expected.error().ToString();
  return expected.ok() ? expected->packets : std::vector<IpPacketRecord>{};
}

// tshark: frames 1-2 IKE_SA_INIT on 500, 3-4 IKE_AUTH and 15-16
// INFORMATIONAL on 4500 with the non-ESP marker, 5-14 ESP in UDP: odd
// frames SPI 0x30855da0 (a to b), even ones 0xf4befda5, sequence 1..5 each,
// IP length 148.
TEST(CaptureCheck, StrongswanGcmAllPacketsVerifyAndMatchTheCleartext) {
  CheckRun run = Check(Load("pcaps/strongswan-gcm/capture.pcap"), Keys("pcaps/strongswan-gcm"));
  const CaptureReport& r = run.report;
  EXPECT_EQ(r.packets, 16u);
  EXPECT_EQ(r.kinds[static_cast<size_t>(PacketKind::kIke)], 2u);
  EXPECT_EQ(r.kinds[static_cast<size_t>(PacketKind::kIkeNatT)], 4u);
  EXPECT_EQ(r.kinds[static_cast<size_t>(PacketKind::kEspInUdp)], 10u);
  ASSERT_EQ(r.sas.size(), 2u);
  for (uint32_t spi : {0x30855da0u, 0xf4befda5u}) {
    const SaReport& sa = Sa(r, spi);
    EXPECT_TRUE(sa.keys_known);
    EXPECT_EQ(sa.packets, 5u);
    EXPECT_EQ(sa.ok, 5u);
    EXPECT_EQ(sa.failed, 0u);
    EXPECT_EQ(sa.bytes, 5u * 148);
    EXPECT_EQ(sa.lowest_seq, 1u);
    EXPECT_EQ(sa.highest_seq, 5u);
    EXPECT_EQ(sa.missing, 0u);
    EXPECT_EQ(sa.out_of_order, 0u);
  }
  EXPECT_EQ(Sa(r, 0x30855da0).first, (Timestamp{1795768171, 91822000}));
  EXPECT_EQ(Sa(r, 0x30855da0).last, (Timestamp{1795768171, 908523000}));
  EXPECT_EQ(r.failed(), 0u);
  EXPECT_TRUE(r.notable.empty());
  const InnerComparison c =
      CompareInnerPackets(run.inner, Expected("pcaps/strongswan-gcm/inner-cleartext.pcap"));
  EXPECT_EQ(c.decrypted, 10u);
  EXPECT_EQ(c.matched, 10u);
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(c.same_order);
}

TEST(CaptureCheck, StrongswanCbcAllPacketsVerifyAndMatchTheCleartext) {
  CheckRun run = Check(Load("pcaps/strongswan-cbc/capture.pcap"), Keys("pcaps/strongswan-cbc"));
  EXPECT_EQ(Sa(run.report, 0x70df769b).ok, 5u);
  EXPECT_EQ(Sa(run.report, 0x178ec24f).ok, 5u);
  EXPECT_EQ(run.report.failed(), 0u);
  EXPECT_TRUE(
      CompareInnerPackets(run.inner, Expected("pcaps/strongswan-cbc/inner-cleartext.pcap")).ok());
}

// With Wireshark's esp_sa alone the mode is not known: it is inferred.
TEST(CaptureCheck, LinuxXfrmGcmWithEspSaOnlyInfersTunnelMode) {
  CheckRun run =
      Check(Load("pcaps/linux-xfrm-gcm/capture.pcap"), Keys("pcaps/linux-xfrm-gcm/esp_sa"));
  const CaptureReport& r = run.report;
  EXPECT_EQ(r.kinds[static_cast<size_t>(PacketKind::kEsp)], 10u);
  EXPECT_EQ(Sa(r, 0xcdb0fa10).ok, 5u);
  EXPECT_EQ(Sa(r, 0xcde4de28).ok, 5u);
  EXPECT_NE(Sa(r, 0xcdb0fa10).description.find("mode inferred"), std::string::npos);
  // The ground truth holds 8 ARP frames besides the 10 ICMP packets.
  auto expected = ReadIpPackets("pcaps/linux-xfrm-gcm/inner-cleartext.pcap");
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(expected->not_ip, 8u);
  const InnerComparison c = CompareInnerPackets(run.inner, expected->packets);
  EXPECT_EQ(c.matched, 10u);
  EXPECT_TRUE(c.ok());
}

// pcaps/linux-xfrm-natt as host b would capture it were host a behind a NAT
// (198.18.0.1, a's port 4500 mapped to 31134; two-ends/PROVENANCE.md): the
// outer addresses and ports of the ESP-in-UDP frames 5-14 rewritten (tshark:
// IPv4, 20-byte header, UDP 4500 <-> 4500), checksums made anew. The outer
// header is not authenticated, so every packet still verifies.
std::vector<CapturedPacket> AsSeenBehindTheNat() {
  auto packets = Load("pcaps/linux-xfrm-natt/capture.pcap");
  const Bytes a = ParseAddress("192.0.2.1").value();
  const Bytes nat = ParseAddress("198.18.0.1").value();
  for (size_t i = 4; i < 14 && i < packets.size(); ++i) {
    uint8_t* ip = packets[i].frame.data() + kEthernet;
    for (size_t at : {12u, 16u}) {
      if (!std::equal(a.begin(), a.end(), ip + at)) continue;
      std::copy(nat.begin(), nat.end(), ip + at);
      StoreU16(ip + 20 + (at == 12 ? 0 : 2), 31134);
    }
    ip::SetIpv4HeaderChecksum(MutableByteSpan(ip, 20));
    MutableByteSpan udp(ip + 20, LoadU16(ip + 2) - 20);
    StoreU16(&udp[6], 0);
    StoreU16(&udp[6], ip::UdpChecksum(ByteSpan(ip + 12, 4), ByteSpan(ip + 16, 4), udp));
  }
  return packets;
}

TEST(CaptureCheck, NatdTunnelKeysFromBothEndsAreTwoViewsOfEachSa) {
  // Captured at a: the packets show a's view, keys.csv.b's is the other.
  CheckRun at_a = Check(Load("pcaps/linux-xfrm-natt/capture.pcap"),
                        Keys("pcaps/linux-xfrm-natt/two-ends"));
  const SaReport& ab = Sa(at_a.report, 0xc79c45e2);
  EXPECT_EQ(ab.ok, 5u);
  EXPECT_EQ(FormatAddress(ab.src), "192.0.2.1");
  ASSERT_EQ(ab.also_seen_as.size(), 1u);
  EXPECT_EQ(ab.also_seen_as[0].Describe(), "198.18.0.1[31134] -> 192.0.2.2[4500]");
  EXPECT_EQ(ab.also_seen_as[0].origins,
            std::vector<std::string>{"pcaps/linux-xfrm-natt/two-ends/keys.csv.b:2"});
  EXPECT_EQ(Sa(at_a.report, 0xcc6922c7).ok, 5u);
  EXPECT_EQ(at_a.report.failed(), 0u);

  // Captured behind the NAT's outside, at b: b's view on the wire, a's
  // view (keys.csv.a, lines 2 and 3) reported as the other.
  CheckRun at_b = Check(AsSeenBehindTheNat(), Keys("pcaps/linux-xfrm-natt/two-ends"));
  const SaReport& ba = Sa(at_b.report, 0xcc6922c7);
  EXPECT_EQ(ba.ok, 5u);
  EXPECT_EQ(FormatAddress(ba.dst), "198.18.0.1");
  ASSERT_EQ(ba.also_seen_as.size(), 1u);
  EXPECT_EQ(ba.also_seen_as[0].Describe(), "192.0.2.2[4500] -> 192.0.2.1[4500]");
  EXPECT_EQ(Sa(at_b.report, 0xc79c45e2).ok, 5u);
  EXPECT_EQ(at_b.report.failed(), 0u);
  const InnerComparison c = CompareInnerPackets(
      at_b.inner, Expected("pcaps/linux-xfrm-natt/inner-cleartext.pcap"));
  EXPECT_EQ(c.matched, 10u);

  // With a's keys alone, b's packets are still matched: by SPI.
  CheckRun a_keys = Check(AsSeenBehindTheNat(), Keys("pcaps/linux-xfrm-natt/keys.csv.a"));
  EXPECT_EQ(Sa(a_keys.report, 0xcc6922c7).ok, 5u);
  EXPECT_EQ(Sa(a_keys.report, 0xc79c45e2).ok, 5u);
}

// tshark: frames 5-14 are AH (SPI 0xcf8a79e1 requests, 0xcff6410f replies),
// 122-byte frames, IP length 108; HMAC-SHA1-96 AH is 24 bytes, so the
// packet without AH is an 84-byte ICMP echo.
TEST(CaptureCheck, LinuxXfrmAhTransport) {
  CheckRun run = Check(Load("pcaps/linux-xfrm-ah-transport/capture.pcap"),
                       Keys("pcaps/linux-xfrm-ah-transport"));
  const CaptureReport& r = run.report;
  EXPECT_EQ(r.kinds[static_cast<size_t>(PacketKind::kAh)], 10u);
  for (uint32_t spi : {0xcf8a79e1u, 0xcff6410fu}) {
    EXPECT_EQ(Sa(r, spi).protocol, SaProtocol::kAh);
    EXPECT_EQ(Sa(r, spi).ok, 5u);
    EXPECT_EQ(Sa(r, spi).bytes, 5u * 108);
    EXPECT_EQ(Sa(r, spi).highest_seq, 5u);
  }
  ASSERT_EQ(run.inner.size(), 10u);
  EXPECT_EQ(run.inner[0].number, 5u);
  ASSERT_EQ(run.inner[0].packet.size(), 84u);
  EXPECT_EQ(run.inner[0].packet[9], 1);  // ICMP
}

TEST(CaptureCheck, FlippedBitIsAnIcvFailureAtThatPacket) {
  auto packets = Load("pcaps/strongswan-gcm/capture.pcap");
  packets[6].frame[packets[6].frame.size() - 20] ^= 0x01;  // frame 7: SPI 0x30855da0 seq 2
  CheckRun run = Check(packets, Keys("pcaps/strongswan-gcm"));
  const SaReport& sa = Sa(run.report, 0x30855da0);
  EXPECT_EQ(sa.ok, 4u);
  EXPECT_EQ(sa.failed, 1u);
  ASSERT_EQ(sa.failures.size(), 1u);
  EXPECT_EQ(sa.failures[0].code, Code::kIcvMismatch);
  EXPECT_EQ(sa.failures[0].requirement, "rfc4303#section-3.4.4");
  EXPECT_EQ(sa.failures[0].packets.kept(), std::vector<uint64_t>{7});
  ASSERT_EQ(sa.gaps.size(), 1u);
  EXPECT_EQ(sa.gaps[0].first_missing, 2u);
  EXPECT_EQ(sa.gaps[0].last_missing, 2u);
  const PacketResult* p = Notable(run.report, 7);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->verdict, Verdict::kFailed);
  EXPECT_EQ(p->seq, 2u);
  const InnerComparison c =
      CompareInnerPackets(run.inner, Expected("pcaps/strongswan-gcm/inner-cleartext.pcap"));
  EXPECT_EQ(c.missing, std::vector<uint64_t>{3});  // the second echo request
  EXPECT_TRUE(c.unexpected.empty());
}

TEST(CaptureCheck, FlippedBitUnderHmacIsAnIcvFailure) {
  auto packets = Load("pcaps/strongswan-cbc/capture.pcap");
  packets[7].frame[kEthernet + 20 + 8 + 8 + 3] ^= 0x80;  // frame 8: IV byte, SPI 0x178ec24f seq 2
  CheckRun run = Check(packets, Keys("pcaps/strongswan-cbc"));
  EXPECT_EQ(Sa(run.report, 0x178ec24f).failures.at(0).packets.kept(), std::vector<uint64_t>{8});
  EXPECT_EQ(Sa(run.report, 0x178ec24f).failures.at(0).code, Code::kIcvMismatch);
}

TEST(CaptureCheck, DuplicatedPacketIsAReplay) {
  auto packets = Load("pcaps/strongswan-gcm/capture.pcap");
  packets.insert(packets.begin() + 9, packets[8]);  // frame 9 again, as frame 10
  Renumber(packets);
  CheckRun run = Check(packets, Keys("pcaps/strongswan-gcm"));
  const SaReport& sa = Sa(run.report, 0x30855da0);
  EXPECT_EQ(sa.packets, 6u);
  EXPECT_EQ(sa.ok, 5u);
  EXPECT_EQ(sa.replays.kept(), std::vector<uint64_t>{10});
  ASSERT_EQ(sa.failures.size(), 1u);
  EXPECT_EQ(sa.failures[0].code, Code::kReplay);
  EXPECT_EQ(sa.failures[0].requirement, "rfc4303#section-3.4.3");
  EXPECT_EQ(sa.missing, 0u);
}

// The keys of `from`, with the receiver's window stated for one SA (as a
// keys.json "replay_window" states it).
KeyStore WithWindow(const KeyStore& from, uint32_t spi, uint32_t window) {
  KeyStore out;
  for (SaKeys k : from.sas()) {
    if (k.spi == spi) k.replay_window = window;
    EXPECT_TRUE(out.Add(std::move(k)).ok());
  }
  return out;
}

TEST(CaptureCheck, AnSaIsJudgedWithTheWindowItsKeysState) {
  //= rfc4303#section-3.4.3
  //# Without anti-replay (window 0) a duplicate is accepted.
  auto duplicated = Load("pcaps/strongswan-gcm/capture.pcap");
  duplicated.insert(duplicated.begin() + 9, duplicated[8]);  // frame 9 again, as frame 10
  Renumber(duplicated);
  CheckRun off = Check(duplicated, WithWindow(Keys("pcaps/strongswan-gcm"), 0x30855da0, 0));
  EXPECT_EQ(Sa(off.report, 0x30855da0).ok, 6u);
  EXPECT_TRUE(Sa(off.report, 0x30855da0).replays.empty());

  //# With a window of one packet, a number below the highest verified one
  //# falls left of the window and is dropped.
  auto reordered = Load("pcaps/strongswan-gcm/capture.pcap");
  std::swap(reordered[6], reordered[8]);  // seq 3 (frame 7) before seq 2 (frame 9)
  Renumber(reordered);
  CheckRun narrow = Check(reordered, WithWindow(Keys("pcaps/strongswan-gcm"), 0x30855da0, 1));
  const SaReport& sa = Sa(narrow.report, 0x30855da0);
  EXPECT_EQ(sa.ok, 4u);
  EXPECT_EQ(sa.replays.kept(), std::vector<uint64_t>{9});
  // The other SA keeps the checker's wide window.
  EXPECT_EQ(Sa(narrow.report, 0xf4befda5).ok, 5u);
}

TEST(CaptureCheck, ReorderedPacketsVerifyAndAreCounted) {
  auto packets = Load("pcaps/strongswan-gcm/capture.pcap");
  std::swap(packets[6], packets[8]);  // seq 3 before seq 2
  Renumber(packets);
  CheckRun run = Check(packets, Keys("pcaps/strongswan-gcm"));
  const SaReport& sa = Sa(run.report, 0x30855da0);
  EXPECT_EQ(sa.ok, 5u);
  EXPECT_EQ(sa.out_of_order, 1u);
  EXPECT_EQ(sa.missing, 0u);
  const InnerComparison c =
      CompareInnerPackets(run.inner, Expected("pcaps/strongswan-gcm/inner-cleartext.pcap"));
  EXPECT_TRUE(c.ok());
  EXPECT_FALSE(c.same_order);
}

TEST(CaptureCheck, SnaplenCutPacketFailsAsUnverifiable) {
  auto packets = Load("pcaps/strongswan-gcm/capture.pcap");
  packets[10].frame.resize(60);  // frame 11: SPI 0x30855da0 seq 4
  packets[10].captured_length = 60;
  CheckRun run = Check(packets, Keys("pcaps/strongswan-gcm"));
  const PacketResult* p = Notable(run.report, 11);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kind, PacketKind::kEspInUdp);
  EXPECT_EQ(p->verdict, Verdict::kFailed);
  EXPECT_EQ(p->seq, 4u);
  ASSERT_TRUE(p->error.has_value());
  EXPECT_EQ(p->error->code, Code::kTruncated);
  EXPECT_NE(p->error->detail.find("60 of the packet's 162 bytes"), std::string::npos);
  EXPECT_EQ(Sa(run.report, 0x30855da0).failures.at(0).packets.kept(), std::vector<uint64_t>{11});
}

// Found by pcap_reader_fuzzer: a record may claim any original length.
TEST(CaptureCheck, CutRecordClaimingGigabytesIsJudgedWithoutThem) {
  auto packets = Load("pcaps/strongswan-gcm/capture.pcap");
  packets[10].frame.resize(60);
  packets[10].captured_length = 60;
  packets[10].original_length = 0xffffffff;
  CheckRun run = Check(packets, Keys("pcaps/strongswan-gcm"));
  const PacketResult* p = Notable(run.report, 11);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->verdict, Verdict::kFailed);
  EXPECT_EQ(p->error->code, Code::kTruncated);
}

TEST(CaptureCheck, ShortEspPacketIsTruncated) {
  auto packets = Load("pcaps/strongswan-gcm/capture.pcap");
  CapturedPacket& p = packets[12];  // frame 13: SPI 0x30855da0 seq 5
  const size_t udp = kEthernet + 20, esp = udp + 8;
  Resize(p, esp + 20);  // SPI, sequence number, IV, 4 bytes: no room for the trailer and ICV
  StoreU16(&p.frame[udp + 4], 8 + 20);
  ip::FixLengths(MutableByteSpan(p.frame).subspan(kEthernet), 4);
  CheckRun run = Check(packets, Keys("pcaps/strongswan-gcm"));
  const SaReport& sa = Sa(run.report, 0x30855da0);
  ASSERT_EQ(sa.failures.size(), 1u);
  EXPECT_EQ(sa.failures[0].code, Code::kTruncated);
  EXPECT_EQ(sa.failures[0].packets.kept(), std::vector<uint64_t>{13});
}

TEST(CaptureCheck, BadIpv4ChecksumDropsTheEspPacket) {
  auto packets = Load("pcaps/strongswan-gcm/capture.pcap");
  packets[4].frame[kEthernet + 10] ^= 0xff;  // frame 5
  CheckRun run = Check(packets, Keys("pcaps/strongswan-gcm"));
  EXPECT_EQ(Sa(run.report, 0x30855da0).failures.at(0).code, Code::kBadChecksum);
  EXPECT_EQ(Sa(run.report, 0x30855da0).failures.at(0).packets.kept(), std::vector<uint64_t>{5});
}

TEST(CaptureCheck, WrongKeyFailsEveryPacketOfThatSa) {
  auto sas = ParseEspSaFile(
      "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0xf4befda5\",\"AES-GCM with 16 octet ICV [RFC4106]\","
      "\"0xe7173730ead80ea881a29d8506e3c0d8ca79faa7434210e034b92bd7e5d1da477e2a9949\",\"NULL\","
      "\"\"\n",
      "wrong-key");
  ASSERT_TRUE(sas.ok());
  KeyStore keys;
  ASSERT_TRUE(keys.Add((*sas)[0]).ok());
  CheckRun run = Check(Load("pcaps/strongswan-gcm/capture.pcap"), keys);
  const SaReport& wrong = Sa(run.report, 0xf4befda5);
  EXPECT_EQ(wrong.failed, 5u);
  EXPECT_EQ(wrong.failures.at(0).code, Code::kIcvMismatch);
  EXPECT_EQ(wrong.failures.at(0).packets.kept(), (std::vector<uint64_t>{6, 8, 10, 12, 14}));
  // The other SA has no keys: counted, not judged.
  const SaReport& unknown = Sa(run.report, 0x30855da0);
  EXPECT_FALSE(unknown.keys_known);
  EXPECT_EQ(unknown.packets, 5u);
  EXPECT_EQ(unknown.failed, 0u);
  EXPECT_EQ(unknown.highest_seq, 5u);  // from the wire
  EXPECT_EQ(run.report.failed(), 5u);
}

TEST(CaptureCheck, DummyPacketIsDiscardedNotFailed) {
  auto packets = Load("pcaps/strongswan-gcm/capture.pcap");
  KeyStore keys = Keys("pcaps/strongswan-gcm");
  const SaKeys* k = keys.Find(SaProtocol::kEsp, 0x30855da0, ParseAddress("192.0.2.2").value());
  ASSERT_NE(k, nullptr);
  esp::SaConfig c;
  c.spi = k->spi;
  c.encr = k->encr;
  c.encr_key = k->encr_key;
  c.tunnel_src = k->src;
  c.tunnel_dst = k->dst;
  c.udp = esp::UdpEncapsulation{};
  auto sender = esp::Sa::Create(c);
  ASSERT_TRUE(sender.ok());
  auto rng = crypto::MakeDeterministicRng(7);
  Bytes dummy;
  ASSERT_TRUE(esp::MakeDummy(**sender, 40, *rng, dummy).ok());  // sequence number 1: a replay
  CapturedPacket p = packets[12];
  p.frame.resize(kEthernet);
  p.frame.insert(p.frame.end(), dummy.begin(), dummy.end());
  StoreU32(&p.frame[kEthernet + 20 + 8 + 4], 6);  // fresh sequence number, ICV now wrong
  packets.insert(packets.begin() + 13, p);
  Renumber(packets);
  CheckRun run = Check(packets, keys);
  // Changing the number breaks the ICV: verification comes first.
  EXPECT_EQ(Sa(run.report, 0x30855da0).failures.at(0).code, Code::kIcvMismatch);

  ASSERT_TRUE(esp::MakeDummy(**sender, 40, *rng, dummy).ok());                              // 2
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(esp::MakeDummy(**sender, 40, *rng, dummy).ok());  // ... 6
  p.frame.resize(kEthernet);
  p.frame.insert(p.frame.end(), dummy.begin(), dummy.end());
  p.captured_length = p.original_length = static_cast<uint32_t>(p.frame.size());
  packets[13] = p;
  Renumber(packets);
  run = Check(packets, keys);
  const SaReport& sa = Sa(run.report, 0x30855da0);
  EXPECT_EQ(sa.failed, 0u);
  EXPECT_EQ(sa.discarded, 1u);
  EXPECT_EQ(sa.ok, 5u);
  const PacketResult* d = Notable(run.report, 14);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->verdict, Verdict::kDiscarded);
  EXPECT_EQ(d->error->code, Code::kDummyPacket);
}

// NULL encryption shows the padding in clear: a sender that pads with
// zeros (not 1, 2, 3, ...) and signs that is verified, and found out.
TEST(CaptureCheck, NonDefaultPaddingIsAFindingNotAFailure) {
  SaKeys k;
  k.spi = 0x00c0ffee;
  k.src = ParseAddress("192.0.2.1").value();
  k.dst = ParseAddress("192.0.2.2").value();
  k.encr = iana::Encr::kNull;
  k.integ = iana::Integ::kHmacSha1_96;
  k.integ_key = SecureBytes(20, 0x5a);
  k.mode = esp::Mode::kTunnel;
  KeyStore keys;
  ASSERT_TRUE(keys.Add(k).ok());
  esp::SaConfig c;
  c.spi = k.spi;
  c.encr = k.encr;
  c.integ = k.integ;
  c.integ_key = k.integ_key;
  c.tunnel_src = k.src;
  c.tunnel_dst = k.dst;
  auto sender = esp::Sa::Create(c);
  ASSERT_TRUE(sender.ok());
  // An inner IPv4 packet of 23 bytes: with pad length and next header, 3
  // bytes of padding reach the 4-byte boundary.
  Bytes inner = {0x45, 0,  0,   23, 0,   0, 0,   0, 64,   253,  0,   0,
                 198,  51, 100, 1,  203, 0, 113, 1, 0xab, 0xcd, 0xef};
  ip::SetIpv4HeaderChecksum(MutableByteSpan(inner).first(20));
  Bytes wire;
  ASSERT_TRUE(esp::Encapsulate(**sender, inner, wire).ok());
  const size_t esp_at = 20, icv_at = wire.size() - 12, pad_at = icv_at - 2 - 3;
  ASSERT_EQ(wire[icv_at - 2], 3);  // pad length
  ASSERT_EQ(wire[pad_at], 1);      // the default padding, before the change
  std::fill_n(wire.begin() + static_cast<long>(pad_at), 3, uint8_t{0});
  auto hmac = crypto::MakeIntegrity(k.integ, k.integ_key);
  ASSERT_TRUE(hmac.ok());
  (*hmac)->Compute({ByteSpan(wire).subspan(esp_at, icv_at - esp_at)},
                   MutableByteSpan(wire).subspan(icv_at));
  CapturedPacket p;
  p.number = 1;
  p.frame = wire;
  p.captured_length = p.original_length = static_cast<uint32_t>(wire.size());
  p.link = DecodeLinkLayer(DLT_RAW, p.frame);
  CheckRun run = Check({p}, keys);
  const SaReport& sa = Sa(run.report, 0x00c0ffee);
  EXPECT_EQ(sa.ok, 1u);
  EXPECT_EQ(sa.failed, 0u);
  ASSERT_EQ(sa.findings.size(), 1u);
  EXPECT_EQ(sa.findings[0].code, Code::kBadPadding);
  EXPECT_EQ(sa.findings[0].requirement, "rfc4303#section-2.4");
  EXPECT_EQ(sa.findings[0].packets.kept(), std::vector<uint64_t>{1});
  EXPECT_EQ(run.report.findings(), 1u);
  ASSERT_EQ(run.inner.size(), 1u);
  EXPECT_EQ(run.inner[0].packet, inner);
}

TEST(CaptureCheck, VlanTaggedFramesAreCheckedAlike) {
  auto packets = Load("pcaps/strongswan-gcm/capture.pcap");
  for (CapturedPacket& p : packets) {
    const Bytes tag = {0x81, 0x00, 0x00, 0x2a};
    p.frame.insert(p.frame.begin() + 12, tag.begin(), tag.end());
    p.captured_length = p.original_length = static_cast<uint32_t>(p.frame.size());
    p.link = DecodeLinkLayer(DLT_EN10MB, p.frame);
  }
  CheckRun run = Check(packets, Keys("pcaps/strongswan-gcm"));
  EXPECT_EQ(run.report.kinds[static_cast<size_t>(PacketKind::kEspInUdp)], 10u);
  EXPECT_EQ(run.report.failed(), 0u);
  EXPECT_TRUE(
      CompareInnerPackets(run.inner, Expected("pcaps/strongswan-gcm/inner-cleartext.pcap")).ok());
}

TEST(CaptureCheck, NonIpAndBrokenFramesAreClassified) {
  std::vector<CapturedPacket> packets(3);
  packets[0].frame = Bytes(12, 0xff);
  packets[0].frame.insert(packets[0].frame.end(), {0x08, 0x06});
  packets[0].frame.resize(42, 0);
  packets[1].frame = Bytes(10, 0);  // shorter than an Ethernet header
  packets[2].frame = Bytes(12, 0);
  packets[2].frame.insert(packets[2].frame.end(),
                          {0x08, 0x00, 0x45, 0x00, 0x01, 0x00});  // IPv4 cut short
  for (size_t i = 0; i < packets.size(); ++i) {
    packets[i].number = i + 1;
    packets[i].captured_length = packets[i].original_length =
        static_cast<uint32_t>(packets[i].frame.size());
    packets[i].link = DecodeLinkLayer(DLT_EN10MB, packets[i].frame);
  }
  CheckRun run = Check(packets, KeyStore{});
  EXPECT_EQ(run.report.kinds[static_cast<size_t>(PacketKind::kNotIp)], 1u);
  EXPECT_EQ(run.report.kinds[static_cast<size_t>(PacketKind::kLinkError)], 1u);
  EXPECT_EQ(run.report.kinds[static_cast<size_t>(PacketKind::kMalformedIp)], 1u);
  EXPECT_EQ(run.report.failed(), 0u);
  ASSERT_NE(Notable(run.report, 3), nullptr);
  EXPECT_EQ(Notable(run.report, 3)->error->code, Code::kTruncated);
}

// Copies of frame 13 of the strongSwan GCM capture (ESP in UDP, SPI
// 0x30855da0 seq 5), with the SPI and sequence number given, numbered 1...
std::vector<CapturedPacket> EspCopies(const std::vector<std::pair<uint32_t, uint32_t>>& spi_seq) {
  const std::vector<CapturedPacket> capture = Load("pcaps/strongswan-gcm/capture.pcap");
  const size_t esp = kEthernet + 20 + 8;
  std::vector<CapturedPacket> out;
  out.reserve(spi_seq.size());
  for (const auto& [spi, seq] : spi_seq) {
    CapturedPacket p = capture.at(12);
    StoreU32(&p.frame[esp], spi);
    StoreU32(&p.frame[esp + 4], seq);
    p.number = out.size() + 1;
    p.link = DecodeLinkLayer(DLT_EN10MB, p.frame);
    out.push_back(std::move(p));
  }
  return out;
}

CaptureReport CheckWith(const std::vector<CapturedPacket>& packets, const KeyStore& keys,
                        const CheckOptions& options) {
  CaptureChecker checker(keys, options);
  for (const CapturedPacket& p : packets) checker.Process(p);
  return checker.Finish("test", "Ethernet");
}

// The straightforward summary: every number kept, sorted, gaps between.
struct SequenceModel {
  uint64_t missing = 0, out_of_order = 0;
  std::vector<SequenceGap> gaps;
};
SequenceModel Model(const std::vector<uint32_t>& seqs) {
  SequenceModel m;
  uint64_t highest = 0;
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (i > 0 && seqs[i] < highest) ++m.out_of_order;
    highest = std::max<uint64_t>(highest, seqs[i]);
  }
  std::vector<uint32_t> sorted = seqs;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i] == sorted[i - 1] + 1u) continue;
    m.gaps.push_back({sorted[i - 1] + 1u, sorted[i] - 1u});
    m.missing += sorted[i] - sorted[i - 1] - 1;
  }
  return m;
}

void ExpectSequenceSummary(const std::vector<uint32_t>& seqs) {
  std::vector<std::pair<uint32_t, uint32_t>> spi_seq;
  for (uint32_t seq : seqs) spi_seq.emplace_back(0x30855da0, seq);
  const CaptureReport r = CheckWith(EspCopies(spi_seq), KeyStore{}, {});
  const SequenceModel m = Model(seqs);
  const SaReport& sa = Sa(r, 0x30855da0);
  EXPECT_EQ(sa.missing, m.missing);
  EXPECT_EQ(sa.out_of_order, m.out_of_order);
  EXPECT_EQ(sa.gap_count, m.gaps.size());
  EXPECT_EQ(sa.below_tracked, 0u);
  ASSERT_EQ(sa.gaps.size(), std::min(m.gaps.size(), kPacketsKept));
  for (size_t i = 0; i < sa.gaps.size(); ++i) {
    EXPECT_EQ(sa.gaps[i].first_missing, m.gaps[i].first_missing) << i;
    EXPECT_EQ(sa.gaps[i].last_missing, m.gaps[i].last_missing) << i;
  }
}

TEST(CaptureCheck, SequenceNumbersInAnyOrderGiveTheSortedListsGaps) {
  // Fewer gaps than kOpenSequenceRanges: any order, duplicates included.
  std::mt19937 random(7);
  std::vector<uint32_t> seqs;
  for (uint32_t n = 1; n <= 3000; ++n)
    if (random() % 5 != 0) seqs.push_back(n);
  seqs.push_back(17);
  seqs.push_back(2999);
  std::shuffle(seqs.begin(), seqs.end(), random);
  seqs.resize(std::min<size_t>(seqs.size(), 1500));  // ~300 gaps among 1500 numbers
  ExpectSequenceSummary(seqs);
}

TEST(CaptureCheck, SequenceNumbersWithMoreGapsThanTrackedOpenStayExact) {
  // Every third number lost (3 x kOpenSequenceRanges gaps), reordered within 40.
  std::mt19937 random(11);
  std::vector<uint32_t> seqs;
  for (uint32_t n = 1; n <= 3 * 3 * kOpenSequenceRanges; ++n)
    if (n % 3 != 0) seqs.push_back(n);
  for (size_t i = 0; i + 40 < seqs.size(); i += 40)
    std::shuffle(seqs.begin() + i, seqs.begin() + i + 40, random);
  ExpectSequenceSummary(seqs);
}

TEST(CaptureCheck, NumbersMoreGapsLateThanTrackedAreCounted) {
  std::vector<uint32_t> seqs;
  for (uint32_t n = 2; n <= 2 * (kOpenSequenceRanges + 10); n += 2) seqs.push_back(n);
  seqs.push_back(1);  // below every open range: its gap is final already
  std::vector<std::pair<uint32_t, uint32_t>> spi_seq;
  for (uint32_t seq : seqs) spi_seq.emplace_back(0x30855da0, seq);
  const CaptureReport report = CheckWith(EspCopies(spi_seq), KeyStore{}, {});
  const SaReport& sa = Sa(report, 0x30855da0);
  EXPECT_EQ(sa.below_tracked, 1u);
  EXPECT_EQ(sa.out_of_order, 1u);
  EXPECT_EQ(*sa.lowest_seq, 1u);
  EXPECT_EQ(sa.gap_count, kOpenSequenceRanges + 9);  // 3, 5, ..., the odd numbers between
}

TEST(CaptureCheck, NotablePacketsAreKeptToTheFirstPerSaAndCounted) {
  // 300 packets of SPI 0x30855da0 with sequence numbers the ICV does not
  // cover as sent: every one fails (RFC 4303 §3.4.4).
  std::vector<std::pair<uint32_t, uint32_t>> spi_seq;
  for (uint32_t n = 1; n <= 300; ++n) spi_seq.emplace_back(0x30855da0, 1000 + n);
  const CaptureReport r = CheckWith(EspCopies(spi_seq), Keys("pcaps/strongswan-gcm"), {});
  const SaReport& sa = Sa(r, 0x30855da0);
  EXPECT_EQ(sa.failed, 300u);
  ASSERT_EQ(sa.failures.size(), 1u);
  EXPECT_EQ(sa.failures[0].packets.count(), 300u);
  EXPECT_EQ(sa.failures[0].packets.kept().size(), kPacketsKept);
  EXPECT_EQ(sa.failures[0].packets.kept().front(), 1u);
  EXPECT_EQ(r.notable.size(), kPacketsKept);
  EXPECT_EQ(r.notable.back().number, kPacketsKept);
  EXPECT_EQ(r.notable_not_kept, 300 - kPacketsKept);
  EXPECT_EQ(sa.notable_not_kept, 300 - kPacketsKept);
  EXPECT_EQ(r.failed(), 300u);
}

TEST(CaptureCheck, SasWithoutKeysBeyondTheLimitAreCountedTogether) {
  std::vector<std::pair<uint32_t, uint32_t>> spi_seq;
  for (uint32_t spi = 1; spi <= 5; ++spi) {
    spi_seq.emplace_back(spi, 1);
    spi_seq.emplace_back(spi, 2);
  }
  CheckOptions options;
  options.sas_without_keys = 2;
  const CaptureReport r = CheckWith(EspCopies(spi_seq), KeyStore{}, options);
  ASSERT_EQ(r.sas.size(), 3u);
  EXPECT_EQ(r.sas[0].spi, 1u);
  EXPECT_EQ(r.sas[1].spi, 2u);
  EXPECT_FALSE(r.sas[1].others);
  const SaReport& others = r.sas[2];
  EXPECT_TRUE(others.others);
  EXPECT_EQ(others.packets, 6u);
  EXPECT_FALSE(others.lowest_seq);  // numbers of different SAs are not one sequence
}

TEST(CaptureCheck, DamagedCaptureFileIsReportedWithThePacketNumber) {
  auto report = CheckCapture("pcaps/strongswan-gcm/esp_sa", KeyStore{});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, Code::kBadFile);
}

}  // namespace
}  // namespace ipsecref::io

namespace ipsecref::io {
namespace {

// IKEv1 (pcaps/strongswan-ikev1-xauth, strongSwan 5.9.8), as tshark lists
// it: frames 1-6 Identity Protection (Main Mode), Message ID 0, 1-4 on UDP
// 500 and 5-6 on 4500 (E flag); 7-12 Transaction (XAuth and Mode Config),
// Message IDs 33aa0f76 (7 from the responder, 8), 9e30175c (9 from the
// responder, 10), 87af5b44 (11 from the initiator, 12); 13-15 Quick Mode
// e7f2c664; 16-21 ESP in UDP (SPIs 0xac4febde a to b, 0x1a853564 b to a,
// ICV good in tshark with esp_sa); 22 and 23 Informational bb87f512 and
// 3aad42df, both from the initiator. tshark 4.0.17, decrypting with the
// capture's ikev1_decryption_table, shows HASH and ATTR in each Transaction
// message, HASH SA NONCE ID ID in Quick Mode's first two messages (the SPIs
// 0x1a853564 in a's, 0xac4febde in b's SA), HASH and a Delete in 22 (ESP,
// SPI 0x1a853564) and 23 (ISAKMP, the two cookies); in the Transactions,
// frame 8 an ISAKMP_CFG_REPLY with XAUTH_USER_NAME alice and a password,
// 9 an ISAKMP_CFG_SET with XAUTH_STATUS Success (1), 12 an
// ISAKMP_CFG_REPLY with INTERNAL_IP4_ADDRESS 10.99.0.17.
TEST(CaptureCheck, Ikev1IsDecryptedAndListedPerIsakmpSa) {
  CheckRun run = Check(Load("pcaps/strongswan-ikev1-xauth/capture.pcap"), Keys("pcaps/strongswan-ikev1-xauth"));
  const CaptureReport& r = run.report;
  EXPECT_EQ(r.failed(), 0u);
  EXPECT_TRUE(r.ike_sas.empty());
  ASSERT_EQ(r.ikev1_sas.size(), 1u);
  const Ikev1SaReport& sa = r.ikev1_sas[0];
  EXPECT_EQ(sa.cookie_i, 0x86d96285ae3a7bebu);
  EXPECT_TRUE(sa.keys_known);
  EXPECT_EQ(sa.packets, 17u);
  EXPECT_EQ(FormatAddress(sa.initiator), "192.0.2.1");
  EXPECT_EQ(sa.initiator_port, 4500);
  const std::vector<std::tuple<uint8_t, uint32_t, uint64_t, uint64_t>> expected = {
      {2, 0, 1, 6},          {6, 0x33aa0f76, 7, 2}, {6, 0x9e30175c, 9, 2}, {6, 0x87af5b44, 11, 2},
      {32, 0xe7f2c664, 13, 3}, {5, 0xbb87f512, 22, 1}, {5, 0x3aad42df, 23, 1}};
  ASSERT_EQ(sa.exchanges.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [type, id, first, count] = expected[i];
    EXPECT_EQ(sa.exchanges[i].type, type) << i;
    EXPECT_EQ(sa.exchanges[i].message_id, id) << i;
    EXPECT_EQ(sa.exchanges[i].messages.kept().front(), first) << i;
    EXPECT_EQ(sa.exchanges[i].messages.count(), count) << i;
    EXPECT_TRUE(sa.exchanges[i].contents_seen) << i;
  }
  EXPECT_EQ(sa.exchanges[0].payloads.substr(0, 10), "I: SA VID(");
  EXPECT_TRUE(sa.exchanges[1].encrypted);
  EXPECT_EQ(sa.exchanges[1].payloads, "R: HASH ATTR | I: HASH ATTR");
  EXPECT_EQ(sa.exchanges[1].outcome,
            "ISAKMP_CFG_REQUEST XAUTH_USER_NAME XAUTH_USER_PASSWORD; ISAKMP_CFG_REPLY XAUTH_USER_NAME=alice "
            "XAUTH_USER_PASSWORD=(14 bytes, not shown)");
  EXPECT_EQ(sa.exchanges[2].outcome, "ISAKMP_CFG_SET XAUTH_STATUS=OK (1); ISAKMP_CFG_ACK XAUTH_STATUS");
  EXPECT_EQ(sa.exchanges[3].outcome, "ISAKMP_CFG_REQUEST INTERNAL_IP4_ADDRESS; ISAKMP_CFG_REPLY INTERNAL_IP4_ADDRESS=10.99.0.17");
  EXPECT_EQ(sa.exchanges[4].payloads, "I: HASH SA NONCE ID ID | R: HASH SA NONCE ID ID | I: HASH");
  EXPECT_EQ(sa.exchanges[4].outcome, "ESP SA 0x1a853564/0xac4febde created");
  EXPECT_EQ(sa.exchanges[5].outcome, "Delete ESP 0x1a853564");
  EXPECT_EQ(sa.exchanges[6].outcome, "Delete ISAKMP SA");
  EXPECT_EQ(sa.deleted_at, 23u);
  EXPECT_TRUE(sa.findings.empty());
  for (uint32_t spi : {0xac4febdeu, 0x1a853564u}) EXPECT_EQ(Sa(r, spi).ok, 3u);
  // The Quick Mode SA, linked to the two ESP SAs as IKEv2's CHILD SAs are.
  ASSERT_EQ(r.child_sas.size(), 1u);
  const ChildSaReport& c = r.child_sas[0];
  EXPECT_EQ(c.ikev1_sa, 0u);
  EXPECT_EQ(c.created_at, 14u);
  EXPECT_EQ(c.at_initiator.spi, 0x1a853564u);
  EXPECT_EQ(c.at_responder.spi, 0xac4febdeu);
  ASSERT_TRUE(c.at_initiator.sa && c.at_responder.sa);
  EXPECT_EQ(r.sas[*c.at_initiator.sa].spi, 0x1a853564u);
  EXPECT_EQ(r.sas[*c.at_responder.sa].spi, 0xac4febdeu);
  EXPECT_EQ(c.delete_requested, 22u);
  EXPECT_TRUE(r.ike_findings.empty());
}

// Without the ikev1_decryption_table (esp_sa alone) the encrypted messages
// stay opaque: a note per message, nothing fails.
TEST(CaptureCheck, Ikev1WithoutKeysIsListedEncrypted) {
  CheckRun run = Check(Load("pcaps/strongswan-ikev1-xauth/capture.pcap"), Keys("pcaps/strongswan-ikev1-xauth/esp_sa"));
  const CaptureReport& r = run.report;
  EXPECT_EQ(r.failed(), 0u);
  ASSERT_EQ(r.ikev1_sas.size(), 1u);
  const Ikev1SaReport& sa = r.ikev1_sas[0];
  EXPECT_FALSE(sa.keys_known);
  EXPECT_EQ(sa.exchanges[1].payloads, "R: (encrypted) | I: (encrypted)");
  EXPECT_FALSE(sa.exchanges[1].contents_seen);
  ASSERT_EQ(sa.findings.size(), 1u);
  EXPECT_EQ(sa.findings[0].kind, IkeFindingKind::kContentsNotSeen);
  EXPECT_EQ(sa.findings[0].severity, IkeSeverity::kNote);
  EXPECT_EQ(sa.findings[0].packets.count(), 13u);  // frames 5-15, 22, 23
  EXPECT_TRUE(r.child_sas.empty());
}

}  // namespace
}  // namespace ipsecref::io
