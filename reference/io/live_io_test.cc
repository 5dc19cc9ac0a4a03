// The live I/O on real sockets and devices, in a private network namespace
// that the test process enters first (unshare(CLONE_NEWNET), as root), so
// that nothing it binds, adds or routes is seen outside it. Only loopback
// and TUN devices of its own; addresses from the documentation ranges
// (RFC 5737 192.0.2.0/24 and 198.51.100.0/24, RFC 3849 2001:db8::/32).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

#include "reference/io/file_descriptor.h"
#include "reference/io/netlink.h"
#include "reference/io/raw_ip_socket.h"
#include "reference/io/tun_device.h"
#include "reference/io/udp_socket.h"
#include "reference/ip/packet.h"

namespace ipsecref::io {
namespace {

using ::testing::HasSubstr;

Bytes Address(const char* text) {
  uint8_t bytes[16];
  if (inet_pton(AF_INET, text, bytes) == 1) return Bytes(bytes, bytes + 4);
  EXPECT_EQ(inet_pton(AF_INET6, text, bytes), 1) << text;
  return Bytes(bytes, bytes + 16);
}

ByteSpan Text(std::string_view text) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// Whether `fd` becomes readable within two seconds.
bool WaitReadable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 2000) == 1 && (p.revents & POLLIN) != 0;
}

std::string EnterPrivateNetworkNamespace() {
  if (unshare(CLONE_NEWNET) != 0) {
    return fmt::format(
        "unshare(CLONE_NEWNET) failed: {}. These tests must run as root (CAP_SYS_ADMIN and "
        "CAP_NET_ADMIN): they make a private network namespace so that nothing they bind, "
        "add or route is seen outside it",
        std::strerror(errno));
  }
  auto netlink = Rtnetlink::Open();
  if (!netlink) return netlink.error().ToString();
  if (Status up = netlink->SetLinkUp("lo"); !up) return up.error().ToString();
  return "";
}

class LiveIo : public ::testing::Test {
 protected:
  void SetUp() override {
    // Once per process: ctest runs each test in a process of its own, a
    // plain run of the binary runs them all in one namespace.
    static const std::string failure = EnterPrivateNetworkNamespace();
    ASSERT_EQ(failure, "");
    auto netlink = Rtnetlink::Open();
    ASSERT_TRUE(netlink.ok()) << netlink.error().ToString();
    netlink_.emplace(std::move(netlink).value());
  }

  Rtnetlink& netlink() { return *netlink_; }

  // Waits for, and receives, one datagram on `socket`.
  static UdpReceived ReceiveOne(UdpSocket& socket, MutableByteSpan buffer) {
    EXPECT_TRUE(WaitReadable(socket.fd())) << "no datagram within 2 s";
    auto received = socket.Receive(buffer);
    EXPECT_TRUE(received.ok()) << received.error().ToString();
    if (!received.ok() || !received->has_value()) {
      ADD_FAILURE() << "no datagram";
      return {};
    }
    return std::move(**received);
  }

  // A TUN device that is up, with `address`/`prefix` and a route to
  // `routed`/`routed_prefix` into it, from `address`.
  TunDevice TunWithRoute(const Bytes& address, uint8_t prefix, const Bytes& routed,
                         uint8_t routed_prefix) {
    auto tun = TunDevice::Open("");
    EXPECT_TRUE(tun.ok()) << tun.error().ToString();
    const std::string name = tun->name();
    Status added = netlink().AddAddress(name, address, prefix);
    EXPECT_TRUE(added.ok()) << added.error().ToString();
    Status up = netlink().SetLinkUp(name);
    EXPECT_TRUE(up.ok()) << up.error().ToString();
    Status routed_ok = netlink().AddRoute(routed, routed_prefix, name, address);
    EXPECT_TRUE(routed_ok.ok()) << routed_ok.error().ToString();
    return std::move(tun).value();
  }

