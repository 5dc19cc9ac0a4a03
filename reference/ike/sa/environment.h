// What the IKEv2 state machine is given instead of sockets, a clock and a
// random source of its own: the gateway hands it real ones, the exchange
// harness (reference/testing/) in-memory ones, so that two peers run a whole
// session deterministically.
#pragma once

#include <cstdint>
#include <string>

#include "reference/bytes/bytes.h"
#include "reference/crypto/primitives.h"

namespace ipsecref::ike::sa {

// Milliseconds since the Unix epoch on the injected clock (certificate
// validity is judged against it).
using Time = uint64_t;

// One end of a UDP flow: a 4-byte (IPv4) or 16-byte (IPv6) address and a port.
struct Endpoint {
  Bytes address;
  uint16_t port = 500;
  bool operator==(const Endpoint&) const = default;
  std::string ToString() const;  // "192.0.2.1[500]", "[2001:db8::1]:4500" style as strongSwan logs
};

//= rfc7296#section-2.23
//# IKE over UDP port 4500 starts each datagram with four zero octets, the
//# non-ESP marker, which tells it apart from ESP in UDP (RFC 3948).
inline constexpr uint16_t kIkePort = 500;
inline constexpr uint16_t kNatTraversalPort = 4500;
inline constexpr size_t kNonEspMarkerSize = 4;

// A UDP payload and where it goes; `data` is exactly the UDP payload, non-ESP
// marker included when the flow uses it.
struct Datagram {
  Endpoint source;
  Endpoint destination;
  Bytes data;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time Now() const = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual void Send(Datagram datagram) = 0;
};

struct Environment {
  Clock* clock = nullptr;
  Transport* transport = nullptr;
  crypto::Rng* rng = nullptr;
};

}  // namespace ipsecref::ike::sa
