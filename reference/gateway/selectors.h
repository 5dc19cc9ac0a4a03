// A CHILD SA's traffic selectors (RFC 7296 §2.9) as SPD selector sets
// (RFC 4301 §4.4.1.1): what its outbound policy protects and what its
// inbound packets must match after decryption (RFC 4301 §5.2).
#pragma once

#include <string>
#include <vector>

#include "reference/base/result.h"
#include "reference/ike/wire/payloads/ts.h"
#include "reference/spd/sad.h"
#include "reference/spd/spd.h"

namespace ipsecref::gateway {

// Every pair of a local and a remote selector that can hold a packet: one
// family, and one protocol (one side's ANY takes the other's).
std::vector<spd::Selector> SelectorsOf(const std::vector<ike::TrafficSelector>& local,
                                       const std::vector<ike::TrafficSelector>& remote);

// The PROTECT policy of a CHILD SA or manual tunnel, at the default
// (narrowest first) priority.
spd::Policy OutboundPolicy(std::string name, const std::vector<ike::TrafficSelector>& local,
                           const std::vector<ike::TrafficSelector>& remote, uint64_t sa_id);

// RFC 4301 §5.2: the decrypted `inner` packet against the selectors of the
// SA it came on. Errors: ExtractSelectors' for a packet that is not IP,
// kPolicyMismatch naming the packet and the selectors.
Status CheckInboundSelectors(const std::vector<spd::Selector>& selectors, ByteSpan inner);

}  // namespace ipsecref::gateway