  // Reads IP packets from `tun` until one matches (the kernel also sends
  // its own, such as MLD reports when IPv6 comes up on the device).
  static Bytes ReadMatching(TunDevice& tun, const std::function<bool(ByteSpan)>& wanted) {
    Bytes buffer(65536);
    for (int attempts = 0; attempts < 50; ++attempts) {
      if (!WaitReadable(tun.fd())) break;
      auto read = tun.Read(buffer);
      EXPECT_TRUE(read.ok()) << read.error().ToString();
      if (!read.ok() || !read->has_value()) continue;
      const ByteSpan packet(buffer.data(), **read);
      if (wanted(packet)) return Bytes(packet.begin(), packet.end());
    }
    ADD_FAILURE() << "the packet never came out of " << tun.name();
    return {};
  }

 private:
  std::optional<Rtnetlink> netlink_;
};

// Whether the one's complement sum of `pieces` is all ones: a header or
// datagram whose checksum field is right (RFC 1071 §1, RFC 791 §3.1,
// RFC 768 "Fields").
bool ChecksumHolds(std::initializer_list<ByteSpan> pieces) { return ip::InternetChecksum(pieces) == 0; }

// ---------------------------------------------------------------- UDP

TEST_F(LiveIo, UdpIpv4RoundTripReportsTheLocalAddressOnAWildcardBind) {
  auto receiver = UdpSocket::Bind(Address("0.0.0.0"), 0);
  ASSERT_TRUE(receiver.ok()) << receiver.error().ToString();
  auto sender = UdpSocket::Bind(Address("127.0.0.1"), 0);
  ASSERT_TRUE(sender.ok()) << sender.error().ToString();
  ASSERT_NE(receiver->local_port(), 0);
  ASSERT_NE(sender->local_port(), 0);

  // 127.0.0.5 is a local address too (127.0.0.0/8 on lo): pktinfo must say
  // which one the datagram was sent to.
  ASSERT_TRUE(sender->SendTo(Text("IKE_SA_INIT"), Address("127.0.0.5"), receiver->local_port()).ok());
  Bytes buffer(2048);
  const UdpReceived got = ReceiveOne(*receiver, buffer);
  EXPECT_EQ(got.source_address, Address("127.0.0.1"));
  EXPECT_EQ(got.source_port, sender->local_port());
  EXPECT_EQ(got.destination_address, Address("127.0.0.5"));
  EXPECT_EQ(got.destination_port, receiver->local_port());
  EXPECT_EQ(got.size, 11u);
  EXPECT_FALSE(got.truncated);
  EXPECT_EQ(std::string(buffer.begin(), buffer.begin() + 11), "IKE_SA_INIT");

  // And back, to the port it came from.
  ASSERT_TRUE(receiver->SendTo(Text("reply"), got.source_address, got.source_port).ok());
  const UdpReceived reply = ReceiveOne(*sender, buffer);
  EXPECT_EQ(reply.source_port, receiver->local_port());
  EXPECT_EQ(reply.destination_address, Address("127.0.0.1"));
  EXPECT_EQ(reply.size, 5u);
}

TEST_F(LiveIo, UdpIpv6RoundTripReportsTheLocalAddressOnAWildcardBind) {
  auto receiver = UdpSocket::Bind(Address("::"), 0);
  ASSERT_TRUE(receiver.ok()) << receiver.error().ToString();
  auto sender = UdpSocket::Bind(Address("::1"), 0);
  ASSERT_TRUE(sender.ok()) << sender.error().ToString();

  ASSERT_TRUE(sender->SendTo(Text("hello v6"), Address("::1"), receiver->local_port()).ok());
  Bytes buffer(2048);
  const UdpReceived got = ReceiveOne(*receiver, buffer);
  EXPECT_EQ(got.source_address, Address("::1"));
  EXPECT_EQ(got.source_port, sender->local_port());
  EXPECT_EQ(got.destination_address, Address("::1"));
  EXPECT_EQ(got.destination_port, receiver->local_port());
  EXPECT_EQ(got.size, 8u);
  EXPECT_FALSE(got.truncated);
}

