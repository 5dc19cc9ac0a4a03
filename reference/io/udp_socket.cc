#include "reference/io/udp_socket.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "reference/io/socket_address.h"

namespace ipsecref::io {

namespace {

Status SetOption(int fd, int level, int name, int value, std::string_view what,
                 std::string_view endpoint) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0)
    return SystemError(fmt::format("setsockopt {} on UDP socket {}", what, endpoint), errno);
  return OkStatus();
}

}  // namespace

Result<UdpSocket> UdpSocket::Bind(ByteSpan address, uint16_t port, const UdpSocketOptions& options) {
  TRY_ASSIGN(const SocketAddress local, MakeSocketAddress(address, port));
  const int family = AddressFamily(address);
  const std::string endpoint = FormatEndpoint(address, port);
  FileDescriptor fd(socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd.valid()) return SystemError(fmt::format("socket for UDP {}", endpoint), errno);
  TRY(SetOption(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", endpoint));
  if (family == AF_INET) {
    TRY(SetOption(fd.get(), IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO", endpoint));
  } else {
    TRY(SetOption(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY", endpoint));
    TRY(SetOption(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO", endpoint));
  }
  if (options.receive_buffer > 0) {
    // SO_RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN.
    if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &options.receive_buffer,
                   sizeof options.receive_buffer) != 0)
      TRY(SetOption(fd.get(), SOL_SOCKET, SO_RCVBUF, options.receive_buffer, "SO_RCVBUF", endpoint));
  }
  if (bind(fd.get(), local.get(), local.length) != 0)
    return SystemError(fmt::format("bind UDP {}", endpoint), errno);
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0)
    return SystemError(fmt::format("getsockname of UDP {}", endpoint), errno);
  Bytes bound_address;
  uint16_t bound_port = 0;
  ReadSocketAddress(bound, bound_address, bound_port);
  return UdpSocket(std::move(fd), family, bound_port);
}

Result<std::optional<UdpReceived>> UdpSocket::Receive(MutableByteSpan buffer) {
  TRY_ASSIGN(std::optional<ReceivedMessage> m,
             ReceiveMessage(fd_.get(), buffer, fmt::format("receive on UDP port {}", local_port_)));
  if (!m) return std::optional<UdpReceived>();
  UdpReceived received;
  ReadSocketAddress(m->source, received.source_address, received.source_port);
  received.destination_address = std::move(m->control.destination);
  received.destination_port = local_port_;
  received.size = std::min(m->length, buffer.size());
  received.truncated = m->truncated;
  return std::optional<UdpReceived>(std::move(received));
}

Status UdpSocket::SendTo(ByteSpan data, ByteSpan dst_address, uint16_t dst_port,
                         ByteSpan src_address) {
  const std::string destination = FormatEndpoint(dst_address, dst_port);
  ENSURE(AddressFamily(dst_address) == family_, kInvalidArgument, kNoOffset, "",
         fmt::format("send to {} on an IPv{} UDP socket", destination, family_ == AF_INET ? 4 : 6));
  TRY_ASSIGN(const SocketAddress remote, MakeSocketAddress(dst_address, dst_port));
  iovec vector{const_cast<uint8_t*>(data.data()), data.size()};
  msghdr message{};
  message.msg_name = const_cast<sockaddr*>(remote.get());
  message.msg_namelen = remote.length;
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  ControlBuffer control;
  if (!src_address.empty()) TRY(SetSourcePacketInfo(message, control, family_, src_address));
  const ssize_t sent = sendmsg(fd_.get(), &message, 0);
  if (sent < 0) {
    return SystemError(fmt::format("send {} bytes from UDP {} to {}", data.size(),
                                   FormatEndpoint(src_address, local_port_), destination),
                       errno);
  }
  return OkStatus();
}

}  // namespace ipsecref::io
