#include "reference/spd/spd.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace ipsecref::spd {
namespace {

constexpr uint32_t kDefaultPriorityBase = 2048;

// The leading bits that every address of the range shares.
uint32_t FixedBits(const AddressRange& r) {
  uint32_t bits = 0;
  for (size_t i = 0; i < r.start.size() && i < r.end.size(); ++i) {
    const uint8_t differ = r.start[i] ^ r.end[i];
    if (differ != 0) return bits + static_cast<uint32_t>(std::countl_zero(differ));
    bits += 8;
  }
  return bits;
}

uint32_t Specificity(const Selector& s) {
  const bool ports = !s.local_ports.any() || !s.remote_ports.any();
  return 4 * (FixedBits(s.local) + FixedBits(s.remote)) + (s.protocol != 0 ? 2 : 0) + (ports ? 1 : 0);
}

}  // namespace

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kProtect: return "protect";
    case Action::kBypass: return "bypass";
    case Action::kDiscard: return "discard";
  }
  return "unknown";
}

uint32_t DefaultPriority(const Policy& policy) {
  uint32_t widest = 4 * 256 + 3;
  for (const Selector& s : policy.selectors) widest = std::min(widest, Specificity(s));
  return kDefaultPriorityBase - widest;
}

Status Spd::Add(Policy policy) {
  ENSURE(!policy.name.empty(), kInvalidArgument, kNoOffset, "rfc4301#section-4.4.1", "a policy needs a name");
  ENSURE(Find(policy.name) == nullptr, kInvalidArgument, kNoOffset, "rfc4301#section-4.4.1",
         fmt::format("policy \"{}\" is already in the SPD", policy.name));
  ENSURE(!policy.selectors.empty(), kInvalidArgument, kNoOffset, "rfc4301#section-4.4.1",
         fmt::format("policy \"{}\" has no selector sets", policy.name));
  for (size_t i = 0; i < policy.selectors.size(); ++i) {
    Status valid = Validate(policy.selectors[i]);
    if (!valid) {
      Error e = std::move(valid).error();
      e.detail = fmt::format("policy \"{}\", selector set {}: {}", policy.name, i + 1, e.detail);
      return e;
    }
  }
  const uint32_t priority = policy.priority != kDefaultPriority ? policy.priority : DefaultPriority(policy);
  // After every entry of the same priority (equal ones keep the order they
  // came in), or before them with newest_first.
  auto at = policy.newest_first
                ? std::lower_bound(entries_.begin(), entries_.end(), priority,
                                   [](const Entry& e, uint32_t p) { return e.priority < p; })
                : std::upper_bound(entries_.begin(), entries_.end(), priority,
                                   [](uint32_t p, const Entry& e) { return p < e.priority; });
  entries_.insert(at, Entry{std::move(policy), priority});
  return OkStatus();
}

Status Spd::Remove(std::string_view name) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.policy.name == name; });
  ENSURE(it != entries_.end(), kInvalidArgument, kNoOffset, "", fmt::format("no policy \"{}\" in the SPD", name));
  entries_.erase(it);
  return OkStatus();
}

const Policy* Spd::Find(std::string_view name) const {
  for (const Entry& e : entries_)
    if (e.policy.name == name) return &e.policy;
  return nullptr;
}

const Policy* Spd::Lookup(const PacketSelectors& packet, Direction direction) const {
  for (const Entry& e : entries_)
    for (const Selector& s : e.policy.selectors)
      if (Matches(s, packet, direction)) return &e.policy;
  return nullptr;
}

const Policy* Spd::LookupOutbound(const PacketSelectors& packet) const {
  return Lookup(packet, Direction::kOutbound);
}

const Policy* Spd::LookupInbound(const PacketSelectors& packet) const {
  return Lookup(packet, Direction::kInbound);
}

std::vector<const Policy*> Spd::Ordered() const {
  std::vector<const Policy*> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(&e.policy);
  return out;
}

}  // namespace ipsecref::spd