TEST_F(LiveIo, UdpIpv4AndIpv6ShareAPortAndPortZeroGivesDistinctPorts) {
  auto v4 = UdpSocket::Bind(Address("0.0.0.0"), 0);
  ASSERT_TRUE(v4.ok()) << v4.error().ToString();
  // IPV6_V6ONLY: the IPv6 wildcard does not claim the IPv4 port.
  auto v6 = UdpSocket::Bind(Address("::"), v4->local_port());
  ASSERT_TRUE(v6.ok()) << v6.error().ToString();
  EXPECT_EQ(v6->local_port(), v4->local_port());
  auto other = UdpSocket::Bind(Address("0.0.0.0"), 0);
  ASSERT_TRUE(other.ok()) << other.error().ToString();
  EXPECT_NE(other->local_port(), v4->local_port());
  // The well-known ports, as the gateway binds them.
  auto ike = UdpSocket::Bind(Address("0.0.0.0"), 500, UdpSocketOptions{.receive_buffer = 1 << 20});
  ASSERT_TRUE(ike.ok()) << ike.error().ToString();
  EXPECT_EQ(ike->local_port(), 500);
  int size = 0;
  socklen_t length = sizeof size;
  ASSERT_EQ(getsockopt(ike->fd(), SOL_SOCKET, SO_RCVBUF, &size, &length), 0);
  EXPECT_GE(size, 1 << 20);
}

TEST_F(LiveIo, UdpReceiveSaysNothingWhenNothingWaits) {
  auto socket = UdpSocket::Bind(Address("127.0.0.1"), 0);
  ASSERT_TRUE(socket.ok()) << socket.error().ToString();
  Bytes buffer(64);
  auto received = socket->Receive(buffer);
  ASSERT_TRUE(received.ok()) << received.error().ToString();
  EXPECT_FALSE(received->has_value());
}

TEST_F(LiveIo, UdpTruncatedDatagramIsReported) {
  auto receiver = UdpSocket::Bind(Address("127.0.0.1"), 0);
  auto sender = UdpSocket::Bind(Address("127.0.0.1"), 0);
  ASSERT_TRUE(receiver.ok() && sender.ok());
  const Bytes datagram(100, 0xab);
  ASSERT_TRUE(sender->SendTo(datagram, Address("127.0.0.1"), receiver->local_port()).ok());
  Bytes buffer(10);
  const UdpReceived got = ReceiveOne(*receiver, buffer);
  EXPECT_TRUE(got.truncated);
  EXPECT_EQ(got.size, 10u);
  EXPECT_EQ(buffer, Bytes(10, 0xab));
}

TEST_F(LiveIo, UdpIpv4SendsFromTheChosenSource) {
  auto receiver = UdpSocket::Bind(Address("127.0.0.1"), 0);
  auto sender = UdpSocket::Bind(Address("0.0.0.0"), 0);
  ASSERT_TRUE(receiver.ok() && sender.ok());
  Status sent = sender->SendTo(Text("x"), Address("127.0.0.1"), receiver->local_port(),
                               Address("127.0.0.2"));
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  Bytes buffer(64);
  const UdpReceived got = ReceiveOne(*receiver, buffer);
  EXPECT_EQ(got.source_address, Address("127.0.0.2"));
  EXPECT_EQ(got.source_port, sender->local_port());
}

TEST_F(LiveIo, UdpIpv6SendsFromTheChosenSource) {
  Status added = netlink().AddAddress("lo", Address("2001:db8::2"), 128);
  ASSERT_TRUE(added.ok()) << added.error().ToString();
  auto receiver = UdpSocket::Bind(Address("::1"), 0);
  auto sender = UdpSocket::Bind(Address("::"), 0);
  ASSERT_TRUE(receiver.ok() && sender.ok());
  Status sent = sender->SendTo(Text("x"), Address("::1"), receiver->local_port(), Address("2001:db8::2"));
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  Bytes buffer(64);
  const UdpReceived got = ReceiveOne(*receiver, buffer);
  EXPECT_EQ(got.source_address, Address("2001:db8::2"));
}

