#include "reference/spu/anchoring.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "reference/base/enum_table.h"

namespace ipsecref::spu {
namespace {

// Per kind: its name, whether it is an IKE SA, whether it counts as load.
// Placement follows from the last two: load-counting kinds go least-loaded,
// other IKE SAs round-robin, tunnels to their IKE SA.
struct KindInfo {
  Kind kind;
  std::string_view name;
  bool ike;
  bool load;
};
constexpr std::array<KindInfo, 4> kKinds{{
    {Kind::kGateway, "gateway", true, true},
    {Kind::kDynamic, "dynamic", true, false},
    {Kind::kManual, "manual", false, true},
    {Kind::kTunnel, "tunnel", false, false},
}};
static_assert(RowsInEnumOrder(kKinds, &KindInfo::kind), "kKinds: one row per Kind, in enum order");
static_assert(static_cast<size_t>(Kind::kTunnel) + 1 == kKinds.size(), "kKinds: a row for every Kind");

struct RuleInfo {
  Rule rule;
  std::string_view id;
  std::string_view text;
};
constexpr std::array<RuleInfo, 4> kRules{{
    {Rule::kLeastLoaded, "spu.least-loaded",
     "a site-to-site gateway or manual tunnel goes to an SPU with the fewest gateways and "
     "manual tunnels"},
    {Rule::kRoundRobin, "spu.round-robin", "dynamic peers take the SPUs in turn"},
    {Rule::kFollowIkeSa, "spu.follow-ike-sa",
     "an IPsec tunnel, new, added or rekeyed, lives on the SPU of its IKE SA"},
    {Rule::kNeverMoved, "spu.never-moved",
     "adding or removing tunnels never moves an existing gateway or tunnel"},
}};
static_assert(RowsInEnumOrder(kRules, &RuleInfo::rule), "kRules: one row per Rule, in enum order");
static_assert(static_cast<size_t>(Rule::kNeverMoved) + 1 == kRules.size(), "kRules: a row for every Rule");

const KindInfo& Info(Kind kind) { return kKinds.at(static_cast<size_t>(kind)); }

constexpr size_t kMaxName = 64;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '@';
}

std::string SpuList(const std::vector<SpuIndex>& spus) {
  std::string out;
  for (SpuIndex s : spus) out += fmt::format("{}SPU{}", out.empty() ? "" : ", ", s);
  return out;
}

}  // namespace

std::string_view KindName(Kind kind) { return Info(kind).name; }
bool IsIke(Kind kind) { return Info(kind).ike; }
bool CountsAsLoad(Kind kind) { return Info(kind).load; }

