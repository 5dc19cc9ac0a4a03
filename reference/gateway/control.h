// The gateway's control protocol, spoken over its unix socket by
// `ipsecref ctl` and `ipsecref tunnel-map --gateway`: one JSON object per
// line each way.
//
//   {"command": "list"}                                   IKE and CHILD SAs
//   {"command": "initiate", "connection": C, "child": X}  X optional
//   {"command": "terminate", "name": N}                   IKE-n, IPsec-n or a connection
//   {"command": "rekey", "name": N}                       IKE-n or IPsec-n
//   {"command": "liveness", "name": N}                    IKE-n
//   {"command": "stats"}                                  counters
//   {"command": "map"}                                    the tunnel map
//
// Every answer has "ok" (true or false); a refusal has "error" with the
// reason; the rest depends on the command.
#pragma once

#include <string>
#include <string_view>

#include "reference/gateway/gateway.h"

namespace ipsecref::gateway {

// Bound on one request line.
inline constexpr size_t kMaxControlRequest = 64 * 1024;

// The tunnel map as the "map" answer carries it: a JSON array of
// {"spu", "ike": [{"name", "kind"}], "tunnels": [{"name", "kind", "ike"}], "load"}.
std::string TunnelMapJson(const spu::TunnelMap& map);

// Answers one request line (without its newline); never throws, whatever
// the line holds.
std::string HandleControl(Gateway& gateway, std::string_view request);

}  // namespace ipsecref::gateway