TEST_F(LiveIo, UdpErrorsNameTheEndpointAndTheErrno) {
  // 192.0.2.55 is no address of this namespace.
  auto bound = UdpSocket::Bind(Address("192.0.2.55"), 500);
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.error().code, Code::kIoError);
  EXPECT_THAT(bound.error().detail, HasSubstr("192.0.2.55[500]"));
  EXPECT_THAT(bound.error().detail, HasSubstr("Cannot assign requested address (EADDRNOTAVAIL)"));

  auto wrong_size = UdpSocket::Bind(Bytes{127, 0, 0}, 500);
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_EQ(wrong_size.error().code, Code::kInvalidArgument);

  auto v4 = UdpSocket::Bind(Address("127.0.0.1"), 0);
  ASSERT_TRUE(v4.ok());
  Status family = v4->SendTo(Text("x"), Address("::1"), 500);
  ASSERT_FALSE(family.ok());
  EXPECT_EQ(family.error().code, Code::kInvalidArgument);
  // A source that is no local address: the kernel refuses.
  Status source = v4->SendTo(Text("x"), Address("127.0.0.1"), 500, Address("192.0.2.55"));
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().code, Code::kIoError);
  EXPECT_THAT(source.error().detail, HasSubstr("127.0.0.1[500]"));
}

