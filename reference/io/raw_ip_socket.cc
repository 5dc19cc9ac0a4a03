#include "reference/io/raw_ip_socket.h"

#include <fmt/format.h>
#include <netinet/in.h>
// After <netinet/in.h>: IPV6_FLOWINFO, which glibc does not declare.
#include <linux/in6.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "reference/io/keys.h"
#include "reference/io/socket_address.h"

namespace ipsecref::io {

namespace {

constexpr size_t kIpv6HeaderLength = 40;

std::string Describe(int family, uint8_t protocol) {
  return fmt::format("raw IPv{} protocol {}", family == AF_INET ? 4 : 6, protocol);
}

//= rfc8200#section-3
//# The IPv6 header: Version 6, Traffic Class, Flow Label, Payload Length,
//# Next Header, Hop Limit, Source Address, Destination Address.
void WriteIpv6Header(uint8_t* out, uint32_t flow_information, size_t payload_length,
                     uint8_t next_header, uint8_t hop_limit, ByteSpan source, ByteSpan destination) {
  StoreU32(out, uint32_t{6} << 28 | (flow_information & 0x0fffffff));
  StoreU16(out + 4, static_cast<uint16_t>(std::min<size_t>(payload_length, 0xffff)));
  out[6] = next_header;
  out[7] = hop_limit;
  std::memset(out + 8, 0, 32);
  if (source.size() == 16) std::memcpy(out + 8, source.data(), 16);
  if (destination.size() == 16) std::memcpy(out + 24, destination.data(), 16);
}

}  // namespace

Result<RawIpSocket> RawIpSocket::Open(int family, uint8_t protocol) {
  const std::string what = Describe(family, protocol);
  ENSURE(family == AF_INET || family == AF_INET6, kInvalidArgument, kNoOffset, "",
         fmt::format("raw IP socket of address family {}: only AF_INET and AF_INET6", family));
  FileDescriptor fd(socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  if (!fd.valid()) return SystemError(fmt::format("socket {}", what), errno);
  if (family == AF_INET6) {
    const int on = 1;
    for (const auto& [name, text] : {std::pair{IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO"},
                                     std::pair{IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT"},
                                     std::pair{IPV6_FLOWINFO, "IPV6_FLOWINFO"}}) {
      if (setsockopt(fd.get(), IPPROTO_IPV6, name, &on, sizeof on) != 0)
        return SystemError(fmt::format("setsockopt {} on {}", text, what), errno);
    }
  }
  return RawIpSocket(std::move(fd), family, protocol);
}

Result<std::optional<RawIpReceived>> RawIpSocket::Receive(MutableByteSpan buffer) {
  const size_t header = family_ == AF_INET6 ? kIpv6HeaderLength : 0;
  ENSURE(buffer.size() >= header, kInvalidArgument, kNoOffset, "",
         fmt::format("receive on {}: a buffer of {} bytes cannot hold the IPv6 header",
                     Describe(family_, protocol_), buffer.size()));
  TRY_ASSIGN(std::optional<ReceivedMessage> m,
             ReceiveMessage(fd_.get(), buffer.subspan(header), fmt::format("receive on {}", Describe(family_, protocol_))));
  if (!m) return std::optional<RawIpReceived>();
  RawIpReceived received;
  received.size = header + std::min(m->length, buffer.size() - header);
  received.truncated = m->truncated;
  if (family_ == AF_INET6) {
    Bytes source_address;
    uint16_t unused_port = 0;
    ReadSocketAddress(m->source, source_address, unused_port);
    const ReceivedControl& fields = m->control;
    WriteIpv6Header(buffer.data(), fields.flow_information, m->length, protocol_, fields.hop_limit.value_or(0),
                    source_address, fields.destination);
  }
  return std::optional<RawIpReceived>(received);
}

Status RawIpSocket::Send(ByteSpan ip_payload, ByteSpan dst, ByteSpan src) {
  const std::string what = Describe(family_, protocol_);
  ENSURE(AddressFamily(dst) == family_, kInvalidArgument, kNoOffset, "",
         fmt::format("send to {} on a {} socket", FormatAddress(dst), what));
  // Port 0: raw sockets take the protocol from the socket (raw(7)).
  TRY_ASSIGN(const SocketAddress remote, MakeSocketAddress(dst, 0));
  iovec vector{const_cast<uint8_t*>(ip_payload.data()), ip_payload.size()};
  msghdr message{};
  message.msg_name = const_cast<sockaddr*>(remote.get());
  message.msg_namelen = remote.length;
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  ControlBuffer control;
  if (!src.empty()) TRY(SetSourcePacketInfo(message, control, family_, src));
  if (sendmsg(fd_.get(), &message, 0) < 0) {
    return SystemError(fmt::format("send {} bytes on {} from {} to {}", ip_payload.size(), what,
                                   FormatAddress(src), FormatAddress(dst)),
                       errno);
  }
  return OkStatus();
}

}  // namespace ipsecref::io
