// Multi-SPU anchoring: which services processing unit (SPU) owns each IKE
// gateway and IPsec tunnel, following the behaviour of multi-SPU firewalls
// (DESIGN.md, "Multi-SPU anchoring"). This is the policy and its state only;
// dataplane.h runs packets on the SPUs it picks.
//
// The rules, each with an id that errors and the checker name:
//   spu.least-loaded   a site-to-site IKE gateway or a manual (static-key)
//                      tunnel goes to an SPU with the lowest load, load being
//                      the number of gateways and manual tunnels anchored
//                      there; the reference takes the lowest such index, a
//                      checked device may take any of them.
//   spu.round-robin    dynamic (dial-up, remote-access) peers take the SPUs
//                      in turn, whatever their load.
//   spu.follow-ike-sa  every IPsec tunnel (CHILD SA) negotiated over an IKE
//                      SA lives on that IKE SA's SPU: new, added and rekeyed.
//   spu.never-moved    adding or removing anything never moves what exists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"

namespace ipsecref::spu {

using SpuIndex = uint32_t;

// The most SPUs a model or a dataplane takes (a sanity bound for input).
inline constexpr size_t kMaxSpus = 1024;

enum class Kind : uint8_t {
  kGateway,  // site-to-site IKE gateway: least loaded, counts as load
  kDynamic,  // dynamic (dial-up) IKE peer: round-robin, no load
  kManual,   // manual tunnel, keys configured, no IKE: least loaded, counts as load
  kTunnel,   // IPsec tunnel (CHILD SA) over a gateway or dynamic peer: its SPU
};
std::string_view KindName(Kind kind);  // "gateway", "dynamic", "manual", "tunnel"
std::optional<Kind> KindFromName(std::string_view name);
// Whether `kind` is an IKE SA (tunnels can be negotiated over it).
bool IsIke(Kind kind);
// Whether `kind` counts in an SPU's load.
bool CountsAsLoad(Kind kind);

enum class Rule : uint8_t { kLeastLoaded, kRoundRobin, kFollowIkeSa, kNeverMoved };
std::string_view RuleId(Rule rule);    // "spu.least-loaded", ...
std::string_view RuleText(Rule rule);  // the rule in a sentence

struct Anchor {
  std::string name;
  Kind kind = Kind::kGateway;
  SpuIndex spu = 0;
  std::string ike;       // kTunnel: the gateway or dynamic peer it was negotiated over
  uint64_t arrival = 0;  // order of arrival (a rekeyed tunnel takes its predecessor's)
};

// One SPU's row of the tunnel map, in order of arrival.
struct SpuRow {
  SpuIndex spu = 0;
  std::vector<const Anchor*> ike;      // gateways and dynamic peers
  std::vector<const Anchor*> tunnels;  // IPsec tunnels and manual tunnels
  size_t load = 0;                     // gateways + manual tunnels
};
using TunnelMap = std::vector<SpuRow>;

class Anchoring {
 public:
  // `spus` from 1 to kMaxSpus (kInvalidArgument otherwise, from Create).
  static Result<Anchoring> Create(size_t spus);

  size_t spus() const { return loads_.size(); }

  // Places a new gateway, dynamic peer or manual tunnel (`ike` empty), or a
  // tunnel over the IKE SA named `ike`. Names are unique among what exists.
  // With `at`, the placement is the one a checked device reported: it is
  // taken if the rules allow it, refused with the rule it breaks otherwise.
  // Errors: kInvalidArgument (name in use or malformed, unknown or wrong IKE
  // SA, SPU out of range), kBadPlacement (`at` breaks a rule).
  Result<SpuIndex> Add(Kind kind, std::string_view name, std::string_view ike = {},
                       std::optional<SpuIndex> at = std::nullopt);
  // Rekeying (RFC 7296 §1.3.3 for a tunnel, §1.3.2 for an IKE SA): `new_name`
  // replaces `old_name` on the same SPU; an IKE SA's tunnels move over to the
  // new one. Manual tunnels have no rekeying.
  Result<SpuIndex> Rekey(std::string_view old_name, std::string_view new_name,
                         std::optional<SpuIndex> at = std::nullopt);
  //= rfc7296#section-1.4.1
  //# Closing an IKE SA closes every Child SA negotiated over it.
  // Removes `name`, and with an IKE SA its tunnels; returns what was removed.
  Result<std::vector<std::string>> Remove(std::string_view name);

  const Anchor* Find(std::string_view name) const;
  size_t Load(SpuIndex spu) const { return loads_.at(spu); }
  // The SPUs the next gateway or manual tunnel may go to (spu.least-loaded).
  std::vector<SpuIndex> LeastLoaded() const;
  // The SPU the next dynamic peer goes to. A checked device (`at`) may start
  // its turns anywhere: its first dynamic peer is not held to this.
  SpuIndex NextRoundRobin() const { return next_round_robin_; }
  // Everything anchored, in order of arrival.
  std::vector<const Anchor*> Anchors() const;
  TunnelMap Map() const;

 private:
  explicit Anchoring(size_t spus);
  Status CheckNewName(std::string_view name) const;
  Status CheckSpu(std::optional<SpuIndex> at) const;  // a reported SPU exists
  // The SPU `kind` goes to, or the rule `at` breaks.
  Result<SpuIndex> Place(Kind kind, std::string_view name, const Anchor* ike,
                         std::optional<SpuIndex> at) const;
  void AddLoad(SpuIndex spu, int change);  // keeps by_load_ in step
  void Insert(Anchor anchor);
  void Erase(std::string_view name);

  // Every event is O(log n) in the SPUs and anchors (besides the tunnels an
  // IKE SA carries when it is rekeyed or removed): the least loaded SPU is
  // the first of `by_load_`, an IKE SA's tunnels are indexed by its name.
  std::vector<size_t> loads_;
  std::set<std::pair<size_t, SpuIndex>> by_load_;  // (load, SPU) of every SPU
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> tunnels_;  // of each IKE SA
  SpuIndex next_round_robin_ = 0;
  bool round_robin_started_ = false;  // a dynamic peer has been placed
  uint64_t arrivals_ = 0;
  std::map<std::string, Anchor, std::less<>> anchors_;
};

}  // namespace ipsecref::spu
