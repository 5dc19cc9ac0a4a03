#include "reference/io/socket_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
// After <netinet/in.h>: IPV6_FLOWINFO, which glibc does not declare.
#include <linux/in6.h>

#include <cstring>

#include "reference/io/file_descriptor.h"
#include "reference/io/keys.h"

namespace ipsecref::io {

int AddressFamily(ByteSpan address) {
  if (address.size() == 4) return AF_INET;
  if (address.size() == 16) return AF_INET6;
  return AF_UNSPEC;
}

Result<SocketAddress> MakeSocketAddress(ByteSpan address, uint16_t port) {
  SocketAddress out;
  if (address.size() == 4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, address.data(), 4);
    out.length = sizeof(sockaddr_in);
    return out;
  }
  if (address.size() == 16) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, address.data(), 16);
    out.length = sizeof(sockaddr_in6);
    return out;
  }
  return MakeError(Code::kInvalidArgument, kNoOffset, "",
                   fmt::format("an IP address has 4 or 16 bytes, not {}", address.size()));
}

void ReadSocketAddress(const sockaddr_storage& socket_address, Bytes& address, uint16_t& port) {
  if (socket_address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&socket_address);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&in->sin_addr);
    address.assign(bytes, bytes + 4);
    port = ntohs(in->sin_port);
  } else if (socket_address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&socket_address);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&in6->sin6_addr);
    address.assign(bytes, bytes + 16);
    port = ntohs(in6->sin6_port);
  } else {
    address.clear();
    port = 0;
  }
}

std::string FormatEndpoint(ByteSpan address, uint16_t port) {
  return fmt::format("{}[{}]", FormatAddress(address), port);
}

Status SetSourcePacketInfo(msghdr& message, ControlBuffer& buffer, int family, ByteSpan source) {
  ENSURE(AddressFamily(source) == family, kInvalidArgument, kNoOffset, "",
         fmt::format("source address {} is not of the socket's family", FormatAddress(source)));
  std::memset(buffer.bytes, 0, sizeof buffer.bytes);
  message.msg_control = buffer.bytes;
  if (family == AF_INET) {
    message.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = IPPROTO_IP;
    header->cmsg_type = IP_PKTINFO;
    header->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    // ipi_spec_dst is the source of the datagram sent; ipi_ifindex 0 lets the
    // routing table choose the interface (ip(7)).
    std::memcpy(&info.ipi_spec_dst, source.data(), 4);
    std::memcpy(CMSG_DATA(header), &info, sizeof info);
  } else {
    message.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = IPPROTO_IPV6;
    header->cmsg_type = IPV6_PKTINFO;
    header->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    std::memcpy(&info.ipi6_addr, source.data(), 16);
    std::memcpy(CMSG_DATA(header), &info, sizeof info);
  }
  return OkStatus();
}

Result<std::optional<ReceivedMessage>> ReceiveMessage(int fd, MutableByteSpan into, std::string_view what) {
  ReceivedMessage received;
  iovec vector{into.data(), into.size()};
  ControlBuffer control;
  msghdr message{};
  message.msg_name = &received.source;
  message.msg_namelen = sizeof received.source;
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.bytes;
  message.msg_controllen = sizeof control.bytes;
  // MSG_TRUNC: the return value is the real length (udp(7), raw(7)).
  const ssize_t length = recvmsg(fd, &message, MSG_TRUNC);
  if (length < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<ReceivedMessage>();
    return SystemError(what, errno);
  }
  received.length = static_cast<size_t>(length);
  received.truncated = (message.msg_flags & MSG_TRUNC) != 0;
  received.control = ReadControl(message);
  return std::optional<ReceivedMessage>(std::move(received));
}

ReceivedControl ReadControl(const msghdr& message) {
  ReceivedControl out;
  // CMSG_NXTHDR takes a non-const msghdr; it only reads it.
  auto& readable = const_cast<msghdr&>(message);
  for (cmsghdr* header = CMSG_FIRSTHDR(&readable); header != nullptr;
       header = CMSG_NXTHDR(&readable, header)) {
    const uint8_t* data = CMSG_DATA(header);
    const size_t length = header->cmsg_len - CMSG_LEN(0);
    if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_PKTINFO &&
        length >= sizeof(in_pktinfo)) {
      in_pktinfo info;
      std::memcpy(&info, data, sizeof info);
      const auto* bytes = reinterpret_cast<const uint8_t*>(&info.ipi_addr);
      out.destination.assign(bytes, bytes + 4);
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_PKTINFO &&
               length >= sizeof(in6_pktinfo)) {
      in6_pktinfo info;
      std::memcpy(&info, data, sizeof info);
      const auto* bytes = reinterpret_cast<const uint8_t*>(&info.ipi6_addr);
      out.destination.assign(bytes, bytes + 16);
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_HOPLIMIT &&
               length >= sizeof(int)) {
      int hop_limit;
      std::memcpy(&hop_limit, data, sizeof hop_limit);
      out.hop_limit = static_cast<uint8_t>(hop_limit);
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_FLOWINFO &&
               length >= sizeof(uint32_t)) {
      uint32_t flow;
      std::memcpy(&flow, data, sizeof flow);
      out.flow_information = ntohl(flow);
    }
  }
  return out;
}

}  // namespace ipsecref::io
