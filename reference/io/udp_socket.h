// A non-blocking UDP socket for IKE (ports 500 and 4500) and ESP in UDP
// (RFC 3948), IPv4 or IPv6, that reports every datagram's local address
// (even on a wildcard bind) and can send from a chosen local address: a
// gateway with several addresses answers from the one it was asked on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/io/file_descriptor.h"

namespace ipsecref::io {

struct UdpReceived {
  Bytes source_address;  // 4 or 16 bytes
  uint16_t source_port = 0;
  Bytes destination_address;  // the local address the datagram was sent to
  uint16_t destination_port = 0;
  size_t size = 0;         // bytes written to the buffer
  bool truncated = false;  // the datagram was longer than the buffer; the rest is lost
};

struct UdpSocketOptions {
  // SO_RCVBUF in bytes (the kernel doubles it for its bookkeeping); 0 keeps
  // the default. As root the limit net.core.rmem_max does not apply.
  int receive_buffer = 0;
};

class UdpSocket {
 public:
  // Binds to `address` (4 or 16 bytes; all zeros: every address of that
  // family) and `port` (0: one the kernel chooses, see local_port()), with
  // SO_REUSEADDR; IPv6 sockets are IPV6_V6ONLY, so an IPv4 socket can share
  // the port. Errors: kInvalidArgument for an address of another size,
  // kIoError naming the operation and the address[port].
  static Result<UdpSocket> Bind(ByteSpan address, uint16_t port,
                                const UdpSocketOptions& options = {});

  // One datagram into `buffer`; std::nullopt when none is waiting. Errors:
  // kIoError naming the port.
  Result<std::optional<UdpReceived>> Receive(MutableByteSpan buffer);

  // Sends `data` to dst_address[dst_port]; with `src_address` set, from that
  // local address (IP_PKTINFO / IPV6_PKTINFO). Errors: kInvalidArgument for
  // addresses not of the socket's family, kIoError naming the destination
  // (EAGAIN included: the gateway drops rather than waits).
  Status SendTo(ByteSpan data, ByteSpan dst_address, uint16_t dst_port, ByteSpan src_address = {});

  int fd() const { return fd_.get(); }
  int family() const { return family_; }
  uint16_t local_port() const { return local_port_; }

 private:
  UdpSocket(FileDescriptor fd, int family, uint16_t local_port)
      : fd_(std::move(fd)), family_(family), local_port_(local_port) {}

  FileDescriptor fd_;
  int family_;
  uint16_t local_port_;
};

}  // namespace ipsecref::io
