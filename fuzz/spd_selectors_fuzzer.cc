// Fuzz target: the SPD's view of a packet (reference/spd/selector.h):
// ExtractSelectors on arbitrary bytes, then Matches, CheckInbound and
// Describe on what it read.
//
// Input layout: the whole input is one IPv4 or IPv6 packet, as the TUN
// device or a decrypted tunnel hands it over.
//
// Checked (a violation traps):
//  - an error is a parse error (kBadVersion, kTruncated, kBadHeader,
//    kBadLength) at an offset inside the input (at most its size);
//  - what it reads has addresses of 4 or 16 bytes, one family, both found
//    in the packet's header bytes; ports are known only for protocols that
//    have them;
//  - a selector of every address of the family, protocol ANY and ANY ports
//    holds the packet both ways, and CheckInbound accepts it; the same
//    selector of the other family holds it neither way and CheckInbound
//    refuses it with kPolicyMismatch;
//  - a selector of exactly the packet (its addresses, protocol and, when
//    known, ports) holds it outbound; with sides swapped, inbound;
//  - Describe writes non-empty text.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz/check.h"
#include "reference/spd/sad.h"
#include "reference/spd/selector.h"

namespace ipsecref::fuzz {
namespace {

bool Contains(ByteSpan haystack, ByteSpan needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

void Run(ByteSpan input) {
  auto p = spd::ExtractSelectors(input);
  if (!p) {
    const Code c = p.error().code;
    Check(c == Code::kBadVersion || c == Code::kTruncated || c == Code::kBadHeader || c == Code::kBadLength);
    Check(p.error().offset <= input.size());
    return;
  }
  const size_t family = p->src.size();
  Check((family == 4 || family == 16) && p->dst.size() == family);
  Check(Contains(input.first(std::min(input.size(), family == 4 ? size_t{20} : size_t{40})), p->src));
  Check(spd::Describe(*p).size() > 0);

  spd::Selector any;
  any.local = spd::AnyAddress(family);
  any.remote = spd::AnyAddress(family);
  Check(spd::Matches(any, *p, spd::Direction::kOutbound));
  Check(spd::Matches(any, *p, spd::Direction::kInbound));
  Check(spd::CheckInbound({any}, *p).ok());
  Check(!spd::Describe(any).empty());

  spd::Selector other = any;
  other.local = spd::AnyAddress(family == 4 ? 16 : 4);
  other.remote = spd::AnyAddress(family == 4 ? 16 : 4);
  Check(!spd::Matches(other, *p, spd::Direction::kOutbound));
  Check(!spd::Matches(other, *p, spd::Direction::kInbound));
  auto refused = spd::CheckInbound({other}, *p);
  Check(!refused.ok() && refused.error().code == Code::kPolicyMismatch);

  // Exactly this packet, outbound: its source is the local side.
  spd::Selector exact;
  exact.local = spd::HostRange(p->src);
  exact.remote = spd::HostRange(p->dst);
  exact.protocol = p->protocol;
  if (p->ports_known) {
    exact.local_ports = spd::PortRange::Single(p->src_port);
    if (p->dst_port != 0 || p->protocol == 6 || p->protocol == 17)
      exact.remote_ports = spd::PortRange::Single(p->dst_port);
  }
  if (!spd::Validate(exact).ok()) return;
  Check(spd::Matches(exact, *p, spd::Direction::kOutbound));
  std::swap(exact.local, exact.remote);
  std::swap(exact.local_ports, exact.remote_ports);
  Check(spd::Matches(exact, *p, spd::Direction::kInbound));
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipsecref::fuzz::Run(ipsecref::ByteSpan(data, size));
  return 0;
}
