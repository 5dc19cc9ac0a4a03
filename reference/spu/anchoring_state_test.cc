// Anchoring against a deliberately plain model: a list of what is anchored,
// in order of arrival, with loads found by counting and a turn counter for
// dynamic peers. Random sequences of adds, rekeys and removals, valid or
// not, must leave the two in agreement after every step.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "reference/spu/anchoring.h"
#include "reference/spu/events.h"

namespace ipsecref::spu {
namespace {

// The model's own reading of the kinds (not the ones under test).
bool ModelIke(Kind k) { return k == Kind::kGateway || k == Kind::kDynamic; }
bool ModelLoad(Kind k) { return k == Kind::kGateway || k == Kind::kManual; }

struct Item {
  std::string name;
  Kind kind;
  SpuIndex spu;     // where it was placed; the model never changes it
  std::string ike;  // a tunnel's IKE SA
};

struct Model {
  size_t spus = 1;
  bool checked = false;     // placements come with `at`, as from a device
  std::vector<Item> items;  // in order of arrival
  SpuIndex turn = 0;        // the next dynamic peer's SPU
  bool turns_started = false;
  size_t next_id = 0;  // for fresh names

  const Item* Find(const std::string& name) const {
    for (const Item& i : items)
      if (i.name == name) return &i;
    return nullptr;
  }
  size_t LoadOf(SpuIndex s) const {
    return std::count_if(items.begin(), items.end(),
                         [&](const Item& i) { return i.spu == s && ModelLoad(i.kind); });
  }
  std::vector<SpuIndex> Lowest() const {
    size_t lowest = items.size() + 1;
    for (SpuIndex s = 0; s < spus; ++s) lowest = std::min(lowest, LoadOf(s));
    std::vector<SpuIndex> out;
    for (SpuIndex s = 0; s < spus; ++s)
      if (LoadOf(s) == lowest) out.push_back(s);
    return out;
  }
  // Where the reference puts a new `kind`.
  SpuIndex Reference(Kind kind, const std::string& ike) const {
    if (kind == Kind::kTunnel) return Find(ike)->spu;
    if (kind == Kind::kDynamic) return turn;
    return Lowest().front();
  }
  // Where a checked device may put it.
  std::vector<SpuIndex> Allowed(Kind kind, const std::string& ike) const {
    if (kind == Kind::kTunnel) return {Find(ike)->spu};
    if (kind == Kind::kDynamic) {
      if (turns_started) return {turn};
      std::vector<SpuIndex> all(spus);
      for (SpuIndex s = 0; s < spus; ++s) all[s] = s;
      return all;
    }
    return Lowest();
  }
  std::vector<std::string> Names(bool (*keep)(Kind)) const {
    std::vector<std::string> out;
    for (const Item& i : items)
      if (keep(i.kind)) out.push_back(i.name);
    return out;
  }
  // Whether `name` exists and is of one of `kinds`. (RapidCheck's RC_PRE
  // and RC_ASSERT evaluate both sides of && and ||: no null checks there.)
  bool Has(const std::string& name, bool (*kinds)(Kind)) const {
    const Item* i = Find(name);
    return i != nullptr && kinds(i->kind);
  }
  std::string Fresh(std::string_view prefix) const {
    return std::string(prefix) + std::to_string(next_id);
  }
};

bool Any(Kind) { return true; }
bool IsTunnel(Kind k) { return k == Kind::kTunnel; }
bool IsManual(Kind k) { return k == Kind::kManual; }
bool NotManual(Kind k) { return k != Kind::kManual; }
bool NotIke(Kind k) { return !ModelIke(k); }

bool Contains(const std::vector<SpuIndex>& v, SpuIndex s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> AnchorNames(const std::vector<const Anchor*>& anchors) {
  std::vector<std::string> out;
  for (const Anchor* a : anchors) out.push_back(a->name);
  return out;
}

void CheckState(const Model& m, const Anchoring& sut) {
  RC_ASSERT(sut.spus() == m.spus);
  RC_ASSERT(AnchorNames(sut.Anchors()) == m.Names(Any));
  for (const Item& i : m.items) {
    const Anchor* a = sut.Find(i.name);
    RC_ASSERT(a != nullptr);
    RC_ASSERT(a->kind == i.kind);
    RC_ASSERT(a->spu == i.spu);  // spu.never-moved
    RC_ASSERT(a->ike == i.ike);
    if (i.kind == Kind::kTunnel) RC_ASSERT(a->spu == sut.Find(a->ike)->spu);  // spu.follow-ike-sa
  }
  const TunnelMap map = sut.Map();
  RC_ASSERT(map.size() == m.spus);
  for (SpuIndex s = 0; s < m.spus; ++s) {
    std::vector<std::string> ike, tunnels;
    for (const Item& i : m.items)
      if (i.spu == s) (ModelIke(i.kind) ? ike : tunnels).push_back(i.name);
    RC_ASSERT(sut.Load(s) == m.LoadOf(s));
    RC_ASSERT(map[s].spu == s);
    RC_ASSERT(map[s].load == m.LoadOf(s));
    RC_ASSERT(AnchorNames(map[s].ike) == ike);
    RC_ASSERT(AnchorNames(map[s].tunnels) == tunnels);
  }
  RC_ASSERT(sut.LeastLoaded() == m.Lowest());
  RC_ASSERT(sut.NextRoundRobin() == m.turn);
}

template <typename T>
void CheckFailed(const Result<T>& r, Code code, const std::string& named) {
  RC_ASSERT(!r.ok());
  RC_LOG() << r.error().ToString() << '\n';
  RC_ASSERT(r.error().code == code);
  RC_ASSERT(r.error().detail.find(named) != std::string::npos);
}

using Cmd = rc::state::Command<Model, Anchoring>;

// ---- valid commands ----

struct Add : Cmd {
  Kind kind;
  std::string name;
  std::string ike;
  std::optional<SpuIndex> at;

  Add(const Model& s0, Kind k, std::string_view prefix) : kind(k), name(s0.Fresh(prefix)) {
    if (kind == Kind::kTunnel) {
      const auto ikes = s0.Names(ModelIke);
      RC_PRE(!ikes.empty());
      ike = *rc::gen::elementOf(ikes);
    }
    // A device reports most placements; any allowed SPU will do.
    if (s0.checked && *rc::gen::inRange(0, 4) != 0) at = *rc::gen::elementOf(s0.Allowed(kind, ike));
  }
  void checkPreconditions(const Model& s0) const override {
    RC_PRE(s0.Find(name) == nullptr);
    if (kind == Kind::kTunnel) RC_PRE(s0.Has(ike, ModelIke));
    if (at) RC_PRE(Contains(s0.Allowed(kind, ike), *at));
  }
  SpuIndex Expected(const Model& s0) const { return at ? *at : s0.Reference(kind, ike); }
  void apply(Model& s0) const override {
    const SpuIndex spu = Expected(s0);
    s0.items.push_back({name, kind, spu, ike});
    if (kind == Kind::kDynamic) {
      s0.turn = static_cast<SpuIndex>((spu + 1) % s0.spus);
      s0.turns_started = true;
    }
    ++s0.next_id;
  }
  void run(const Model& s0, Anchoring& sut) const override {
    auto r = sut.Add(kind, name, ike, at);
    if (!r.ok()) RC_FAIL(r.error().ToString());
    RC_ASSERT(*r == Expected(s0));
    CheckState(nextState(s0), sut);
  }
  void show(std::ostream& os) const override {
    os << KindName(kind) << ' ' << name;
    if (!ike.empty()) os << " over " << ike;
    if (at) os << " at SPU" << *at;
  }
};
struct AddGateway : Add {
  explicit AddGateway(const Model& s0) : Add(s0, Kind::kGateway, "IKE-") {}
};
struct AddDynamic : Add {
  explicit AddDynamic(const Model& s0) : Add(s0, Kind::kDynamic, "dial@") {}
};
struct AddManual : Add {
  explicit AddManual(const Model& s0) : Add(s0, Kind::kManual, "M.") {}
};
struct AddTunnel : Add {
  explicit AddTunnel(const Model& s0) : Add(s0, Kind::kTunnel, "IPsec/") {}
};

struct Rekey : Cmd {
  bool (*kinds)(Kind);
  std::string old_name;
  std::string new_name;
  std::optional<SpuIndex> at;

  Rekey(const Model& s0, bool (*k)(Kind)) : kinds(k), new_name(s0.Fresh("re:")) {
    const auto names = s0.Names(kinds);
    RC_PRE(!names.empty());
    old_name = *rc::gen::elementOf(names);
    if (s0.checked && *rc::gen::arbitrary<bool>()) at = s0.Find(old_name)->spu;
  }
  void checkPreconditions(const Model& s0) const override {
    RC_PRE(s0.Has(old_name, kinds));
    RC_PRE(s0.Find(new_name) == nullptr);
    if (at) RC_PRE(*at == s0.Find(old_name)->spu);
  }
  void apply(Model& s0) const override {
    // The successor takes the predecessor's place, and an IKE SA's tunnels.
    for (Item& i : s0.items) {
      if (i.name == old_name) i.name = new_name;
      if (i.ike == old_name) i.ike = new_name;
    }
    ++s0.next_id;
  }
  void run(const Model& s0, Anchoring& sut) const override {
    auto r = sut.Rekey(old_name, new_name, at);
    if (!r.ok()) RC_FAIL(r.error().ToString());
    RC_ASSERT(*r == s0.Find(old_name)->spu);
    CheckState(nextState(s0), sut);
  }
  void show(std::ostream& os) const override {
    os << "rekey " << old_name << ' ' << new_name;
    if (at) os << " at SPU" << *at;
  }
};
struct RekeyTunnel : Rekey {
  explicit RekeyTunnel(const Model& s0) : Rekey(s0, IsTunnel) {}
};
struct RekeyIke : Rekey {
  explicit RekeyIke(const Model& s0) : Rekey(s0, ModelIke) {}
};

struct Remove : Cmd {
  std::string name;
  explicit Remove(const Model& s0) {
    RC_PRE(!s0.items.empty());
    name = *rc::gen::elementOf(s0.Names(Any));
  }
  void checkPreconditions(const Model& s0) const override { RC_PRE(s0.Find(name) != nullptr); }
  void apply(Model& s0) const override {
    //= rfc7296#section-1.4.1
    //# Closing an IKE SA closes every Child SA negotiated over it.
    std::erase_if(s0.items, [&](const Item& i) { return i.name == name || i.ike == name; });
  }
  void run(const Model& s0, Anchoring& sut) const override {
    std::vector<std::string> expected;
    for (const Item& i : s0.items)
      if (i.name == name || i.ike == name) expected.push_back(i.name);
    auto r = sut.Remove(name);
    if (!r.ok()) RC_FAIL(r.error().ToString());
    std::vector<std::string> removed = *r;
    std::sort(removed.begin(), removed.end());
    std::sort(expected.begin(), expected.end());
    RC_ASSERT(removed == expected);
    CheckState(nextState(s0), sut);
  }
  void show(std::ostream& os) const override { os << "remove " << name; }
};

// ---- commands that must fail and change nothing ----

struct AddDuplicate : Cmd {
  Kind kind;
  std::string name, ike;
  explicit AddDuplicate(const Model& s0) {
    RC_PRE(!s0.items.empty());
    name = *rc::gen::elementOf(s0.Names(Any));
    kind = *rc::gen::element(Kind::kGateway, Kind::kDynamic, Kind::kManual, Kind::kTunnel);
    // Only the name is wrong: a tunnel goes over an existing IKE SA.
    const auto ikes = s0.Names(ModelIke);
    if (kind == Kind::kTunnel && ikes.empty()) kind = Kind::kGateway;
    if (kind == Kind::kTunnel) ike = *rc::gen::elementOf(ikes);
  }
  void checkPreconditions(const Model& s0) const override {
    RC_PRE(s0.Find(name) != nullptr);
    if (kind == Kind::kTunnel) RC_PRE(s0.Has(ike, ModelIke));
  }
  void run(const Model& s0, Anchoring& sut) const override {
    CheckFailed(sut.Add(kind, name, ike), Code::kInvalidArgument, "'" + name + "'");
    CheckState(s0, sut);
  }
  void show(std::ostream& os) const override { os << "again " << KindName(kind) << ' ' << name; }
};

// A tunnel over nothing, or over a manual tunnel or another tunnel.
struct AddTunnelOverNonIke : Cmd {
  std::string name, ike;
  explicit AddTunnelOverNonIke(const Model& s0) : name(s0.Fresh("IPsec/")) {
    const auto non_ike = s0.Names(NotIke);
    ike = non_ike.empty() || *rc::gen::arbitrary<bool>() ? s0.Fresh("unknown-")
                                                         : *rc::gen::elementOf(non_ike);
  }
  void checkPreconditions(const Model& s0) const override {
    RC_PRE(s0.Find(name) == nullptr);
    RC_PRE(!s0.Has(ike, ModelIke));
  }
  void run(const Model& s0, Anchoring& sut) const override {
    CheckFailed(sut.Add(Kind::kTunnel, name, ike), Code::kInvalidArgument, "'" + ike + "'");
    CheckState(s0, sut);
  }
  void show(std::ostream& os) const override { os << "tunnel " << name << " over " << ike; }
};

// A rekey of a manual tunnel, or onto a name in use.
struct BadRekey : Cmd {
  std::string old_name, new_name;
  bool manual;
  explicit BadRekey(const Model& s0) {
    const auto manuals = s0.Names(IsManual);
    manual = !manuals.empty() && *rc::gen::arbitrary<bool>();
    if (manual) {
      old_name = *rc::gen::elementOf(manuals);
      new_name = s0.Fresh("re:");
    } else {
      const auto others = s0.Names(NotManual);
      RC_PRE(!others.empty());
      old_name = *rc::gen::elementOf(others);
      new_name = *rc::gen::elementOf(s0.Names(Any));
    }
  }
  void checkPreconditions(const Model& s0) const override {
    RC_PRE(s0.Has(old_name, manual ? IsManual : NotManual));
    if (!manual) RC_PRE(s0.Find(new_name) != nullptr);
  }
  void run(const Model& s0, Anchoring& sut) const override {
    CheckFailed(sut.Rekey(old_name, new_name), Code::kInvalidArgument,
                manual ? old_name : new_name);
    CheckState(s0, sut);
  }
  void show(std::ostream& os) const override { os << "bad rekey " << old_name << ' ' << new_name; }
};

// A device's placement outside what the rules allow (checked mode only).
Rule RuleFor(Kind kind) {
  switch (kind) {
    case Kind::kGateway:
    case Kind::kManual:
      return Rule::kLeastLoaded;
    case Kind::kDynamic:
      return Rule::kRoundRobin;
    case Kind::kTunnel:
      return Rule::kFollowIkeSa;
  }
  return Rule::kNeverMoved;
}

struct AddAtWrongSpu : Cmd {
  Kind kind;
  std::string name, ike;
  SpuIndex at;
  explicit AddAtWrongSpu(const Model& s0) : name(s0.Fresh("wrong-")) {
    RC_PRE(s0.checked);
    kind = *rc::gen::element(Kind::kGateway, Kind::kDynamic, Kind::kManual, Kind::kTunnel);
    if (kind == Kind::kTunnel) {
      const auto ikes = s0.Names(ModelIke);
      RC_PRE(!ikes.empty());
      ike = *rc::gen::elementOf(ikes);
    }
    std::vector<SpuIndex> wrong;
    for (SpuIndex s = 0; s < s0.spus; ++s)
      if (!Contains(s0.Allowed(kind, ike), s)) wrong.push_back(s);
    RC_PRE(!wrong.empty());
    at = *rc::gen::elementOf(wrong);
  }
  void checkPreconditions(const Model& s0) const override {
    RC_PRE(s0.Find(name) == nullptr);
    if (kind == Kind::kTunnel) RC_PRE(s0.Has(ike, ModelIke));
    RC_PRE(!Contains(s0.Allowed(kind, ike), at));
  }
  void run(const Model& s0, Anchoring& sut) const override {
    auto r = sut.Add(kind, name, ike, at);
    CheckFailed(r, Code::kBadPlacement, "SPU" + std::to_string(at));
    RC_ASSERT(r.error().detail.find(name) != std::string::npos);
    RC_ASSERT(r.error().requirement == RuleId(RuleFor(kind)));
    CheckState(s0, sut);
  }
  void show(std::ostream& os) const override {
    os << KindName(kind) << ' ' << name << (ike.empty() ? "" : " over " + ike) << " at SPU" << at;
  }
};

struct RekeyAtWrongSpu : Cmd {
  std::string old_name, new_name;
  SpuIndex at;
  explicit RekeyAtWrongSpu(const Model& s0) : new_name(s0.Fresh("re:")) {
    RC_PRE(s0.checked);
    RC_PRE(s0.spus > 1);
    const auto names = s0.Names(NotManual);
    RC_PRE(!names.empty());
    old_name = *rc::gen::elementOf(names);
    const SpuIndex spu = s0.Find(old_name)->spu;
    at = (spu + *rc::gen::inRange<SpuIndex>(1, static_cast<SpuIndex>(s0.spus))) % s0.spus;
  }
  void checkPreconditions(const Model& s0) const override {
    RC_PRE(s0.Has(old_name, NotManual));
    RC_PRE(s0.Find(old_name)->spu != at);
  }
  void run(const Model& s0, Anchoring& sut) const override {
    auto r = sut.Rekey(old_name, new_name, at);
    CheckFailed(r, Code::kBadPlacement, old_name);
    const Rule rule =
        s0.Find(old_name)->kind == Kind::kTunnel ? Rule::kFollowIkeSa : Rule::kNeverMoved;
    RC_ASSERT(r.error().requirement == RuleId(rule));
    CheckState(s0, sut);
  }
  void show(std::ostream& os) const override {
    os << "rekey " << old_name << ' ' << new_name << " at SPU" << at;
  }
};

struct AtBeyondLastSpu : Cmd {
  std::string name;
  SpuIndex at;
  explicit AtBeyondLastSpu(const Model& s0) : name(s0.Fresh("IKE-")) {
    RC_PRE(s0.checked);
    at = static_cast<SpuIndex>(s0.spus + *rc::gen::inRange<size_t>(0, kMaxSpus));
  }
  void checkPreconditions(const Model& s0) const override { RC_PRE(s0.Find(name) == nullptr); }
  void run(const Model& s0, Anchoring& sut) const override {
    CheckFailed(sut.Add(Kind::kGateway, name, {}, at), Code::kInvalidArgument,
                "SPU" + std::to_string(at));
    CheckState(s0, sut);
  }
  void show(std::ostream& os) const override { os << "gateway " << name << " at SPU" << at; }
};

void RunMachine(bool checked) {
  Model model;
  model.spus = *rc::gen::inRange<size_t>(1, 9);
  model.checked = checked;
  auto sut = Anchoring::Create(model.spus);
  RC_ASSERT(sut.ok());
  rc::state::check(
      model, *sut,
      rc::state::gen::execOneOfWithArgs<AddGateway, AddDynamic, AddManual, AddTunnel, AddTunnel,
                                        RekeyTunnel, RekeyIke, Remove, AddDuplicate,
                                        AddTunnelOverNonIke, BadRekey, AddAtWrongSpu,
                                        RekeyAtWrongSpu, AtBeyondLastSpu>());
}

// The reference's own placements: lowest-index least loaded, turns from SPU0.
RC_GTEST_PROP(AnchoringState, ReferenceMatchesModel, ()) { RunMachine(false); }

// A device that picks any allowed SPU (any tie, any first turn) is accepted;
// any other pick is refused by the rule it breaks and changes nothing.
RC_GTEST_PROP(AnchoringState, CheckerAcceptsExactlyTheAllowed, ()) { RunMachine(true); }

// ---- the event file ----

// Any 1 to 64 name characters, and words of the file's syntax ("at" as a
// second name: see Events.KeywordsAsNamesRoundTrip in anchoring_test.cc).
rc::Gen<std::string> GenName() {
  static const std::string kChars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@";
  return rc::gen::weightedOneOf<std::string>({
      {1, rc::gen::element<std::string>("over", "gateway", "tunnel", "spus", "rekey", "remove",
                                        "SPU1", "0")},
      {4, rc::gen::mapcat(rc::gen::inRange<size_t>(1, 65),
                          [](size_t n) {
                            return rc::gen::container<std::string>(n, rc::gen::elementOf(kChars));
                          })},
  });
}

RC_GTEST_PROP(EventsRoundTrip, ParseOfFormatGivesTheEvents, ()) {
  EventFile file;
  if (*rc::gen::arbitrary<bool>()) file.spus = *rc::gen::inRange<size_t>(1, kMaxSpus + 1);
  const size_t n = *rc::gen::inRange<size_t>(0, 30);
  for (size_t k = 0; k < n; ++k) {
    Event e;
    e.op = *rc::gen::element(Event::Op::kAdd, Event::Op::kRekey, Event::Op::kRemove);
    e.name = *GenName();
    if (e.op == Event::Op::kAdd) {
      e.kind = *rc::gen::element(Kind::kGateway, Kind::kDynamic, Kind::kManual, Kind::kTunnel);
      if (e.kind == Kind::kTunnel) e.other = *GenName();
    }
    if (e.op == Event::Op::kRekey) e.other = *GenName();
    if (e.op != Event::Op::kRemove && *rc::gen::arbitrary<bool>())
      e.at = *rc::gen::inRange<SpuIndex>(0, kMaxSpus);
    file.events.push_back(std::move(e));
  }
  const std::string text = FormatEvents(file);
  RC_LOG() << text;
  auto parsed = ParseEvents(text);
  if (!parsed.ok()) RC_FAIL(parsed.error().ToString());
  RC_ASSERT(parsed->spus == file.spus);
  RC_ASSERT(parsed->events.size() == file.events.size());
  for (size_t k = 0; k < n; ++k) {
    const Event& want = file.events[k];
    const Event& got = parsed->events[k];
    RC_ASSERT(got.op == want.op);
    if (want.op == Event::Op::kAdd) RC_ASSERT(got.kind == want.kind);
    RC_ASSERT(got.name == want.name);
    RC_ASSERT(got.other == want.other);
    RC_ASSERT(got.at == want.at);
  }
}

}  // namespace
}  // namespace ipsecref::spu
