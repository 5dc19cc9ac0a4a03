// Known answers from a real capture: the Linux 6.1 kernel's AH (HMAC-SHA1-96,
// transport mode, IPv4) with SAs negotiated by strongSwan 5.9.8. Provenance:
// pcaps/linux-xfrm-ah-transport/PROVENANCE.md.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "reference/ah/ah_sa.h"
#include "reference/ip/packet.h"

namespace ipsecref::ah {
namespace {

const std::string kDir = std::string(IPSECREF_SOURCE_DIR) + "/pcaps/linux-xfrm-ah-transport/";
constexpr size_t kEthernetHeader = 14;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint8_t kAh = 51;
constexpr uint8_t kIcmp = 1;

struct Frame {
  size_t number;  // 1-based, as Wireshark counts
  uint16_t ether_type;
  Bytes payload;  // after the Ethernet header
};

struct Capture {
  int link_type = -1;
  std::vector<Frame> frames;
};

Capture ReadPcap(const std::string& path) {
  Capture c;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> pcap(pcap_open_offline(path.c_str(), errbuf),
                                                      &pcap_close);
  EXPECT_NE(pcap, nullptr) << path << ": " << errbuf;
  if (!pcap) return c;
  c.link_type = pcap_datalink(pcap.get());
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  for (size_t n = 1; pcap_next_ex(pcap.get(), &header, &data) == 1; ++n) {
    ByteSpan frame(data, header->caplen);
    EXPECT_EQ(header->caplen, header->len) << "frame " << n << " was cut by the snap length";
    if (frame.size() < kEthernetHeader) {
      ADD_FAILURE() << "frame " << n << " is shorter than an Ethernet header";
      continue;
    }
    c.frames.push_back(
        {n, LoadU16(&frame[12]), Bytes(frame.begin() + kEthernetHeader, frame.end())});
  }
  return c;
}

struct SaRow {
  std::string src, dst;
  uint32_t spi;
  SaConfig config;
};

// keys.csv rows "esp,src,dst,spi,encr,keylen,integ,esn,mode,udp_encap,
// enc_key,integ_key,ike_spi_i,ike_spi_r,proto" with proto 51 (AH).
std::vector<SaRow> ReadAhKeys(const std::string& path) {
  std::vector<SaRow> rows;
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, ',');) f.push_back(field);
    if (f.empty() || f[0] != "esp") continue;
    if (f.size() != 15) {
      ADD_FAILURE() << "malformed esp row: " << line;
      continue;
    }
    if (f[14] != "51") continue;
    SaRow row;
    row.src = f[1].substr(0, f[1].find('['));
    row.dst = f[2].substr(0, f[2].find('['));
    row.spi = static_cast<uint32_t>(std::stoul(f[3], nullptr, 16));
    row.config.spi = row.spi;
    row.config.integ = static_cast<iana::Integ>(std::stoi(f[6]));
    row.config.esn = f[7] == "1";
    EXPECT_EQ(f[8], "1") << "transport mode";
    row.config.mode = SaConfig::kTransport;
    auto key = FromHex(f[11]);
    EXPECT_TRUE(key.ok()) << f[11];
    if (key.ok()) row.config.integ_key = ToSecure(*key);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string Ipv4String(ByteSpan a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
         std::to_string(a[3]);
}

struct VerifiedFrame {
  size_t frame;
  uint32_t spi;
  Bytes wire;
  Verified verified;
};

class LinuxAhTransport : public ::testing::Test {
 protected:
  void SetUp() override {
    wire_ = ReadPcap(kDir + "capture.pcap");
    cleartext_ = ReadPcap(kDir + "inner-cleartext.pcap");
    keys_ = ReadAhKeys(kDir + "keys.csv.a");
  }

