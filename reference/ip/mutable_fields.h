// The IP header as the AH ICV sees it (RFC 4302 §3.3.3.1 and Appendix A):
// fields that routers may change are zeroed, fields whose value at the
// destination the sender can predict are set to that value, everything else
// is left as it is.
#pragma once

#include <cstdint>

#include "reference/bytes/bytes.h"

namespace ipsecref::ip {

// How AH treats one IPv4 option (RFC 4302 Appendix A.1).
enum class OptionMutability : uint8_t {
  kImmutable,  // included in the ICV as it is
  kMutable,    // zeroed whole: type, length and data
};

// Looks the full option type octet (copy flag, class, number) up in the
// table of RFC 4302 Appendix A.1; types the table does not list are mutable.
OptionMutability Ipv4OptionMutability(uint8_t option_type);

// Rewrites, in place, the IP header chain of `packet` (exactly one IPv4 or
// IPv6 packet: its span ends at its total length) into what the AH ICV is
// computed over:
//  - IPv4: TOS, flags, fragment offset, TTL and header checksum zeroed;
//    mutable options zeroed whole; with a loose or strict source route that
//    still has hops to go, the destination address set to the route's last
//    address (the final destination).
//  - IPv6: traffic class, flow label and hop limit zeroed; in Hop-by-Hop and
//    Destination Options headers the data of every option marked "may change
//    en route" zeroed; a Routing header of type 0 or 2 with segments left
//    rearranged into its state at the destination (destination address,
//    address list, segments left 0).
// The walk ends at the first header that is not an IPv6 extension header (so
// at AH); what follows is left alone. The AH ICV field is the caller's job.
// Errors: kTruncated, kBadVersion, kBadLength, kBadHeader for malformed
// headers or options; kUnsupported for a Routing header of another type
// with segments left (its state at the destination cannot be predicted).
[[nodiscard]] Status ClearMutableFields(MutableByteSpan packet);

// A copy of `packet` up to its stated total length (link-layer padding
// dropped), with ClearMutableFields applied.
[[nodiscard]] Result<Bytes> IcvView(ByteSpan packet);

}  // namespace ipsecref::ip