TEST_F(LiveIo, SocketsOwnTheirDescriptors) {
  int fd = -1;
  {
    auto socket = UdpSocket::Bind(Address("127.0.0.1"), 0);
    ASSERT_TRUE(socket.ok());
    UdpSocket moved = std::move(socket).value();
    fd = moved.fd();
    ASSERT_GE(fd, 0);
    EXPECT_GE(fcntl(fd, F_GETFD), 0);
    EXPECT_NE(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  }
  // Closed with its owner.
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

// ---------------------------------------------------------------- raw ESP and AH

// IANA protocol numbers: ESP (RFC 4303 §2) and AH (RFC 4302 §2).
constexpr uint8_t kEsp = 50;
constexpr uint8_t kAh = 51;

// Bytes standing in for an ESP header (RFC 4303 §2: SPI 0x00001000,
// sequence number 1) and its encrypted payload; the kernel carries an AH
// socket's bytes the same way, unread.
const Bytes kIpsecPayload = {0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01,
                             'c',  'i',  'p',  'h',  'e',  'r',  't',  'e', 'x', 't'};

class LiveIoRaw : public LiveIo, public ::testing::WithParamInterface<uint8_t> {};

TEST_P(LiveIoRaw, OverIpv4ArrivesAsTheWholePacket) {
  const uint8_t protocol = GetParam();
  auto socket = RawIpSocket::Open(AF_INET, protocol);
  ASSERT_TRUE(socket.ok()) << socket.error().ToString();
  Status sent = socket->Send(kIpsecPayload, Address("127.0.0.1"), Address("127.0.0.2"));
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  ASSERT_TRUE(WaitReadable(socket->fd()));
  Bytes buffer(2048);
  auto received = socket->Receive(buffer);
  ASSERT_TRUE(received.ok()) << received.error().ToString();
  ASSERT_TRUE(received->has_value());
  ASSERT_EQ((*received)->size, 20 + kIpsecPayload.size());
  EXPECT_FALSE((*received)->truncated);

  //= rfc791#section-3.1
  //# Version 4, IHL 5 (no options), Type of Service 0, Total Length 38;
  //# Identification (any); Flags DF, Fragment Offset 0; TTL 64 (Linux's
  //# ip_default_ttl), Protocol 50 or 51; checksum (checked below); addresses.
  const Bytes header(buffer.begin(), buffer.begin() + 20);
  EXPECT_EQ(Bytes(header.begin(), header.begin() + 4), (Bytes{0x45, 0x00, 0x00, 0x26}));
  EXPECT_EQ(Bytes(header.begin() + 6, header.begin() + 10), (Bytes{0x40, 0x00, 0x40, protocol}));
  EXPECT_EQ(Bytes(header.begin() + 12, header.end()), (Bytes{127, 0, 0, 2, 127, 0, 0, 1}));
  EXPECT_TRUE(ChecksumHolds({header}));
  EXPECT_EQ(Bytes(buffer.begin() + 20, buffer.begin() + 20 + kIpsecPayload.size()), kIpsecPayload);
}

// The IPv6 header of the first packet of `protocol` captured on lo.
Bytes CapturedIpv6Header(int packet_socket, uint8_t protocol) {
  uint8_t frame[2048];
  while (WaitReadable(packet_socket)) {
    const ssize_t length = recv(packet_socket, frame, sizeof frame, 0);
    if (length >= 40 && frame[6] == protocol) return Bytes(frame, frame + 40);
  }
  ADD_FAILURE() << "no IPv6 packet of protocol " << int{protocol} << " seen on lo";
  return {};
}

TEST_P(LiveIoRaw, OverIpv6ArrivesWithTheHeaderRebuilt) {
  const uint8_t protocol = GetParam();
  // Added by whichever of the two runs first when both share a process.
  Status added = netlink().AddAddress("lo", Address("2001:db8::3"), 128);
  ASSERT_TRUE(added.ok() || added.error().detail.find("EEXIST") != std::string::npos)
      << added.error().ToString();
  // The wire, to compare the rebuilt header with: a packet socket on lo
  // (SOCK_DGRAM: from the IPv6 header on).
  FileDescriptor capture(socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IPV6)));
  ASSERT_TRUE(capture.valid()) << std::strerror(errno);
  sockaddr_ll lo{};
  lo.sll_family = AF_PACKET;
  lo.sll_protocol = htons(ETH_P_IPV6);
  lo.sll_ifindex = static_cast<int>(if_nametoindex("lo"));
  ASSERT_EQ(bind(capture.get(), reinterpret_cast<sockaddr*>(&lo), sizeof lo), 0) << std::strerror(errno);

  auto socket = RawIpSocket::Open(AF_INET6, protocol);
  ASSERT_TRUE(socket.ok()) << socket.error().ToString();
  // Traffic Class 0xb8 (DSCP EF, RFC 3246) on what this socket sends.
  const int traffic_class = 0xb8;
  ASSERT_EQ(setsockopt(socket->fd(), IPPROTO_IPV6, IPV6_TCLASS, &traffic_class, sizeof traffic_class), 0);
  Status sent = socket->Send(kIpsecPayload, Address("::1"), Address("2001:db8::3"));
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  ASSERT_TRUE(WaitReadable(socket->fd()));
  Bytes buffer(2048);
  auto received = socket->Receive(buffer);
  ASSERT_TRUE(received.ok()) << received.error().ToString();
  ASSERT_TRUE(received->has_value());
  ASSERT_EQ((*received)->size, 40 + kIpsecPayload.size());
  EXPECT_FALSE((*received)->truncated);
  const Bytes header(buffer.begin(), buffer.begin() + 40);

  //= rfc8200#section-3
  //# Version 6 and Traffic Class 0xb8 (the top 12 bits: 0x6b8), Payload
  //# Length 18, Next Header 50 or 51, Hop Limit 64 (Linux's default),
  //# Source 2001:db8::3, Destination ::1. Flow Label: whatever the kernel
  //# put on the wire (it makes one up, net.ipv6.auto_flowlabels).
  EXPECT_EQ(header[0], 0x6b);
  EXPECT_EQ(header[1] >> 4, 0x8);
  EXPECT_EQ(Bytes(header.begin() + 4, header.begin() + 8), (Bytes{0x00, 0x12, protocol, 0x40}));
  const Bytes expected_addresses = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03,
                                    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  EXPECT_EQ(Bytes(header.begin() + 8, header.end()), expected_addresses);
  EXPECT_EQ(Bytes(buffer.begin() + 40, buffer.begin() + 40 + kIpsecPayload.size()), kIpsecPayload);
  // And byte for byte what went over lo, Flow Label included.
  EXPECT_EQ(ToHex(header), ToHex(CapturedIpv6Header(capture.get(), protocol)));

  // Truncated: the rebuilt header still states the full Payload Length.
  ASSERT_TRUE(socket->Send(kIpsecPayload, Address("::1")).ok());
  ASSERT_TRUE(WaitReadable(socket->fd()));
  Bytes small(48);
  auto cut = socket->Receive(small);
  ASSERT_TRUE(cut.ok()) << cut.error().ToString();
  ASSERT_TRUE(cut->has_value());
  EXPECT_TRUE((*cut)->truncated);
  EXPECT_EQ((*cut)->size, 48u);
  EXPECT_EQ(LoadU16(&small[4]), kIpsecPayload.size());
  EXPECT_EQ(Bytes(small.begin() + 40, small.end()), Bytes(kIpsecPayload.begin(), kIpsecPayload.begin() + 8));
}