  // Verifies every AH packet of the capture in order, one receiving SA per SPI.
  std::vector<VerifiedFrame> VerifyAll() {
    std::map<uint32_t, std::unique_ptr<Sa>> sas;
    for (const SaRow& row : keys_) {
      auto sa = Sa::Create(row.config);
      EXPECT_TRUE(sa.ok()) << sa.error().ToString();
      if (sa.ok()) sas[row.spi] = std::move(sa).value();
    }
    std::vector<VerifiedFrame> out;
    for (const Frame& f : wire_.frames) {
      if (f.ether_type != kEtherTypeIpv4) continue;
      auto view = ip::Parse(f.payload);
      EXPECT_TRUE(view.ok()) << "frame " << f.number;
      if (!view.ok() || view->protocol != kAh) continue;
      const uint32_t spi = LoadU32(&f.payload[view->header_length + 4]);
      auto sa = sas.find(spi);
      EXPECT_NE(sa, sas.end()) << "frame " << f.number << ": no key for SPI " << spi;
      if (sa == sas.end()) continue;
      auto v = sa->second->Verify(f.payload);
      EXPECT_TRUE(v.ok()) << "frame " << f.number << ": " << v.error().ToString();
      if (v.ok()) out.push_back({f.number, spi, f.payload, std::move(v).value()});
    }
    return out;
  }

