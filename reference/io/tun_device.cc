#include "reference/io/tun_device.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "reference/io/netlink.h"

namespace ipsecref::io {

Result<TunDevice> TunDevice::Open(std::string_view name) {
  const std::string shown = name.empty() ? "(a new TUN device)" : std::string(name);
  ENSURE(name.size() < IFNAMSIZ, kInvalidArgument, kNoOffset, "",
         fmt::format("TUN device name {} is longer than {} characters", shown, IFNAMSIZ - 1));
  FileDescriptor fd(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return SystemError(fmt::format("open /dev/net/tun for {}", shown), errno);
  ifreq request{};
  // IFF_NO_PI: packets without the 4-byte packet information prefix.
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(request.ifr_name, name.data(), name.size());
  if (ioctl(fd.get(), TUNSETIFF, &request) != 0)
    return SystemError(fmt::format("TUNSETIFF {}", shown), errno);
  return TunDevice(std::move(fd), std::string(request.ifr_name, strnlen(request.ifr_name, IFNAMSIZ)));
}

Result<std::optional<size_t>> TunDevice::Read(MutableByteSpan buffer) {
  for (;;) {
    const ssize_t length = read(fd_.get(), buffer.data(), buffer.size());
    if (length >= 0) return std::optional<size_t>(static_cast<size_t>(length));
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<size_t>();
    if (errno != EINTR) return SystemError(fmt::format("read from TUN device {}", name_), errno);
  }
}

Status TunDevice::Write(ByteSpan ip_packet) {
  for (;;) {
    const ssize_t written = write(fd_.get(), ip_packet.data(), ip_packet.size());
    if (written >= 0) {
      ENSURE(static_cast<size_t>(written) == ip_packet.size(), kIoError, kNoOffset, "",
             fmt::format("write {} bytes to TUN device {}: only {} taken", ip_packet.size(), name_, written));
      return OkStatus();
    }
    if (errno != EINTR)
      return SystemError(fmt::format("write {} bytes to TUN device {}", ip_packet.size(), name_), errno);
  }
}

Status TunDevice::SetMtu(uint32_t mtu) {
  TRY_ASSIGN(Rtnetlink netlink, Rtnetlink::Open());
  return netlink.SetMtu(name_, mtu);
}

}  // namespace ipsecref::io
