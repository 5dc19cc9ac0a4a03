// Finding the IKE messages of a capture: the bundled strongSwan capture
// (frame numbers and lengths as tshark 4.0.17 lists them, and as
// pcaps/strongswan-gcm/PROVENANCE.md describes the capture), and built
// packets for what the captures lack (NAT-keepalives, fragments).
#include "reference/io/ike_messages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "reference/ip/packet.h"

namespace ipsecref::io {
namespace {

TEST(IkeMessages, StrongswanGcmCapture) {
  auto messages = ReadIkeMessages("pcaps/strongswan-gcm/capture.pcap");
  ASSERT_TRUE(messages.ok()) << messages.error().ToString();
  // IKE_SA_INIT (1, 2) on port 500, IKE_AUTH (3, 4) and INFORMATIONAL
  // (15, 16) on port 4500; frames 5-14 are ESP in UDP.
  ASSERT_EQ(messages->size(), 6u);
  const size_t numbers[] = {1, 2, 3, 4, 15, 16};
  // UDP lengths 272, 280, 275, 226, 77, 69 less the UDP header (and the
  // marker on port 4500).
  const size_t sizes[] = {264, 272, 263, 214, 65, 57};
  const uint8_t spi_i[] = {0x80, 0xea, 0x41, 0x92, 0x60, 0xb5, 0xb6, 0xec};
  for (size_t i = 0; i < messages->size(); ++i) {
    const CapturedIke& m = (*messages)[i];
    SCOPED_TRACE(m.packet_number);
    EXPECT_EQ(m.packet_number, numbers[i]);
    EXPECT_EQ(m.message.size(), sizes[i]);
    const bool from_a = i % 2 == 0;
    EXPECT_EQ(m.src, from_a ? "192.0.2.1" : "192.0.2.2");
    EXPECT_EQ(m.dst, from_a ? "192.0.2.2" : "192.0.2.1");
    const uint16_t port = i < 2 ? 500 : 4500;
    EXPECT_EQ(m.sport, port);
    EXPECT_EQ(m.dport, port);
    EXPECT_EQ(m.non_esp_marker, i >= 2);
    ASSERT_GE(m.message.size(), 8u);
    EXPECT_TRUE(std::equal(spi_i, spi_i + 8, m.message.begin()));
  }
  // tshark: frame 1 at 0.000000 s, frame 16 at 0.903540 s from the first.
  EXPECT_NEAR((*messages)[5].timestamp.SecondsSince((*messages)[0].timestamp), 0.903540, 1e-6);
}

TEST(IkeMessages, Ipv6Capture) {
  auto messages = ReadIkeMessages("pcaps/linux-xfrm-ipv6/capture.pcap");
  ASSERT_TRUE(messages.ok()) << messages.error().ToString();
  ASSERT_EQ(messages->size(), 6u);
  EXPECT_EQ((*messages)[0].src, "2001:db8:0:1::1");
  EXPECT_EQ((*messages)[1].src, "2001:db8:0:1::2");
  EXPECT_EQ((*messages)[2].packet_number, 3u);
  EXPECT_EQ((*messages)[2].message.size(), 323u - 8 - 4);
}

TEST(IkeMessages, MissingFile) {
  auto messages = ReadIkeMessages("pcaps/no-such-capture/capture.pcap");
  ASSERT_FALSE(messages.ok());
  EXPECT_NE(messages.error().detail.find("no-such-capture"), std::string::npos)
      << messages.error().ToString();
}

// An IPv4 packet 192.0.2.1 -> 192.0.2.2 carrying `payload` over `protocol`
// (with a UDP header first when it is 17), as a raw-IP captured record.
CapturedPacket Packet(uint64_t number, uint8_t protocol, uint16_t sport, uint16_t dport,
                      const Bytes& payload, uint16_t fragment_field = 0,
                      std::optional<uint16_t> udp_length = std::nullopt) {
  ByteWriter udp;
  if (protocol == 17) {
    udp.U16(sport).U16(dport).U16(udp_length.value_or(static_cast<uint16_t>(8 + payload.size())));
    udp.U16(0);
  }
  udp.Append(payload);
  ByteWriter ip;
  ip.U8(0x45).U8(0).U16(static_cast<uint16_t>(20 + udp.size())).U16(1).U16(fragment_field);
  ip.U8(64).U8(protocol).U16(0);
  ip.Append(Bytes{192, 0, 2, 1}).Append(Bytes{192, 0, 2, 2});
  ip.Append(udp.bytes());
  Bytes bytes = std::move(ip).Take();
  ip::SetIpv4HeaderChecksum(MutableByteSpan(bytes.data(), 20));
  CapturedPacket p;
  p.number = number;
  p.captured_length = p.original_length = static_cast<uint32_t>(bytes.size());
  p.frame = std::move(bytes);
  p.link = LinkPayload{NetworkProtocol::kIpv4, 0, {}, 0};
  return p;
}

const Bytes kMessage = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0, 0, 0};

TEST(IkeMessages, PortsMarkerKeepalivesAndEsp) {
  Bytes marked = {0, 0, 0, 0};
  marked.insert(marked.end(), kMessage.begin(), kMessage.end());
  Bytes esp = {0x30, 0x85, 0x5d, 0xa0, 0, 0, 0, 1, 9, 9, 9, 9};
  const std::vector<CapturedPacket> packets = {
      Packet(1, 17, 500, 500, kMessage),        // IKE
      Packet(2, 17, 4500, 4500, Bytes{0xff}),   // NAT-keepalive
      Packet(3, 17, 4500, 4500, esp),           // ESP in UDP
      Packet(4, 17, 4500, 4500, marked),        // IKE behind the marker
      Packet(5, 17, 53, 53, kMessage),          // not an IKE port
      Packet(6, 6, 0, 0, kMessage),             // not UDP
      Packet(7, 17, 33000, 500, kMessage),      // IKE from a NAT-mapped port
      Packet(8, 50, 0, 0, esp),                 // ESP
      Packet(9, 17, 500, 500, Bytes{}),         // an empty datagram to port 500
  };
  auto messages = ExtractIkeMessages(packets, "built");
  ASSERT_TRUE(messages.ok()) << messages.error().ToString();
  ASSERT_EQ(messages->size(), 4u);
  EXPECT_EQ((*messages)[0].packet_number, 1u);
  EXPECT_FALSE((*messages)[0].non_esp_marker);
  EXPECT_EQ((*messages)[0].message, kMessage);
  EXPECT_EQ((*messages)[1].packet_number, 4u);
  EXPECT_TRUE((*messages)[1].non_esp_marker);
  EXPECT_EQ((*messages)[1].message, kMessage);
  EXPECT_EQ((*messages)[2].packet_number, 7u);
  EXPECT_EQ((*messages)[2].sport, 33000);
  EXPECT_EQ((*messages)[2].dport, 500);
  EXPECT_EQ((*messages)[3].packet_number, 9u);
  EXPECT_TRUE((*messages)[3].message.empty());
}

TEST(IkeMessages, UdpFragmentsThatNeverCompleteAreReported) {
  // More Fragments set on a UDP datagram to port 500 of 20 octets: a
  // fragment with more to follow must carry a multiple of 8 (RFC 8200 §4.5),
  // and one the reassembler refuses may hide an IKE message.
  auto first = ExtractIkeMessages({Packet(1, 17, 500, 500, kMessage, 0x2000)}, "built");
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, Code::kBadLength);
  EXPECT_NE(first.error().detail.find("built packet 1"), std::string::npos);
  // A last fragment (offset 8 units) alone shows no ports, and its datagram
  // (maybe an IKE message) is still incomplete at the end.
  auto later = ExtractIkeMessages({Packet(2, 17, 0, 0, kMessage, 0x0008)}, "built");
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code, Code::kReassemblyTimeout);
  EXPECT_NE(later.error().detail.find("built packets 2 "), std::string::npos)
      << later.error().detail;
  // Fragments of anything but UDP cannot hold IKE.
  auto esp = ExtractIkeMessages({Packet(3, 50, 0, 0, kMessage, 0x2000)}, "built");
  ASSERT_TRUE(esp.ok()) << esp.error().ToString();
  EXPECT_TRUE(esp->empty());
}

