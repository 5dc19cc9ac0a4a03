// IP addresses as the reference holds them (4 or 16 bytes in network order)
// and as the socket API wants them, and the ancillary data (IP_PKTINFO,
// IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_FLOWINFO) that carries a datagram's
// local address and IPv6 header fields past the socket API (ip(7), ipv6(7);
// the IPv6 ones from RFC 3542, the advanced sockets API).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::io {

// AF_INET for 4 bytes, AF_INET6 for 16, AF_UNSPEC for any other size.
int AddressFamily(ByteSpan address);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};
// Errors: kInvalidArgument unless `address` holds 4 or 16 bytes.
Result<SocketAddress> MakeSocketAddress(ByteSpan address, uint16_t port);
// The address (4 or 16 bytes; empty for another family) and port.
void ReadSocketAddress(const sockaddr_storage& socket_address, Bytes& address, uint16_t& port);

// "192.0.2.1[500]" or "2001:db8::1[4500]", as errors and logs name endpoints.
std::string FormatEndpoint(ByteSpan address, uint16_t port);

// Room for every control message the sockets here ask for or send.
struct ControlBuffer {
  alignas(cmsghdr) uint8_t bytes[256];
};

// Points `message` at a pktinfo control message in `buffer` that makes the
// kernel send from `source`, a local address of `family`. Errors:
// kInvalidArgument when `source` is not an address of `family`.
Status SetSourcePacketInfo(msghdr& message, ControlBuffer& buffer, int family, ByteSpan source);

// What the control messages of a received datagram said.
struct ReceivedControl {
  Bytes destination;                 // IP_PKTINFO ipi_addr / IPV6_PKTINFO ipi6_addr
  std::optional<uint8_t> hop_limit;  // IPV6_HOPLIMIT
  uint32_t flow_information = 0;     // IPV6_FLOWINFO: Traffic Class and Flow Label, host order
};
ReceivedControl ReadControl(const msghdr& message);

// One datagram or packet taken with recvmsg(2) into `into` (MSG_TRUNC:
// `length` is its real length, possibly more than `into` holds).
struct ReceivedMessage {
  size_t length = 0;
  bool truncated = false;
  sockaddr_storage source{};
  ReceivedControl control;
};
// std::nullopt when nothing is waiting. Errors: kIoError naming `what`
// ("receive on UDP port 500") and the errno.
Result<std::optional<ReceivedMessage>> ReceiveMessage(int fd, MutableByteSpan into, std::string_view what);

}  // namespace ipsecref::io
