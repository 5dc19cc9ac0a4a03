#include "reference/io/netlink.h"

#include <fmt/format.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "reference/io/keys.h"
#include "reference/io/socket_address.h"

namespace ipsecref::io {

namespace {

// One rtnetlink request: the netlink header, the request's fixed header
// (ifinfomsg, ifaddrmsg, rtmsg) and its attributes, each 4-byte aligned
// (rtnetlink(7), netlink(7)).
class NetlinkRequest {
 public:
  NetlinkRequest(uint16_t type, uint16_t flags) : bytes_(NLMSG_HDRLEN, 0) {
    nlmsghdr header{};
    header.nlmsg_type = type;
    header.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    std::memcpy(bytes_.data(), &header, sizeof header);
  }
  template <typename FixedHeader>
  NetlinkRequest& Fixed(const FixedHeader& fixed) {
    return Append(&fixed, sizeof fixed);
  }
  NetlinkRequest& Attribute(uint16_t type, const void* data, size_t length) {
    rtattr attribute{};
    attribute.rta_len = static_cast<uint16_t>(RTA_LENGTH(length));
    attribute.rta_type = type;
    Append(&attribute, sizeof attribute);  // 4 bytes: already aligned
    return Append(data, length);
  }
  NetlinkRequest& Attribute(uint16_t type, ByteSpan data) {
    return Attribute(type, data.data(), data.size());
  }
  NetlinkRequest& Attribute(uint16_t type, uint32_t value) {
    return Attribute(type, &value, sizeof value);
  }
  NetlinkRequest& Name(uint16_t type, std::string_view name) {
    std::string terminated(name);
    return Attribute(type, terminated.c_str(), terminated.size() + 1);
  }
  // Fills the length in and hands the bytes over; the request is empty after.
  Bytes Finish() {
    const uint32_t length = static_cast<uint32_t>(bytes_.size());
    std::memcpy(bytes_.data() + offsetof(nlmsghdr, nlmsg_len), &length, sizeof length);
    return std::move(bytes_);
  }

 private:
  NetlinkRequest& Append(const void* data, size_t length) {
    const auto* p = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + length);
    bytes_.resize(NLMSG_ALIGN(bytes_.size()), 0);
    return *this;
  }
  Bytes bytes_;
};

Status CheckPrefix(ByteSpan address, uint8_t prefix, std::string_view operation) {
  ENSURE(AddressFamily(address) != AF_UNSPEC, kInvalidArgument, kNoOffset, "",
         fmt::format("{}: an IP address has 4 or 16 bytes, not {}", operation, address.size()));
  ENSURE(prefix <= address.size() * 8, kInvalidArgument, kNoOffset, "",
         fmt::format("{}: prefix /{} is longer than the address", operation, prefix));
  return OkStatus();
}

// Linux names devices in at most IFNAMSIZ - 1 characters.
Status CheckDeviceName(std::string_view device, std::string_view operation) {
  ENSURE(!device.empty() && device.size() < IFNAMSIZ, kInvalidArgument, kNoOffset, "",
         fmt::format("{}: a device name has 1 to {} characters, not {}", operation, IFNAMSIZ - 1,
                     device.size()));
  return OkStatus();
}

std::string RouteText(std::string_view verb, ByteSpan destination, uint8_t prefix,
                      std::string_view device, ByteSpan preferred_source) {
  std::string text = fmt::format("{} route {}/{} dev {}", verb, FormatAddress(destination), prefix, device);
  if (!preferred_source.empty()) text += fmt::format(" src {}", FormatAddress(preferred_source));
  return text;
}

// "add route ...: look up link tun9: No such device (ENODEV)".
Error InContext(std::string_view operation, Error error) {
  error.detail = fmt::format("{}: {}", operation, error.detail);
  return error;
}

// The kernel's own words from an extended acknowledgement (NLMSGERR_ATTR_MSG),
// if it sent any.
std::string ExtendedAckMessage(const nlmsghdr* header) {
  if ((header->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return {};
  // With NETLINK_CAP_ACK the error carries the request's header only.
  const size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nlmsgerr));
  if (header->nlmsg_len <= start) return {};
  const auto* base = reinterpret_cast<const uint8_t*>(header);
  size_t offset = start;
  while (offset + sizeof(nlattr) <= header->nlmsg_len) {
    nlattr attribute;
    std::memcpy(&attribute, base + offset, sizeof attribute);
    if (attribute.nla_len < sizeof attribute || offset + attribute.nla_len > header->nlmsg_len) break;
    if ((attribute.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = reinterpret_cast<const char*>(base + offset + NLA_HDRLEN);
      return std::string(text, strnlen(text, attribute.nla_len - NLA_HDRLEN));
    }
    offset += NLA_ALIGN(attribute.nla_len);
  }
  return {};
}

}  // namespace

Result<Rtnetlink> Rtnetlink::Open() {
  FileDescriptor fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return SystemError("socket NETLINK_ROUTE", errno);
  const timeval timeout{5, 0};
  if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0)
    return SystemError("setsockopt SO_RCVTIMEO on NETLINK_ROUTE", errno);
  // Extended acknowledgements carry the kernel's reason in words; without
  // the echoed request (NETLINK_CAP_ACK). Older kernels lack them: no error.
  const int on = 1;
  (void)setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  (void)setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  return Rtnetlink(std::move(fd));
}