TEST(IkeMessages, UdpLengthMustFitThePacket) {
  auto messages =
      ExtractIkeMessages({Packet(4, 17, 500, 500, kMessage, 0, uint16_t{8 + 13})}, "built");
  ASSERT_FALSE(messages.ok());
  EXPECT_EQ(messages.error().code, Code::kBadFile);
  EXPECT_NE(messages.error().detail.find("built packet 4: UDP length 21"), std::string::npos)
      << messages.error().detail;
  auto too_short =
      ExtractIkeMessages({Packet(5, 17, 500, 500, kMessage, 0, uint16_t{7})}, "built");
  ASSERT_FALSE(too_short.ok());
  EXPECT_EQ(too_short.error().code, Code::kBadFile);
}

TEST(IkeMessages, CutDatagramIsAnError) {
  CapturedPacket p = Packet(6, 17, 500, 500, kMessage);
  p.frame.resize(p.frame.size() - 4);
  p.captured_length -= 4;
  auto messages = ExtractIkeMessages({p}, "built");
  ASSERT_FALSE(messages.ok());
  EXPECT_EQ(messages.error().code, Code::kTruncated);
}

// pcaps/fragments/linux-xfrm-gcm-reverse.pcap: Scapy cut every packet of
// pcaps/linux-xfrm-gcm into fragments sent last first; tshark 4.0.17
// reassembles the six IKE messages in frames 5, 10, 15, 19, 41 and 43.
TEST(IkeMessages, FragmentedMessagesAreReassembled) {
  auto fragmented = ReadIkeMessages("pcaps/fragments/linux-xfrm-gcm-reverse.pcap");
  ASSERT_TRUE(fragmented.ok()) << fragmented.error().ToString();
  auto original = ReadIkeMessages("pcaps/linux-xfrm-gcm/capture.pcap");
  ASSERT_TRUE(original.ok()) << original.error().ToString();
  ASSERT_EQ(fragmented->size(), 6u);
  ASSERT_EQ(original->size(), 6u);
  const size_t frames[] = {5, 10, 15, 19, 41, 43};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ((*fragmented)[i].packet_number, frames[i]);
    EXPECT_EQ((*fragmented)[i].message, (*original)[i].message) << "message " << i;
    EXPECT_EQ((*fragmented)[i].non_esp_marker, (*original)[i].non_esp_marker);
  }
}

}  // namespace
}  // namespace ipsecref::io