  Capture wire_, cleartext_;
  std::vector<SaRow> keys_;
};

TEST_F(LinuxAhTransport, CapturesAreEthernet) {
  EXPECT_EQ(wire_.link_type, DLT_EN10MB);
  EXPECT_EQ(cleartext_.link_type, DLT_EN10MB);
  EXPECT_EQ(wire_.frames.size(), 16u);
  ASSERT_EQ(keys_.size(), 2u);
  for (const SaRow& row : keys_) {
    EXPECT_EQ(row.config.integ, iana::Integ::kHmacSha1_96);
    EXPECT_FALSE(row.config.esn);
  }
}

TEST_F(LinuxAhTransport, EveryAhPacketVerifies) {
  std::vector<VerifiedFrame> verified = VerifyAll();
  ASSERT_EQ(verified.size(), 10u) << "frames 5-14 are AH";
  std::map<uint32_t, uint64_t> next_seq;
  for (const VerifiedFrame& v : verified) {
    SCOPED_TRACE("frame " + std::to_string(v.frame));
    //= rfc4302#section-3.3.2
    //# Each SA numbers its packets from 1.
    EXPECT_EQ(v.verified.sequence_number, ++next_seq[v.spi]);
    // HMAC-SHA1-96 in IPv4: a 24-byte AH, payload length 4.
    EXPECT_EQ(v.wire[21], 4);
    // Independently of the code under test: the packet without AH is the
    // wire packet's IPv4 header (protocol from AH's next header, length and
    // checksum fixed) followed by what came after AH.
    Bytes expected(v.wire.begin(), v.wire.begin() + 20);
    expected[9] = v.wire[20];
    expected.insert(expected.end(), v.wire.begin() + 44, v.wire.end());
    ip::FixLengths(expected, 4);
    EXPECT_EQ(v.verified.packet, expected);
    EXPECT_EQ(ip::InternetChecksum({ByteSpan(v.verified.packet).first(20)}), 0);
  }
  EXPECT_EQ(next_seq.size(), 2u);
  for (const auto& [spi, last] : next_seq) EXPECT_EQ(last, 5u) << spi;
}

TEST_F(LinuxAhTransport, ProtectReproducesTheKernelsPacketsByteForByte) {
  // Outbound known answer: the packet without AH, protected again with the
  // same SA and sequence number, is what the Linux kernel sent.
  std::vector<VerifiedFrame> verified = VerifyAll();
  ASSERT_EQ(verified.size(), 10u);
  std::map<uint32_t, std::unique_ptr<Sa>> senders;
  for (const SaRow& row : keys_) senders[row.spi] = std::move(Sa::Create(row.config)).value();
  for (const VerifiedFrame& v : verified) {
    SCOPED_TRACE("frame " + std::to_string(v.frame));
    auto again = senders.at(v.spi)->Protect(v.verified.packet);
    ASSERT_TRUE(again.ok()) << again.error().ToString();
    EXPECT_EQ(ToHex(*again), ToHex(v.wire));
  }
}

TEST_F(LinuxAhTransport, VerifiedPacketsArePingsBetweenTheHosts) {
  // The ground truth the capture offers for the verified packets: five ICMP
  // echo requests 192.0.2.1 -> 192.0.2.2 under one SPI, their replies under
  // the other, each reply echoing its request's identifier, sequence and data.
  std::vector<VerifiedFrame> verified = VerifyAll();
  ASSERT_EQ(verified.size(), 10u);
  for (size_t i = 0; i + 1 < verified.size(); i += 2) {
    const Bytes& request = verified[i].verified.packet;
    const Bytes& reply = verified[i + 1].verified.packet;
    ASSERT_GE(request.size(), 28u);
    ASSERT_EQ(request.size(), reply.size());
    EXPECT_EQ(request[9], kIcmp);
    EXPECT_EQ(reply[9], kIcmp);
    EXPECT_EQ(Ipv4String(ByteSpan(request).subspan(12, 4)), "192.0.2.1");
    EXPECT_EQ(Ipv4String(ByteSpan(request).subspan(16, 4)), "192.0.2.2");
    EXPECT_EQ(Ipv4String(ByteSpan(reply).subspan(12, 4)), "192.0.2.2");
    EXPECT_EQ(Ipv4String(ByteSpan(reply).subspan(16, 4)), "192.0.2.1");
    ByteSpan icmp_request = ByteSpan(request).subspan(20);
    ByteSpan icmp_reply = ByteSpan(reply).subspan(20);
    EXPECT_EQ(ip::InternetChecksum({icmp_request}), 0);
    EXPECT_EQ(ip::InternetChecksum({icmp_reply}), 0);
    EXPECT_EQ(icmp_request[0], 8) << "echo request";
    EXPECT_EQ(icmp_reply[0], 0) << "echo reply";
    EXPECT_EQ(LoadU16(&icmp_request[4]), 0x0a85) << "identifier";
    EXPECT_EQ(LoadU16(&icmp_request[6]), i / 2 + 1) << "sequence";
    EXPECT_TRUE(std::equal(icmp_request.begin() + 4, icmp_request.end(), icmp_reply.begin() + 4))
        << "the reply echoes identifier, sequence and data";
  }
}

TEST_F(LinuxAhTransport, CleartextCaptureHoldsNoIpPacketToCompare) {
  // With kernel transport mode the decapsulated packets never pass where
  // tcpdump listens: inner-cleartext.pcap has 4 ARP frames (a resolving b)
  // and no IP packet, so no verified packet has a cleartext counterpart.
  ASSERT_EQ(cleartext_.frames.size(), 4u);
  for (const Frame& f : cleartext_.frames) {
    EXPECT_EQ(f.ether_type, kEtherTypeArp) << "frame " << f.number;
    ASSERT_GE(f.payload.size(), 28u);
    EXPECT_EQ(Ipv4String(ByteSpan(f.payload).subspan(14, 4)),
              f.payload[7] == 1 ? "192.0.2.1" : "192.0.2.2");
  }
  // Should a regenerated capture hold IP packets, each must be one of the
  // packets that AH verification produced, byte for byte.
  std::vector<VerifiedFrame> verified = VerifyAll();
  for (const Frame& f : cleartext_.frames) {
    if (f.ether_type != kEtherTypeIpv4 && f.ether_type != kEtherTypeIpv6) continue;
    auto view = ip::Parse(f.payload);
    ASSERT_TRUE(view.ok()) << "frame " << f.number;
    Bytes packet(f.payload.begin(), f.payload.begin() + static_cast<long>(view->total_length));
    bool found = false;
    for (const VerifiedFrame& v : verified) found = found || v.verified.packet == packet;
    EXPECT_TRUE(found) << "cleartext frame " << f.number << " matches no verified packet";
  }
}

TEST_F(LinuxAhTransport, ReplayedAndTamperedPacketsRejected) {
  std::map<uint32_t, std::unique_ptr<Sa>> sas;
  for (const SaRow& row : keys_) sas[row.spi] = std::move(Sa::Create(row.config)).value();
  for (const Frame& f : wire_.frames) {
    auto view = ip::Parse(f.payload);
    if (f.ether_type != kEtherTypeIpv4 || !view.ok() || view->protocol != kAh) continue;
    SCOPED_TRACE("frame " + std::to_string(f.number));
    Sa& sa = *sas.at(LoadU32(&f.payload[view->header_length + 4]));
    Bytes tampered = f.payload;
    tampered[16 + 3] ^= 1;  // destination address
    EXPECT_EQ(sa.Verify(tampered).error().code, Code::kIcvMismatch);
    Bytes routed = f.payload;
    routed[8] -= 3;    // TTL: a router's change
    routed[1] = 0x02;  // ECN ECT(0)
    ASSERT_TRUE(sa.Verify(routed).ok());
    auto again = sa.Verify(f.payload);
    EXPECT_EQ(again.error().code, Code::kReplay);
    EXPECT_EQ(again.error().offset, 28u);
  }
}

}  // namespace
}  // namespace ipsecref::ah