Status Rtnetlink::Exchange(Bytes& request, std::string_view operation, Bytes* reply) {
  const uint32_t sequence = ++sequence_;
  std::memcpy(request.data() + offsetof(nlmsghdr, nlmsg_seq), &sequence, sizeof sequence);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_.get(), request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0)
    return SystemError(fmt::format("{}: send to rtnetlink", operation), errno);
  alignas(nlmsghdr) uint8_t buffer[32768];
  for (;;) {
    sockaddr_nl sender{};
    socklen_t sender_length = sizeof sender;
    const ssize_t length = recvfrom(fd_.get(), buffer, sizeof buffer, 0,
                                    reinterpret_cast<sockaddr*>(&sender), &sender_length);
    if (length < 0) {
      if (errno == EINTR) continue;
      return SystemError(fmt::format("{}: receive the kernel's answer", operation), errno);
    }
    if (sender.nl_pid != 0) continue;  // only the kernel (port 0) answers requests
    size_t remaining = static_cast<size_t>(length);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, remaining);
         header = NLMSG_NEXT(header, remaining)) {
      if (header->nlmsg_seq != sequence) continue;  // an answer to an earlier request
      if (header->nlmsg_type != NLMSG_ERROR) {
        if (reply != nullptr) {
          const auto* payload = static_cast<const uint8_t*>(NLMSG_DATA(header));
          reply->assign(payload, payload + (header->nlmsg_len - NLMSG_HDRLEN));
        }
        continue;
      }
      nlmsgerr error;
      if (header->nlmsg_len < NLMSG_LENGTH(sizeof error))
        return MakeError(Code::kIoError, kNoOffset, "",
                         fmt::format("{}: the kernel's acknowledgement is truncated", operation));
      std::memcpy(&error, NLMSG_DATA(header), sizeof error);
      if (error.error == 0) return OkStatus();  // the acknowledgement
      Error failure = SystemError(operation, -error.error);
      if (std::string said = ExtendedAckMessage(header); !said.empty())
        failure.detail += fmt::format(": the kernel says \"{}\"", said);
      return failure;
    }
  }
}

Result<int> Rtnetlink::LinkIndex(std::string_view device) {
  const std::string operation = fmt::format("look up link {}", device);
  TRY(CheckDeviceName(device, operation));
  ifinfomsg link{};
  link.ifi_family = AF_UNSPEC;
  Bytes request = NetlinkRequest(RTM_GETLINK, 0).Fixed(link).Name(IFLA_IFNAME, device).Finish();
  Bytes reply;
  TRY(Exchange(request, operation, &reply));
  ENSURE(reply.size() >= sizeof(ifinfomsg), kIoError, kNoOffset, "",
         fmt::format("look up link {}: the kernel answered without the link", device));
  std::memcpy(&link, reply.data(), sizeof link);
  return link.ifi_index;
}

