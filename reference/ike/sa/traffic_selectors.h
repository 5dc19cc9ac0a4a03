// Traffic selectors of a CHILD SA (RFC 7296 §2.9): the configured lists in
// strongSwan's swanctl.conf syntax (`local_ts`, `remote_ts`), their
// resolution once the IKE SA's addresses are known, and narrowing — the
// responder's choice of a subset of what the initiator proposes, and the
// initiator's check that the answer is one.
//
// A traffic selector is a set of packets: the addresses from Starting to
// Ending Address (compared byte by byte, big-endian, as unsigned numbers),
// times the IP protocol (0: every protocol), times the ports from Start to
// End Port, where the OPAQUE form (Start Port 65535, End Port 0, RFC 4301
// §4.4.1) is a port of its own that only the OPAQUE and the ANY (0-65535)
// ranges hold. Only TS_IPV4_ADDR_RANGE and TS_IPV6_ADDR_RANGE selectors whose
// addresses have the family's size and whose ranges do not run backwards hold
// packets; every other selector is treated as the empty set: it contains
// nothing and intersects nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/ike/wire/payloads/ts.h"

namespace ipsecref::ike::sa {

//= rfc7296#section-3.13
//# Number of TSs is one octet: a TS payload carries at most 255 selectors.
//= ipsecref#choice
//# A configured list, its resolution and a narrowed set stop at the same
//# 255, so that whatever the reference builds fits the payload that carries it
//# (and a narrowing compares each candidate with at most 255 kept ones: 255
//# offered against 255 configured take about 0.2 s, not minutes).
inline constexpr size_t kMaxTrafficSelectors = 255;

// One entry of a `local_ts` / `remote_ts` list: a selector, or `dynamic`
// (the address the IKE SA uses on that side, or the virtual IP assigned to
// it), which only the caller knows once the SA is up. A dynamic entry keeps
// its protocol and ports in `selector`; its ts_type and addresses mean
// nothing until Resolve.
struct ConfiguredSelector {
  bool dynamic = false;
  TrafficSelector selector;
  bool operator==(const ConfiguredSelector&) const = default;
};

// Reads a comma-separated list in the syntax of swanctl.conf's local_ts /
// remote_ts (strongSwan docs, swanctl.conf; src/swanctl/swanctl.opt):
//
//   entry    = address [ "[" protoport "]" ]          spaces around entries and around "-" are ignored
//   address  = "dynamic" | IP | IP "/" prefix | IP "-" IP
//   protoport= [ protocol ] [ "/" port ]              protocol: "any", a name of netbase's
//                                                     /etc/protocols or 0-255
//   port     = "any" | "opaque" | a service name | N | N "-" N
//
// IP is an IPv4 or IPv6 address (inet_pton); a lone address is a /32 or
// /128; host bits below a prefix are cleared (as strongSwan does:
// 10.0.0.1/24 is 10.0.0.0-10.0.0.255). Numbers are decimal or 0x hex (the
// number formats of swanctl.conf). For ICMP (1) and IPv6-ICMP (58) a port
// below 256 is a message type, written to the high octet (code 0), and a
// port from 256 up is type * 256 + code, as swanctl.opt documents it:
// [icmp/8] is Start and End Port 0x0800.
//
// Errors (kInvalidArgument) carry the character offset in `text` of the
// offending part and name the entry (its number and text) and why: an empty
// list or entry, a bad address, a prefix longer than the family's address,
// a range whose start is above its end or whose ends are of different
// families, an unknown protocol or service, a bad port or port range, text
// after "]", a number with a leading zero (strongSwan reads it as octal), more
// than kMaxTrafficSelectors entries.
Result<std::vector<ConfiguredSelector>> ParseConfiguredSelectors(std::string_view text);

// The same for lists that name their addresses: `dynamic` is refused (the
// error says which entry) since nothing here can resolve it.
Result<std::vector<TrafficSelector>> ParseTrafficSelectors(std::string_view text);

// Resolves the dynamic entries of `list` with `address` (4 or 16 bytes, the
// IKE SA's address on the list's side, or its virtual IP): each becomes that
// single address, with its protocol and ports; the unspecified address
// (0.0.0.0 or ::) stands for every address of its family, as strongSwan
// resolves %any. Other entries stay as they are. A selector that another of
// the result contains is dropped (the first of equal ones stays); selectors
// that hold no packets (other TS types) come last, as they are.
// Errors: kInvalidArgument when `address` is neither 4 nor 16 bytes.
Result<std::vector<TrafficSelector>> Resolve(const std::vector<ConfiguredSelector>& list, ByteSpan address);

// Writes a selector in the syntax above: "10.0.0.0/24", "192.0.2.1/32",
// "10.0.0.1-10.0.0.9", "2001:db8::/32", with "[tcp/80]", "[udp]",
// "[any/500]", "[tcp/opaque]", "[icmp/8]" after it when it restricts the
// protocol or ports. For every selector ParseTrafficSelectors can return,
// ParseTrafficSelectors(FormatTrafficSelector(ts)) is {ts}. What the syntax
// cannot say is written in a form that it refuses: an ICMP or IPv6-ICMP
// port of type 0 with a code (1-255) as "icmp/0(5)", and any other TS type
// as DescribeTs does.
std::string FormatTrafficSelector(const TrafficSelector& ts);

// The list, entries separated by ", " (dynamic entries as "dynamic[...]");
// ParseConfiguredSelectors gives it back.
std::string FormatConfiguredSelectors(const std::vector<ConfiguredSelector>& list);

// Whether `ts` holds packets: an IPv4 or IPv6 range with addresses of the
// family's size, the start address not above the end, and ports either
// OPAQUE or not running backwards (RFC 7296 §3.13.1).
bool HoldsPackets(const TrafficSelector& ts);

// Whether every packet of `inner` is one of `outer` (false when either holds
// no packets).
bool Contains(const TrafficSelector& outer, const TrafficSelector& inner);

// The packets both selectors hold, as one selector; nullopt when there are
// none (different TS types, protocols or families, disjoint ranges).
// Contains(a, b) exactly when Intersection(a, b) == b.
std::optional<TrafficSelector> Intersection(const TrafficSelector& a, const TrafficSelector& b);

// Every non-empty intersection of a selector of `offered` with one of
// `ours`, in the order of `offered` (then of `ours`), without redundancy: an
// intersection that another contains is left out, and one that contains
// earlier ones takes the place of the first of them. Selectors that hold no
// packets, unknown TS types among them, are ignored (§2.9). As sets,
// Intersect(a, b) and Intersect(b, a) are equal; every result lies in a
// selector of each list. At most kMaxTrafficSelectors are returned: past
// that, a further intersection is left out (a narrowing may be any subset).
std::vector<TrafficSelector> Intersect(const std::vector<TrafficSelector>& ours,
                                       const std::vector<TrafficSelector>& offered);

struct Narrowed {
  std::vector<TrafficSelector> tsi, tsr;
  bool operator==(const Narrowed&) const = default;
};

//= rfc7296#section-2.9
//# The responder answers with the part of TSi and TSr its policy allows:
//# TSi (the initiator's side) narrowed against the responder's remote
//# selectors, TSr (the responder's side) against its local ones. When either
//# becomes empty, nothing is acceptable and the caller answers
//# TS_UNACCEPTABLE. A first selector that describes the packet that caused
//# the request is kept whenever the policy allows it (within a wider one
//# when that is allowed too), and changes nothing when it is absent.
// `local` and `remote` are the responder's resolved lists (Resolve).
std::optional<Narrowed> NarrowForResponder(const std::vector<TrafficSelector>& local,
                                           const std::vector<TrafficSelector>& remote, const TsPayload& tsi,
                                           const TsPayload& tsr);

//= rfc7296#section-2.9
//# The responder may only narrow: every selector it answers lies within one
//# the initiator offered, and it answers at least one.
// For the initiator: checks the TSi or TSr of a response against the one it
// sent. Errors (kInvalidSyntax, no offset) name the answered selector, its
// position and the requirement: an empty answer, a selector that holds no
// packets (an unknown TS type among them), one outside every offered one.
// (The check is per selector: an answer that spans two adjacent offered
// selectors is refused too.)
Status CheckNarrowed(const TsPayload& offered, const TsPayload& answered);

}  // namespace ipsecref::ike::sa
