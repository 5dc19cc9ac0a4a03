// The Security Policy Database of RFC 4301 §4.4.1: an ordered list of
// policies, each a name, selector sets and what to do with the packets they
// hold (PROTECT, BYPASS, DISCARD); the first policy that holds a packet
// decides.
//
// Not thread-safe: a plain class. The gateway reads it from several SPU
// threads and writes it rarely; it holds its own lock around both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/spd/selector.h"

namespace ipsecref::spd {

//= rfc4301#section-4.4.1
//# Every packet that crosses the boundary is DISCARDed, BYPASSes IPsec or
//# is PROTECTed.
enum class Action : uint8_t { kProtect, kBypass, kDiscard };
std::string_view ActionName(Action action);  // "protect", "bypass", "discard"

// Priority 0 asks for the default of DefaultPriority.
inline constexpr uint32_t kDefaultPriority = 0;

struct Policy {
  std::string name;                 // unique in its Spd
  std::vector<Selector> selectors;  // the policy holds a packet when one of them does
  Action action = Action::kDiscard;
  uint32_t priority = kDefaultPriority;  // lower first; 0: DefaultPriority
  uint64_t sa_id = 0;                    // the gateway's handle of the outbound SA; 0: none
  //= ipsecref#choice
  //# A policy installed for a negotiated SA may go before the policies of
  //# its priority already there (newest first), as Linux's XFRM and
  //# strongSwan let the newest SA of the same selectors carry the traffic:
  //# a peer that comes back without deleting its old SAs (a restart, a lost
  //# DELETE) gets its traffic on the SA it has keys for. Such a policy also
  //# goes before a configured one of the same priority; configured policies
  //# among themselves keep the order they came in.
  bool newest_first = false;
};

//= ipsecref#choice
//# The default order puts narrower policies first, as strongSwan orders
//# the policies it installs: 2048 minus a specificity of the policy's widest
//# selector set, 4 per fixed address bit (local and remote prefix lengths,
//# the common leading bits of a range that is no prefix), 2 for a named
//# protocol, 1 for ports narrower than ANY. The result lies in 1021..2048,
//# so an explicit priority below 1021 goes before every default.
uint32_t DefaultPriority(const Policy& policy);

class Spd {
 public:
  // Adds `policy` at its place in the order: by priority (its own, or
  // DefaultPriority when 0), lower first; among equal priorities, in the
  // order they were added, or before them all with `newest_first`. Errors
  // (kInvalidArgument, naming the policy): an empty name, a name already
  // present, no selector sets, a selector set that Validate refuses (the
  // error names its index).
  Status Add(Policy policy);

  // Removes the policy named `name`. Errors: kInvalidArgument when there is
  // none.
  Status Remove(std::string_view name);

  // The policy named `name`, or nullptr.
  const Policy* Find(std::string_view name) const;

  //= rfc4301#section-4.4.1
  //# The SPD is ordered, as an ACL is, and the first entry that matches
  //# decides.
  // The first policy holding `packet` as an outbound packet (its source is
  // the local side), or nullptr when none does: the caller decides then
  // (RFC 4301 §4.4.1 would discard). The pointer is valid until the next
  // Add or Remove.
  const Policy* LookupOutbound(const PacketSelectors& packet) const;

  // The same for a packet that arrived unprotected (its destination is the
  // local side). A BYPASS policy lets it in, DISCARD drops it, and a PROTECT
  // policy means it should have come protected: the caller drops it
  // (RFC 4301 §5.2 step 3b creates no SA for it). nullptr: no policy; step
  // 3b says discard.
  const Policy* LookupInbound(const PacketSelectors& packet) const;

  // The policies in lookup order.
  std::vector<const Policy*> Ordered() const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Policy policy;
    uint32_t priority;  // effective
  };
  const Policy* Lookup(const PacketSelectors& packet, Direction direction) const;

  std::vector<Entry> entries_;  // in lookup order
};

}  // namespace ipsecref::spd