INSTANTIATE_TEST_SUITE_P(EspAndAh, LiveIoRaw, ::testing::Values(kEsp, kAh),
                         [](const ::testing::TestParamInfo<uint8_t>& info) {
                           return info.param == kEsp ? std::string("Esp") : std::string("Ah");
                         });

TEST_F(LiveIo, RawIpv6ReceiveNeedsRoomForTheHeader) {
  auto socket = RawIpSocket::Open(AF_INET6, kEsp);
  ASSERT_TRUE(socket.ok());
  Bytes small(39);
  auto received = socket->Receive(small);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().code, Code::kInvalidArgument);
  auto wrong = RawIpSocket::Open(AF_UNIX, kEsp);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Code::kInvalidArgument);
}

// ---------------------------------------------------------------- TUN

TEST_F(LiveIo, TunReadsTheIpv4DatagramRoutedIntoIt) {
  TunDevice tun = TunWithRoute(Address("192.0.2.1"), 24, Address("198.51.100.0"), 24);
  ASSERT_FALSE(HasFailure());
  auto sender = UdpSocket::Bind(Address("0.0.0.0"), 0);
  ASSERT_TRUE(sender.ok());
  ASSERT_TRUE(sender->SendTo(Text("inner"), Address("198.51.100.7"), 4000).ok());

  const Bytes packet = ReadMatching(tun, [](ByteSpan p) { return p.size() >= 20 && p[0] >> 4 == 4 && p[9] == 17; });
  ASSERT_EQ(packet.size(), 20u + 8u + 5u);
  //= rfc791#section-3.1
  //# Version 4, IHL 5, TOS 0, Total Length 33; DF; TTL 64, Protocol 17
  //# (UDP); source the route's preferred source 192.0.2.1, destination
  //# 198.51.100.7.
  const Bytes header(packet.begin(), packet.begin() + 20);
  EXPECT_EQ(Bytes(header.begin(), header.begin() + 4), (Bytes{0x45, 0x00, 0x00, 0x21}));
  EXPECT_EQ(Bytes(header.begin() + 6, header.begin() + 10), (Bytes{0x40, 0x00, 0x40, 0x11}));
  EXPECT_EQ(Bytes(header.begin() + 12, header.end()), (Bytes{192, 0, 2, 1, 198, 51, 100, 7}));
  EXPECT_TRUE(ChecksumHolds({header}));
  //= rfc768
  //# Source Port, Destination Port 4000, Length 13 (header and data),
  //# Checksum over the pseudo header (source, destination, zero, protocol
  //# 17, UDP length) and the datagram.
  const ByteSpan udp(packet.data() + 20, 13);
  EXPECT_EQ(LoadU16(&udp[0]), sender->local_port());
  EXPECT_EQ(Bytes(udp.begin() + 2, udp.begin() + 6), (Bytes{0x0f, 0xa0, 0x00, 0x0d}));
  const Bytes pseudo_header = {192, 0, 2, 1, 198, 51, 100, 7, 0x00, 17, 0x00, 0x0d};
  EXPECT_TRUE(ChecksumHolds({pseudo_header, udp}));
  EXPECT_EQ(std::string(udp.begin() + 8, udp.end()), "inner");
}

