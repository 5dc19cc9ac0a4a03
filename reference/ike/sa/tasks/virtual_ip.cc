// Virtual IPs for remote-access peers (RFC 7296 §2.19, §3.15): the
// initiator asks for an address on the remote network in a CFG_REQUEST of
// its IKE_AUTH request, the responder leases one from its pools and answers
// with a CFG_REPLY; the `dynamic` traffic selectors of that side then stand
// for the address (common.cc, LocalSelectors and RemoteSelectors).
//
//   HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, CP(CFG_REQUEST), SAi2, TSi, TSr}  -->
//            <--  HDR, SK {IDr, [CERT,] AUTH, CP(CFG_REPLY), SAr2, TSi, TSr}
#include <algorithm>

#include <fmt/format.h>

#include "reference/ike/sa/tasks/common.h"

namespace ipsecref::ike::sa {
namespace {

using A = iana::CfgAttribute;

bool Unspecified(ByteSpan address) {
  return std::all_of(address.begin(), address.end(), [](uint8_t b) { return b == 0; });
}

CpAttribute Attribute(A type, Bytes value = {}) { return {static_cast<uint16_t>(type), std::move(value)}; }

//= ipsecref#choice
//# An IPv6 virtual IP is sent with prefix length 64, as strongSwan sends it;
//# RFC 7296 §3.15.3 leaves the prefix to the responder.
constexpr uint8_t kIpv6VipPrefix = 64;

}  // namespace

std::optional<Payload> ConfigRequest(const IkeSa& sa) {
  const std::vector<Bytes>& vips = sa.config().vips;
  if (vips.empty()) return std::nullopt;
  CpPayload cp{iana::CfgType::kRequest, {}};
  bool v4 = false, v6 = false;
  for (const Bytes& vip : vips) {
    //= rfc7296#section-3.15.1
    //# In a CFG_REQUEST an address attribute is empty (any address) or
    //# names the address wanted; an IPv6 one carries a prefix length too.
    Bytes value;
    if (!Unspecified(vip)) {
      value = vip;
      if (vip.size() == 16) value.push_back(128);
    }
    cp.attributes.push_back(Attribute(vip.size() == 4 ? A::kInternalIp4Address : A::kInternalIp6Address,
                                      std::move(value)));
    (vip.size() == 4 ? v4 : v6) = true;
  }
  //= rfc7296#section-2.19
  //# The client also asks for the remote network's DNS servers.
  if (v4) cp.attributes.push_back(Attribute(A::kInternalIp4Dns));
  if (v6) cp.attributes.push_back(Attribute(A::kInternalIp6Dns));
  return PayloadOf(iana::PayloadType::kCp, std::move(cp));
}

void ReadConfigReply(IkeSa& sa, const Message& response) {
  if (sa.config().vips.empty()) return;
  const CpPayload* cp = FindBody<CpPayload>(response, iana::PayloadType::kCp);
  if (cp == nullptr || cp->cfg_type != iana::CfgType::kReply) {
    sa.Log("no virtual IP assigned: the response has no CFG_REPLY");
    return;
  }
  const auto asked = [&sa](size_t size) {
    return std::any_of(sa.config().vips.begin(), sa.config().vips.end(),
                       [size](const Bytes& v) { return v.size() == size; });
  };
  for (const CpAttribute& a : cp->attributes) {
    const auto type = static_cast<A>(a.attribute_type);
    //= rfc7296#section-3.15.1
    //# In a CFG_REPLY, INTERNAL_IP4_ADDRESS is the four-octet address,
    //# INTERNAL_IP6_ADDRESS the sixteen-octet address and its prefix length.
    if ((type == A::kInternalIp4Address && a.value.size() == 4) ||
        (type == A::kInternalIp6Address && a.value.size() == 17)) {
      Bytes address(a.value.begin(), a.value.begin() + (type == A::kInternalIp4Address ? 4 : 16));
      //= ipsecref#choice
      //# An address of a family this end did not ask for is not used.
      if (!asked(address.size())) {
        sa.Log(fmt::format("virtual IP {} ignored: not asked for", AddressText(address)));
        continue;
      }
      sa.Log(fmt::format("virtual IP {} assigned", AddressText(address)));
      sa.local_vips.push_back(std::move(address));
    } else if ((type == A::kInternalIp4Dns && a.value.size() == 4) ||
               (type == A::kInternalIp6Dns && a.value.size() == 16)) {
      sa.dns_servers.push_back(a.value);
    }
  }
}

Result<std::optional<Payload>> AnswerConfigRequest(IkeSa& sa, const Message& request, std::string identity) {
  const CpPayload* cp = FindBody<CpPayload>(request, iana::PayloadType::kCp);
  const std::vector<std::shared_ptr<AddressPool>>& pools = sa.config().pools;
  //= rfc7296#section-3.10.1
  //# FAILED_CP_REQUIRED answers a request without the CFG_REQUEST the
  //# responder's policy expected.
  //= ipsecref#choice
  //# A connection with pools expects one, as strongSwan's does: its peers
  //# are remote-access clients, whose traffic selectors are their virtual IPs.
  if (cp == nullptr || cp->cfg_type != iana::CfgType::kRequest) {
    ENSURE(pools.empty(), kFailedCpRequired, kNoOffset, "rfc7296#section-3.10.1",
           "the connection hands out virtual IPs and the request has no CFG_REQUEST");
    return std::optional<Payload>();
  }
  CpPayload reply{iana::CfgType::kReply, {}};
  bool asked_address = false;
  for (const CpAttribute& a : cp->attributes) {
    const auto type = static_cast<A>(a.attribute_type);
    if (type != A::kInternalIp4Address && type != A::kInternalIp6Address) continue;
    asked_address = true;
    const size_t size = type == A::kInternalIp4Address ? 4 : 16;
    const ByteSpan requested = ByteSpan(a.value).first(std::min(a.value.size(), size));
    for (const std::shared_ptr<AddressPool>& pool : pools) {
      if (pool->family_size() != size) continue;
      std::optional<Bytes> address = pool->Acquire(identity, requested.size() == size ? requested : ByteSpan());
      if (!address) continue;
      sa.Log(fmt::format("virtual IP {} from pool {} leased to {}", AddressText(*address), pool->name(),
                         identity));
      Bytes value = *address;
      if (size == 16) value.push_back(kIpv6VipPrefix);
      reply.attributes.push_back(Attribute(static_cast<A>(type), std::move(value)));
      sa.remote_vips.push_back({pool, *std::move(address)});
      break;
    }
  }
  sa.lease_identity = std::move(identity);
  //= rfc7296#section-3.15.4
  //# A responder that cannot assign an address asked for answers
  //# INTERNAL_ADDRESS_FAILURE; the IKE SA is set up all the same, without
  //# the first CHILD SA.
  ENSURE(!asked_address || !sa.remote_vips.empty(), kInternalAddressFailure, kNoOffset, "rfc7296#section-3.15.4",
         pools.empty() ? "the peer asks for a virtual IP and the connection has no pools"
                       : "the peer asks for a virtual IP and no pool of the connection has one free");
  //= rfc7296#section-3.15.1
  //# The responder may answer with attributes the request did not name:
  //# the DNS servers of the pools that gave the addresses go with them.
  for (const IkeSa::VipLease& lease : sa.remote_vips)
    for (const Bytes& dns : lease.pool->dns()) {
      const CpAttribute attribute = Attribute(dns.size() == 4 ? A::kInternalIp4Dns : A::kInternalIp6Dns, dns);
      if (std::find(reply.attributes.begin(), reply.attributes.end(), attribute) == reply.attributes.end())
        reply.attributes.push_back(attribute);
    }
  return std::optional<Payload>(PayloadOf(iana::PayloadType::kCp, std::move(reply)));
}

}  // namespace ipsecref::ike::sa
