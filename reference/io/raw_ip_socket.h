// A non-blocking raw IP socket for one IP protocol, ESP (50) or AH (51),
// carried straight over IP (not in UDP). The kernel here has no ESP or AH of
// its own: it hands every packet of the protocol to this socket and sends
// what this socket gives it, building the IP header itself.
//
// Receive always yields a whole IP packet, header first. For IPv4 that is
// what the kernel delivers (raw(7)). For IPv6 the kernel delivers only the
// payload (raw(7): "IPv6 raw sockets never return the IPv6 header"), so the
// 40-byte header (RFC 8200 §3) is rebuilt from the ancillary data: source
// from the socket address, destination from IPV6_PKTINFO, Hop Limit from
// IPV6_HOPLIMIT, Traffic Class and Flow Label from IPV6_FLOWINFO. Any
// extension headers that preceded ESP/AH on the wire are not in it: the
// rebuilt header's Next Header is the socket's protocol.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/io/file_descriptor.h"

namespace ipsecref::io {

struct RawIpReceived {
  size_t size = 0;         // bytes of the IP packet written to the buffer
  bool truncated = false;  // the packet was longer than the buffer; the rest is lost
};

class RawIpSocket {
 public:
  // `family` AF_INET or AF_INET6; `protocol` the IP protocol number.
  // Errors: kInvalidArgument for another family, kIoError (raw sockets need
  // CAP_NET_RAW).
  static Result<RawIpSocket> Open(int family, uint8_t protocol);

  // One IP packet into `buffer` (at least 40 bytes for IPv6); std::nullopt
  // when none is waiting. A truncated packet's header still states its
  // full length. Errors: kInvalidArgument for a buffer too small for the
  // rebuilt IPv6 header, kIoError.
  Result<std::optional<RawIpReceived>> Receive(MutableByteSpan buffer);

  // Sends `ip_payload` (the ESP or AH header and what follows) to `dst`
  // in an IP header the kernel builds; with `src` set, from that local
  // address. Errors: kInvalidArgument for addresses not of the socket's
  // family, kIoError naming the destination.
  Status Send(ByteSpan ip_payload, ByteSpan dst, ByteSpan src = {});

  int fd() const { return fd_.get(); }
  int family() const { return family_; }
  uint8_t protocol() const { return protocol_; }

 private:
  RawIpSocket(FileDescriptor fd, int family, uint8_t protocol)
      : fd_(std::move(fd)), family_(family), protocol_(protocol) {}

  FileDescriptor fd_;
  int family_;
  uint8_t protocol_;
};

}  // namespace ipsecref::io
