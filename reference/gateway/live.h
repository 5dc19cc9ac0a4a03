// The gateway on real I/O: UDP sockets on the IKE and NAT-T ports (IPv4 and
// IPv6), raw sockets for ESP (IP protocol 50), a TUN device for the inner
// traffic with routes to it for the connections' remote traffic selectors,
// and the control socket. One thread polls them all and hands packets to
// the gateway, whose SPUs do the work.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "reference/base/result.h"
#include "reference/gateway/config.h"
#include "reference/gateway/gateway.h"

namespace ipsecref::gateway {

struct LiveOptions {
  // The IKE port (the NAT-T port is 4500: RFC 3948 fixes it, and the state
  // machine moves there).
  uint16_t ike_port = ike::sa::kIkePort;
  bool ipv6 = true;     // also bind the IPv6 sockets
  bool raw_esp = true;  // raw ESP sockets (ESP not in UDP)
  std::string tun_name = "ipsecref0";
  uint32_t tun_mtu = 1400;
  // Route the children's remote traffic selectors to the TUN device.
  bool routes = true;
  std::string control_path;  // the control socket; empty: none
};

// Runs until `stop` is set (checked at least every 200 ms). Errors:
// kIoError for a socket, device or route that cannot be set up (the
// message names it and says why).
Status RunLive(GatewayConfig config, Options options, const LiveOptions& live, const std::atomic<bool>& stop);

}  // namespace ipsecref::gateway