TEST_F(LiveIo, TunReadsTheIpv6DatagramRoutedIntoIt) {
  TunDevice tun = TunWithRoute(Address("2001:db8:1::1"), 64, Address("2001:db8:2::"), 64);
  ASSERT_FALSE(HasFailure());
  auto sender = UdpSocket::Bind(Address("::"), 0);
  ASSERT_TRUE(sender.ok());
  Status sent = sender->SendTo(Text("inner"), Address("2001:db8:2::7"), 4000);
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();

  // Not the MLD reports and router solicitations IPv6 sends on coming up.
  const Bytes packet = ReadMatching(tun, [](ByteSpan p) { return p.size() >= 40 && p[0] >> 4 == 6 && p[6] == 17; });
  ASSERT_EQ(packet.size(), 40u + 8u + 5u);
  //= rfc8200#section-3
  //# Version 6, Payload Length 13, Next Header 17 (UDP), Hop Limit 64,
  //# source the route's preferred source, destination 2001:db8:2::7.
  EXPECT_EQ(packet[0] >> 4, 6);
  EXPECT_EQ(Bytes(packet.begin() + 4, packet.begin() + 8), (Bytes{0x00, 0x0d, 0x11, 0x40}));
  EXPECT_EQ(Bytes(packet.begin() + 8, packet.begin() + 24), Address("2001:db8:1::1"));
  EXPECT_EQ(Bytes(packet.begin() + 24, packet.begin() + 40), Address("2001:db8:2::7"));
  const ByteSpan udp(packet.data() + 40, 13);
  EXPECT_EQ(LoadU16(&udp[0]), sender->local_port());
  EXPECT_EQ(Bytes(udp.begin() + 2, udp.begin() + 6), (Bytes{0x0f, 0xa0, 0x00, 0x0d}));
  //= rfc8200#section-8.1
  //# The UDP checksum covers a pseudo header of source, destination, the
  //# 32-bit upper-layer length and the 24 zero bits and Next Header 17.
  Bytes pseudo_header = Address("2001:db8:1::1");
  const Bytes destination = Address("2001:db8:2::7");
  pseudo_header.insert(pseudo_header.end(), destination.begin(), destination.end());
  pseudo_header.insert(pseudo_header.end(), {0, 0, 0, 13, 0, 0, 0, 17});
  EXPECT_TRUE(ChecksumHolds({pseudo_header, udp}));
  EXPECT_EQ(std::string(udp.begin() + 8, udp.end()), "inner");
}

TEST_F(LiveIo, TunWrittenPacketReachesTheBoundSocket) {
  TunDevice tun = TunWithRoute(Address("192.0.2.1"), 24, Address("198.51.100.0"), 24);
  ASSERT_FALSE(HasFailure());
  auto receiver = UdpSocket::Bind(Address("192.0.2.1"), 5000);
  ASSERT_TRUE(receiver.ok()) << receiver.error().ToString();

  // RFC 791 §3.1 header: Version 4, IHL 5, TOS 0, Total Length 33,
  // Identification 0x1234, no flags, TTL 64, Protocol 17, header checksum
  // 0x7c5c (computed by Scapy 2.5.0: IP(src='198.51.100.7', dst='192.0.2.1',
  // id=0x1234, ttl=64, flags=0)/UDP(sport=4000, dport=5000, chksum=0)/b'hello'),
  // 198.51.100.7 -> 192.0.2.1; RFC 768 header: ports 4000 -> 5000, Length 13,
  // Checksum 0 (none computed, allowed over IPv4); then "hello".
  const Bytes packet = {0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x7c,
                        0x5c, 0xc6, 0x33, 0x64, 0x07, 0xc0, 0x00, 0x02, 0x01, 0x0f, 0xa0,
                        0x13, 0x88, 0x00, 0x0d, 0x00, 0x00, 'h',  'e',  'l',  'l',  'o'};
  Status written = tun.Write(packet);
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  Bytes buffer(64);
  const UdpReceived got = ReceiveOne(*receiver, buffer);
  EXPECT_EQ(got.source_address, Address("198.51.100.7"));
  EXPECT_EQ(got.source_port, 4000);
  EXPECT_EQ(got.destination_address, Address("192.0.2.1"));
  EXPECT_EQ(got.destination_port, 5000);
  EXPECT_EQ(std::string(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(got.size)), "hello");
}

