// The inbound side of the Security Association Database (RFC 4301 §4.4.2):
// an inbound SA found by its IPsec protocol and SPI, with the selectors its
// CHILD SA negotiated, and the check of §5.2 that a decrypted packet is one
// the SA may carry.
//
// Not thread-safe: a plain class. The gateway reads it from several SPU
// threads and writes it rarely; it holds its own lock around both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "reference/base/result.h"
#include "reference/iana/iana.h"
#include "reference/spd/selector.h"

namespace ipsecref::spd {

struct InboundSa {
  uint64_t sa_id = 0;               // the gateway's handle of the SA
  std::string policy;               // the name of the SPD policy it serves
  std::vector<Selector> selectors;  // what the CHILD SA negotiated (local = this side)
};

class Sad {
 public:
  //= rfc4301#section-4.4.2
  //# For unicast SAs the SPI, alone or with the IPsec protocol, finds the
  //# inbound SA.
  // Adds the inbound SA of `protocol` (ESP or AH) and `spi`. Errors:
  //  - kInvalidArgument: `protocol` is neither ESP nor AH, or an SA of that
  //    protocol and SPI is already present (the error names both);
  //  - kBadSpi: an SPI of 0-255, which RFC 4303 §2.1 / RFC 4302 §2.4 reserve.
  Status Add(iana::IpProtocol protocol, uint32_t spi, InboundSa sa);

  // Removes it. Errors: kNoSa when there is none.
  Status Remove(iana::IpProtocol protocol, uint32_t spi);

  // The inbound SA of `protocol` and `spi`, or nullptr (RFC 4301 §5.2 step
  // 3a: the caller discards the packet, an auditable event). The pointer
  // stays valid until that SA is removed.
  const InboundSa* Find(iana::IpProtocol protocol, uint32_t spi) const;

  size_t size() const { return sas_.size(); }

 private:
  static uint64_t Key(iana::IpProtocol protocol, uint32_t spi) {
    return uint64_t{static_cast<uint8_t>(protocol)} << 32 | spi;
  }
  std::unordered_map<uint64_t, InboundSa> sas_;
};

//= rfc4301#section-5.2
//# After AH or ESP processing, the packet must match the inbound selectors
//# of the SA it came on; one that does not is discarded, an auditable event
//# whose entry names the packet's selector values and the SA's.
// Checks the decrypted `inner` packet against the selectors of the SA it
// arrived on (local = this side, so the packet's destination is local).
// Errors: kPolicyMismatch (auditable), naming the packet's addresses,
// protocol and ports and the SA's selectors.
Status CheckInbound(const std::vector<Selector>& sa_selectors, const PacketSelectors& inner);

}  // namespace ipsecref::spd