std::optional<Kind> KindFromName(std::string_view name) {
  for (const KindInfo& k : kKinds)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

std::string_view RuleId(Rule rule) { return kRules.at(static_cast<size_t>(rule)).id; }
std::string_view RuleText(Rule rule) { return kRules.at(static_cast<size_t>(rule)).text; }

Anchoring::Anchoring(size_t spus) : loads_(spus, 0) {
  for (size_t i = 0; i < spus; ++i) by_load_.emplace(0, static_cast<SpuIndex>(i));
}

Result<Anchoring> Anchoring::Create(size_t spus) {
  ENSURE(spus >= 1 && spus <= kMaxSpus, kInvalidArgument, kNoOffset, "",
         fmt::format("{} SPUs: from 1 to {} are allowed", spus, kMaxSpus));
  return Anchoring(spus);
}

const Anchor* Anchoring::Find(std::string_view name) const {
  auto it = anchors_.find(name);
  return it == anchors_.end() ? nullptr : &it->second;
}

std::vector<SpuIndex> Anchoring::LeastLoaded() const {
  const size_t lowest = by_load_.begin()->first;
  std::vector<SpuIndex> out;
  for (auto it = by_load_.begin(); it != by_load_.end() && it->first == lowest; ++it)
    out.push_back(it->second);
  return out;
}

Status Anchoring::CheckNewName(std::string_view name) const {
  ENSURE(!name.empty() && name.size() <= kMaxName && std::all_of(name.begin(), name.end(), NameChar),
         kInvalidArgument, kNoOffset, "",
         fmt::format("name '{}' must be 1 to {} letters, digits or - _ . : / @", name, kMaxName));
  const Anchor* existing = Find(name);
  ENSURE(existing == nullptr, kInvalidArgument, kNoOffset, "",
         fmt::format("name '{}' is already in use (a {} on SPU{})", name,
                     existing ? KindName(existing->kind) : "", existing ? existing->spu : 0));
  return OkStatus();
}

Status Anchoring::CheckSpu(std::optional<SpuIndex> at) const {
  ENSURE(!at || *at < spus(), kInvalidArgument, kNoOffset, "",
         fmt::format("SPU{} does not exist: there are {} SPUs", at.value_or(0), spus()));
  return OkStatus();
}

Result<SpuIndex> Anchoring::Place(Kind kind, std::string_view name, const Anchor* ike,
                                  std::optional<SpuIndex> at) const {
  TRY(CheckSpu(at));
  Rule rule;
  std::vector<SpuIndex> allowed;
  std::string why;
  if (kind == Kind::kTunnel) {
    rule = Rule::kFollowIkeSa;
    allowed = {ike->spu};
    why = fmt::format("its IKE SA {} is on SPU{}", ike->name, ike->spu);
  } else if (CountsAsLoad(kind)) {
    rule = Rule::kLeastLoaded;
    // The lowest index among the least loaded; any of them when reported.
    const auto [lowest, first] = *by_load_.begin();
    if (!at) return first;
    if (loads_[*at] == lowest) return *at;
    allowed = LeastLoaded();
    why = fmt::format("the least loaded (load {}) are {}", lowest, SpuList(allowed));
  } else {
    rule = Rule::kRoundRobin;
    // A checked device may start its turns anywhere.
    if (!round_robin_started_ && at) return *at;
    allowed = {next_round_robin_};
    why = fmt::format("the turn after the last dynamic peer is SPU{}", next_round_robin_);
  }
  if (!at) return allowed.front();
  ENSURE(std::find(allowed.begin(), allowed.end(), *at) != allowed.end(), kBadPlacement, kNoOffset,
         RuleId(rule), fmt::format("{} {} on SPU{}, but {}: {}", KindName(kind), name, *at, why, RuleText(rule)));
  return *at;
}

void Anchoring::AddLoad(SpuIndex spu, int change) {
  by_load_.erase({loads_[spu], spu});
  loads_[spu] += change;
  by_load_.emplace(loads_[spu], spu);
}

void Anchoring::Insert(Anchor anchor) {
  if (CountsAsLoad(anchor.kind)) AddLoad(anchor.spu, +1);
  if (anchor.kind == Kind::kTunnel) tunnels_[anchor.ike].insert(anchor.name);
  if (anchor.kind == Kind::kDynamic) {
    round_robin_started_ = true;
    next_round_robin_ = static_cast<SpuIndex>((anchor.spu + 1) % spus());
  }
  std::string name = anchor.name;
  anchors_.emplace(std::move(name), std::move(anchor));
}

void Anchoring::Erase(std::string_view name) {
  auto it = anchors_.find(name);
  if (it == anchors_.end()) return;
  const Anchor& a = it->second;
  if (CountsAsLoad(a.kind)) AddLoad(a.spu, -1);
  if (a.kind == Kind::kTunnel) {
    auto over = tunnels_.find(a.ike);
    if (over != tunnels_.end()) {
      over->second.erase(a.name);
      if (over->second.empty()) tunnels_.erase(over);
    }
  }
  anchors_.erase(it);
}

Result<SpuIndex> Anchoring::Add(Kind kind, std::string_view name, std::string_view ike_name,
                                std::optional<SpuIndex> at) {
  TRY(CheckNewName(name));
  const Anchor* ike = nullptr;
  if (kind == Kind::kTunnel) {
    ike = Find(ike_name);
    ENSURE(ike != nullptr, kInvalidArgument, kNoOffset, "",
           fmt::format("tunnel {}: no gateway or dynamic peer named '{}'", name, ike_name));
    ENSURE(IsIke(ike->kind), kInvalidArgument, kNoOffset, "",
           fmt::format("tunnel {}: '{}' is a {}, not an IKE SA", name, ike_name, KindName(ike->kind)));
  } else {
    ENSURE(ike_name.empty(), kInvalidArgument, kNoOffset, "",
           fmt::format("a {} is not negotiated over an IKE SA", KindName(kind)));
  }
  TRY_ASSIGN(SpuIndex spu, Place(kind, name, ike, at));
  Insert(Anchor{std::string(name), kind, spu, ike ? ike->name : std::string(), arrivals_++});
  return spu;
}

Result<SpuIndex> Anchoring::Rekey(std::string_view old_name, std::string_view new_name,
                                  std::optional<SpuIndex> at) {
  const Anchor* old = Find(old_name);
  ENSURE(old != nullptr, kInvalidArgument, kNoOffset, "",
         fmt::format("rekey: nothing named '{}'", old_name));
  ENSURE(old->kind != Kind::kManual, kInvalidArgument, kNoOffset, "rfc4301#section-4.5",
         fmt::format("rekey: {} is a manual tunnel; manual keys are never rekeyed", old_name));
  TRY(CheckNewName(new_name));
  TRY(CheckSpu(at));
  //= rfc7296#section-2.8
  //# A rekeyed IKE SA takes over its predecessor's Child SAs.
  // spu.follow-ike-sa and spu.never-moved: the successor stays where the
  // predecessor was, and so do the tunnels it inherits.
  const Rule rule = old->kind == Kind::kTunnel ? Rule::kFollowIkeSa : Rule::kNeverMoved;
  ENSURE(!at || *at == old->spu, kBadPlacement, kNoOffset, RuleId(rule),
         fmt::format("{} rekeyed as {} on SPU{}, but {} is on SPU{}: {}", old_name, new_name, *at,
                     old_name, old->spu, RuleText(rule)));
  Anchor successor = *old;
  successor.name = std::string(new_name);
  const std::string old_key = old->name;
  if (IsIke(successor.kind)) {
    if (auto over = tunnels_.find(old_key); over != tunnels_.end()) {
      for (const std::string& tunnel : over->second) anchors_.find(tunnel)->second.ike = successor.name;
      tunnels_.emplace(successor.name, std::move(over->second));
      tunnels_.erase(over);
    }
  }
  // Erase then insert: the load is unchanged, and a dynamic peer's rekeying
  // is not a new turn.
  const SpuIndex next = next_round_robin_;
  const bool started = round_robin_started_;
  Erase(old_key);
  Insert(std::move(successor));
  next_round_robin_ = next;
  round_robin_started_ = started;
  return Find(new_name)->spu;
}

Result<std::vector<std::string>> Anchoring::Remove(std::string_view name) {
  const Anchor* a = Find(name);
  ENSURE(a != nullptr, kInvalidArgument, kNoOffset, "", fmt::format("remove: nothing named '{}'", name));
  std::vector<const Anchor*> gone{a};
  if (IsIke(a->kind))
    if (auto over = tunnels_.find(name); over != tunnels_.end())
      for (const std::string& tunnel : over->second) gone.push_back(Find(tunnel));
  std::sort(gone.begin() + 1, gone.end(),
            [](const Anchor* x, const Anchor* y) { return x->arrival < y->arrival; });
  std::vector<std::string> removed;
  for (const Anchor* g : gone) removed.push_back(g->name);
  for (const std::string& r : removed) Erase(r);
  return removed;
}

std::vector<const Anchor*> Anchoring::Anchors() const {
  std::vector<const Anchor*> out;
  out.reserve(anchors_.size());
  for (const auto& [name, a] : anchors_) out.push_back(&a);
  std::sort(out.begin(), out.end(),
            [](const Anchor* x, const Anchor* y) { return x->arrival < y->arrival; });
  return out;
}

TunnelMap Anchoring::Map() const {
  TunnelMap map(spus());
  for (size_t i = 0; i < map.size(); ++i) {
    map[i].spu = static_cast<SpuIndex>(i);
    map[i].load = loads_[i];
  }
  for (const Anchor* a : Anchors()) (IsIke(a->kind) ? map[a->spu].ike : map[a->spu].tunnels).push_back(a);
  return map;
}

}  // namespace ipsecref::spu