TEST_F(LiveIo, TunMtuIsSet) {
  auto tun = TunDevice::Open("ipsecref-mtu0");
  ASSERT_TRUE(tun.ok()) << tun.error().ToString();
  EXPECT_EQ(tun->name(), "ipsecref-mtu0");
  Status set = tun->SetMtu(1400);
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  FileDescriptor any(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq request{};
  std::strncpy(request.ifr_name, "ipsecref-mtu0", IFNAMSIZ - 1);
  ASSERT_EQ(ioctl(any.get(), SIOCGIFMTU, &request), 0) << std::strerror(errno);
  EXPECT_EQ(request.ifr_mtu, 1400);
  // Below IPv4's minimum of 68 octets (RFC 791): the kernel refuses.
  Status too_small = tun->SetMtu(60);
  ASSERT_FALSE(too_small.ok());
  EXPECT_THAT(too_small.error().detail, HasSubstr("ipsecref-mtu0"));
}

// ---------------------------------------------------------------- netlink

TEST_F(LiveIo, NetlinkErrorsNameTheDeviceAndTheKernelsErrno) {
  Status up = netlink().SetLinkUp("ipsecref-nodev");
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, Code::kIoError);
  EXPECT_THAT(up.error().detail, HasSubstr("set link ipsecref-nodev up"));
  EXPECT_THAT(up.error().detail, HasSubstr("No such device (ENODEV)"));

  Status route = netlink().AddRoute(Address("198.51.100.0"), 24, "ipsecref-nodev");
  ASSERT_FALSE(route.ok());
  EXPECT_THAT(route.error().detail, HasSubstr("add route 198.51.100.0/24 dev ipsecref-nodev"));
  EXPECT_THAT(route.error().detail, HasSubstr("No such device (ENODEV)"));

  Status address = netlink().AddAddress("ipsecref-nodev", Address("192.0.2.9"), 24);
  ASSERT_FALSE(address.ok());
  EXPECT_THAT(address.error().detail, HasSubstr("ipsecref-nodev"));
  EXPECT_THAT(address.error().detail, HasSubstr("No such device (ENODEV)"));

  EXPECT_EQ(netlink().SetMtu("ipsecref-nodev", 1400).error().code, Code::kIoError);
  const std::string long_name(70000, 'x');  // longer than a netlink attribute can say
  Status long_up = netlink().SetLinkUp(long_name);
  ASSERT_FALSE(long_up.ok());
  EXPECT_EQ(long_up.error().code, Code::kInvalidArgument);
  EXPECT_EQ(netlink().AddRoute(Address("198.51.100.0"), 24, long_name).error().code, Code::kInvalidArgument);
  EXPECT_EQ(netlink().AddRoute(Address("198.51.100.0"), 33, "lo").error().code, Code::kInvalidArgument);
}

TEST_F(LiveIo, NetlinkAddsAndDeletesRoutesAndReportsTheKernelsAnswer) {
  auto tun = TunDevice::Open("");
  ASSERT_TRUE(tun.ok()) << tun.error().ToString();
  const std::string name = tun->name();
  ASSERT_TRUE(netlink().AddAddress(name, Address("192.0.2.1"), 24).ok());
  Status again = netlink().AddAddress(name, Address("192.0.2.1"), 24);
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.error().detail, HasSubstr("File exists (EEXIST)"));
  ASSERT_TRUE(netlink().SetLinkUp(name).ok());
  ASSERT_TRUE(netlink().AddRoute(Address("203.0.113.0"), 24, name).ok());
  Status twice = netlink().AddRoute(Address("203.0.113.0"), 24, name);
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(twice.error().detail, HasSubstr("File exists (EEXIST)"));

  Status deleted = netlink().DeleteRoute(Address("203.0.113.0"), 24, name);
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  Status gone = netlink().DeleteRoute(Address("203.0.113.0"), 24, name);
  ASSERT_FALSE(gone.ok());
  EXPECT_THAT(gone.error().detail, HasSubstr("delete route 203.0.113.0/24 dev " + name));
  EXPECT_THAT(gone.error().detail, HasSubstr("No such process (ESRCH)"));
  // Host bits set under the prefix: the kernel says why in words.
  Status host_bits = netlink().AddRoute(Address("203.0.113.1"), 24, name);
  ASSERT_FALSE(host_bits.ok());
  EXPECT_THAT(host_bits.error().detail,
              HasSubstr("add route 203.0.113.1/24 dev " + name + ": Invalid argument (EINVAL): "
                        "the kernel says \"Invalid prefix for given prefix length\""));

  auto index = netlink().LinkIndex(name);
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  EXPECT_EQ(*index, static_cast<int>(if_nametoindex(name.c_str())));
}

}  // namespace
}  // namespace ipsecref::io