Status Rtnetlink::SetLinkUp(std::string_view device) {
  const std::string operation = fmt::format("set link {} up", device);
  TRY(CheckDeviceName(device, operation));
  ifinfomsg link{};
  link.ifi_family = AF_UNSPEC;
  link.ifi_flags = IFF_UP;
  link.ifi_change = IFF_UP;
  Bytes request = NetlinkRequest(RTM_NEWLINK, 0).Fixed(link).Name(IFLA_IFNAME, device).Finish();
  return Exchange(request, operation);
}

Status Rtnetlink::SetMtu(std::string_view device, uint32_t mtu) {
  const std::string operation = fmt::format("set MTU {} on link {}", mtu, device);
  TRY(CheckDeviceName(device, operation));
  ifinfomsg link{};
  link.ifi_family = AF_UNSPEC;
  Bytes request = NetlinkRequest(RTM_NEWLINK, 0)
                      .Fixed(link)
                      .Name(IFLA_IFNAME, device)
                      .Attribute(IFLA_MTU, mtu)
                      .Finish();
  return Exchange(request, operation);
}

Status Rtnetlink::AddAddress(std::string_view device, ByteSpan address, uint8_t prefix) {
  const std::string operation =
      fmt::format("add address {}/{} to link {}", FormatAddress(address), prefix, device);
  TRY(CheckPrefix(address, prefix, operation));
  auto index = LinkIndex(device);
  if (!index) return InContext(operation, std::move(index).error());
  ifaddrmsg header{};
  header.ifa_family = static_cast<uint8_t>(AddressFamily(address));
  header.ifa_prefixlen = prefix;
  header.ifa_scope = RT_SCOPE_UNIVERSE;
  header.ifa_index = static_cast<uint32_t>(*index);
  NetlinkRequest request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  request.Fixed(header).Attribute(IFA_LOCAL, address).Attribute(IFA_ADDRESS, address);
  //= ipsecref#choice
  //# IPv6 addresses skip duplicate address detection: the gateway's tunnel
  //# addresses are its own, and must be usable as soon as they are added.
  if (header.ifa_family == AF_INET6) request.Attribute(IFA_FLAGS, uint32_t{IFA_F_NODAD});
  Bytes bytes = request.Finish();
  return Exchange(bytes, operation);
}

Status Rtnetlink::ChangeRoute(uint16_t type, ByteSpan destination, uint8_t prefix,
                              std::string_view device, ByteSpan preferred_source) {
  const bool add = type == RTM_NEWROUTE;
  const std::string operation =
      RouteText(add ? "add" : "delete", destination, prefix, device, preferred_source);
  TRY(CheckPrefix(destination, prefix, operation));
  const int family = AddressFamily(destination);
  ENSURE(preferred_source.empty() || AddressFamily(preferred_source) == family, kInvalidArgument,
         kNoOffset, "", fmt::format("{}: source and destination of different families", operation));
  auto index = LinkIndex(device);
  if (!index) return InContext(operation, std::move(index).error());
  rtmsg route{};
  route.rtm_family = static_cast<uint8_t>(family);
  route.rtm_dst_len = prefix;
  route.rtm_table = RT_TABLE_MAIN;
  route.rtm_type = RTN_UNICAST;
  // As iproute2: a new route directly on the link; a deletion matches any
  // protocol and scope.
  route.rtm_protocol = add ? RTPROT_STATIC : RTPROT_UNSPEC;
  route.rtm_scope = add ? (family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE) : RT_SCOPE_NOWHERE;
  NetlinkRequest request(type, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  request.Fixed(route).Attribute(RTA_DST, destination).Attribute(RTA_OIF, static_cast<uint32_t>(*index));
  if (!preferred_source.empty()) request.Attribute(RTA_PREFSRC, preferred_source);
  Bytes bytes = request.Finish();
  return Exchange(bytes, operation);
}

Status Rtnetlink::AddRoute(ByteSpan destination, uint8_t prefix, std::string_view device,
                           ByteSpan preferred_source) {
  return ChangeRoute(RTM_NEWROUTE, destination, prefix, device, preferred_source);
}

Status Rtnetlink::DeleteRoute(ByteSpan destination, uint8_t prefix, std::string_view device,
                              ByteSpan preferred_source) {
  return ChangeRoute(RTM_DELROUTE, destination, prefix, device, preferred_source);
}

}  // namespace ipsecref::io
