// The gateway's configuration as data: the connections it knows (each an
// IKEv2 configuration with the addresses it applies to and what to do when
// the gateway starts or a peer dies), the manual (static-key) tunnels it
// carries without IKE, and the secrets. swanctl_conf.h reads it from the
// subset of strongSwan's swanctl.conf syntax the gateway understands; tests
// build it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/ike/sa/config.h"
#include "reference/ike/sa/traffic_selectors.h"

namespace ipsecref::gateway {

// swanctl.conf's start_action: what the gateway does with a CHILD SA
// configuration when it starts.
enum class StartAction : uint8_t {
  kNone,   // wait for the peer (or `ipsecref ctl initiate`)
  kStart,  // initiate the connection at once
  kTrap,   // initiate when traffic for it arrives on the TUN device
};

// swanctl.conf's dpd_action: what the gateway does when liveness checks
// find the peer dead (RFC 7296 §2.4).
enum class DpdAction : uint8_t {
  kClear,    // forget the IKE SA and its CHILD SAs
  kTrap,     // forget them, and initiate again on traffic
  kRestart,  // initiate again at once
};

struct ChildSettings {
  // The IKE layer's view: name, ESP proposals, mode, rekey_time. Its
  // local_ts/remote_ts are filled per IKE SA from `local_ts`/`remote_ts`
  // once the IKE SA's addresses are known (`dynamic` resolves to them).
  ike::sa::ChildConfig child;
  std::vector<ike::sa::ConfiguredSelector> local_ts;
  std::vector<ike::sa::ConfiguredSelector> remote_ts;
  StartAction start_action = StartAction::kNone;
  DpdAction dpd_action = DpdAction::kClear;
};

// An address list entry of local_addrs/remote_addrs: an address (4 or 16
// bytes) or, empty, %any.
struct AddressEntry {
  Bytes address;  // empty: %any (any address of either family)
  bool any() const { return address.empty(); }
};

// The first address of `list`, or 0.0.0.0 when it is %any or empty (the
// unspecified address, which traffic selectors resolve to "every address
// of the family" and sockets to "the kernel's choice").
Bytes FirstAddress(const std::vector<AddressEntry>& list);

struct Connection {
  std::string name;
  // The IKE layer's view: IDs, authentication, IKE proposals, timers. Its
  // `children` are built per IKE SA from `children` below.
  ike::sa::IkeConfig ike;
  std::vector<AddressEntry> local_addrs;   // empty list: %any
  std::vector<AddressEntry> remote_addrs;  // empty list: %any
  uint16_t local_port = 500;
  uint16_t remote_port = 500;
  //= rfc7296#section-2.23
  //# UDP encapsulation of ESP can be forced: the NAT_DETECTION_SOURCE_IP
  //# hash is then made not to match, so both ends behave as behind a NAT.
  bool encap = false;
  std::vector<ChildSettings> children;
  // swanctl.conf's dpd_delay: liveness checks after this idle time (ms, 0: none).
  ike::sa::Time dpd_delay = 0;
  // Whether the remote end is one fixed gateway (a site-to-site peer,
  // anchored least-loaded) or any address (a dynamic peer, round-robin):
  // remote_addrs names at least one address and no %any.
  bool site_to_site() const;
};

// A manual tunnel (RFC 4301 §4.5: keys configured, no IKE): one ESP SA per
// direction between two gateway addresses, protecting the traffic
// selectors. The swanctl.conf subset names it in an ipsecref section of its
// own (`manual { NAME { ... } }`): strongSwan has none.
struct ManualTunnel {
  std::string name;
  Bytes local_addr, remote_addr;  // 4 or 16 bytes, one family
  std::vector<ike::TrafficSelector> local_ts, remote_ts;
  uint32_t spi_in = 0, spi_out = 0;
  iana::Encr encr = iana::Encr::kAesGcm16;
  uint16_t encr_key_bits = 128;  // 0 for ciphers of one key size
  iana::Integ integ = iana::Integ::kNone;
  // Keying material per direction, salt included at its end (RFC 4106 §8.1).
  SecureBytes encr_key_in, encr_key_out, integ_key_in, integ_key_out;
  bool udp_encapsulation = false;  // ESP in UDP on port 4500 (RFC 3948)
  bool esn = false;                // 64-bit sequence numbers (RFC 4303 §2.2.1)
};

struct GatewayConfig {
  std::vector<Connection> connections;
  std::vector<ManualTunnel> manual;
  // The virtual IP pools (swanctl.conf's `pools`); connections share them
  // through their IkeConfig.
  std::vector<std::shared_ptr<ike::sa::AddressPool>> pools;
};

}  // namespace ipsecref::gateway
