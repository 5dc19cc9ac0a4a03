// Links, addresses and routes set through rtnetlink (NETLINK_ROUTE,
// rtnetlink(7)), the way iproute2's `ip` does, without running it. Each
// request asks for the kernel's acknowledgement and reports its errno.
//
// Routes go into the main table (RT_TABLE_MAIN), as `ip route add` puts
// them: the gateway routes each CHILD SA's remote traffic selectors into its
// TUN device. (strongSwan's kernel-libipsec uses table 220 with a policy
// rule in front of main; a private namespace needs no such separation.)
#pragma once

#include <cstdint>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/io/file_descriptor.h"

namespace ipsecref::io {

class Rtnetlink {
 public:
  // A NETLINK_ROUTE socket in the calling thread's network namespace. Its
  // requests block for the answer, at most 5 seconds. Errors: kIoError.
  static Result<Rtnetlink> Open();

  // Every function below: kIoError naming the operation and the device or
  // address, with the kernel's errno (ENODEV for an unknown device, EEXIST
  // for an address or route already there, ESRCH for a route not there,
  // EPERM without CAP_NET_ADMIN); kInvalidArgument for an address not of 4
  // or 16 bytes, a prefix longer than it, or a device name of more than 15
  // characters (IFNAMSIZ - 1).

  // The device's interface index.
  Result<int> LinkIndex(std::string_view device);
  // `ip link set DEVICE up`.
  Status SetLinkUp(std::string_view device);
  // `ip link set DEVICE mtu MTU`.
  Status SetMtu(std::string_view device, uint32_t mtu);
  // `ip address add ADDRESS/PREFIX dev DEVICE` (IPv6 addresses without
  // duplicate address detection, usable at once).
  Status AddAddress(std::string_view device, ByteSpan address, uint8_t prefix);
  // `ip route add DESTINATION/PREFIX dev DEVICE [src PREFERRED_SOURCE]`.
  Status AddRoute(ByteSpan destination, uint8_t prefix, std::string_view device,
                  ByteSpan preferred_source = {});
  // `ip route del DESTINATION/PREFIX dev DEVICE [src PREFERRED_SOURCE]`.
  Status DeleteRoute(ByteSpan destination, uint8_t prefix, std::string_view device,
                     ByteSpan preferred_source = {});

  int fd() const { return fd_.get(); }

 private:
  explicit Rtnetlink(FileDescriptor fd) : fd_(std::move(fd)) {}
  // Sends `request` (an nlmsghdr whose sequence number this fills in) and
  // reads until its acknowledgement; `reply`, when set, receives the
  // payload of an answer other than the acknowledgement.
  Status Exchange(Bytes& request, std::string_view operation, Bytes* reply = nullptr);
  Status ChangeRoute(uint16_t type, ByteSpan destination, uint8_t prefix, std::string_view device,
                     ByteSpan preferred_source);

  FileDescriptor fd_;
  uint32_t sequence_ = 0;
};

}  // namespace ipsecref::io
