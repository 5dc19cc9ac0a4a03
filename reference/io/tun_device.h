// A TUN device (IFF_TUN | IFF_NO_PI, Documentation/networking/tuntap.rst):
// the gateway's inner side. The kernel routes the traffic a CHILD SA
// protects into it, and the gateway reads those IP packets here; what the
// gateway decrypts it writes here for the kernel to deliver or forward.
// The fd is non-blocking; the device lives as long as its owner.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/io/file_descriptor.h"

namespace ipsecref::io {

class TunDevice {
 public:
  // Opens /dev/net/tun and creates (or attaches to) the device `name`; ""
  // lets the kernel choose (tun0, tun1, ...). The device starts down, with
  // no address (see Rtnetlink). Errors: kIoError naming the device
  // (CAP_NET_ADMIN is needed).
  static Result<TunDevice> Open(std::string_view name);

  // One IP packet into `buffer`; std::nullopt when none is waiting. Give
  // a buffer of at least the MTU: the kernel cuts a longer packet to the
  // buffer's size and says nothing (a read that fills the buffer exactly
  // may be cut). Errors: kIoError naming the device.
  Result<std::optional<size_t>> Read(MutableByteSpan buffer);
  // Hands one IP packet (IPv4 or IPv6, by its version field) to the kernel.
  // Errors: kIoError naming the device (EAGAIN too: the kernel's queue is full).
  Status Write(ByteSpan ip_packet);
  // Sets the device's MTU (through rtnetlink). Errors: kIoError.
  Status SetMtu(uint32_t mtu);

  const std::string& name() const { return name_; }
  int fd() const { return fd_.get(); }

 private:
  TunDevice(FileDescriptor fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}

  FileDescriptor fd_;
  std::string name_;
};

}  // namespace ipsecref::io
