// The named deviations (interop/deviations/deviations.h): each one changes
// exactly what its row says (the run with it against the undeviated run on
// the same seed, every datagram decoded and, with the keys both peers
// derived, decrypted), and the other, undeviated reference peer reacts as
// RFC 7296 says. The README table is checked against the code table.
#include <fstream>
#include <iostream>
#include <utility>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "interop/deviations/deviations.h"
#include "reference/ike/sa/ike_sa.h"
#include "reference/ike/sa/peer.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/wire/protection.h"

namespace ipsecref::deviations {
namespace {

using ike::Message;
using ike::Payload;
using ike::sa::IkeSa;
using ike::sa::IkeState;
using ike::sa::Time;
using iana::PayloadType;
using testing::Exchange;

// ---------------------------------------------------------------------------
// Watching a run: the keys each IKE SA derived, and every datagram as it
// arrives, decoded into one line.

// Collects the SK keys of every IKE SA a peer protects messages with.
class KeyCatcher final : public ike::sa::Hooks {
 public:
  void OnEncoded(const IkeSa& sa, const Message&, std::vector<Bytes>&) override {
    if (!sa.has_keys()) return;
    ike::MessageKeys k;
    k.initiator = ike::SkKeys{sa.suite.encr, sa.suite.encr_key_bits, sa.suite.integ, sa.keys.sk_ei, sa.keys.sk_ai};
    k.responder = ike::SkKeys{sa.suite.encr, sa.suite.encr_key_bits, sa.suite.integ, sa.keys.sk_er, sa.keys.sk_ar};
    for (const ike::MessageKeys& known : keys)
      if (known.initiator.encr_key == k.initiator.encr_key) return;
    keys.push_back(std::move(k));
  }
  std::vector<ike::MessageKeys> keys;
};

std::string Hex(ByteSpan b) {
  std::string s;
  for (uint8_t x : b) s += fmt::format("{:02x}", x);
  return s;
}

std::string Detail(const Payload& p) {
  std::string s = p.critical ? "!" : "";
  if (const auto* sa = p.as<ike::SaPayload>()) {
    s += "SA[";
    for (const ike::Proposal& pr : sa->proposals) {
      s += fmt::format("#{} {} spi{}:", pr.proposal_num, static_cast<unsigned>(pr.protocol_id), pr.spi.size());
      for (const ike::Transform& t : pr.transforms) {
        s += fmt::format(" {}.{}", static_cast<unsigned>(t.type), t.id);
        if (auto kl = t.key_length()) s += fmt::format("/{}", *kl);
      }
      s += ";";
    }
    return s + "]";
  }
  if (const auto* ke = p.as<ike::KePayload>()) {
    const auto& d = ke->key_exchange_data;
    std::string what;
    if (!d.empty() && std::all_of(d.begin(), d.end(), [](uint8_t b) { return b == 0; })) what = " zeros";
    if (!d.empty() && std::all_of(d.begin(), d.end(), [](uint8_t b) { return b == 0xff; })) what = " ff";
    return s + fmt::format("KE({},{}{})", static_cast<unsigned>(ke->group), d.size(), what);
  }
  if (const auto* n = p.as<ike::NoncePayload>()) return s + fmt::format("Nonce({})", n->nonce_data.size());
  if (const auto* n = p.as<ike::NotifyPayload>()) {
    s += ike::PayloadLabel(p);
    if (!n->notification_data.empty() && n->notification_data.size() <= 2) s += "=" + Hex(n->notification_data);
    return s;
  }
  if (const auto* ts = p.as<ike::TsPayload>())
    return s + fmt::format("{}({})", ike::PayloadLabel(p), ts->traffic_selectors.size());
  if (const auto* a = p.as<ike::AuthPayload>())
    return s + fmt::format("AUTH({},{})", static_cast<unsigned>(a->auth_method),
                           Hex(ByteSpan(a->authentication_data).first(std::min<size_t>(2, a->authentication_data.size()))));
  return s + ike::PayloadLabel(p);
}

std::string Payloads(const std::vector<Payload>& ps) {
  std::string s;
  for (const Payload& p : ps) s += (s.empty() ? "" : " ") + Detail(p);
  return s;
}

// One datagram: the header as it stands, then the payloads (those inside SK
// decrypted, with the Pad Length and whether the IV is all zeros).
std::string Describe(ByteSpan message, const std::vector<ike::MessageKeys>& keys) {
  const std::optional<ike::Header> h = ike::PeekHeader(message);
  if (!h) return fmt::format("{} octets, no IKE header", message.size());
  std::string s = fmt::format("{} v{}.{} flags {:02x} id {} spi {:04x}/{:04x}", ike::Describe(*h), h->major_version,
                              h->minor_version, h->flags, h->message_id, h->spi_i & 0xffff, h->spi_r & 0xffff);
  auto m = ike::Decode(message);
  if (!m) return s + " undecodable: " + std::string(ipsecref::Describe(m.error().code).name);
  if (!m->notes.empty()) s += fmt::format(" ({} notes)", m->notes.size());
  const Payload* enc = m->Encrypted();
  if (enc == nullptr) return s + " { " + Payloads(m->payloads) + " }";
  std::vector<Payload> outer(m->payloads.begin(), m->payloads.end() - 1);
  if (!outer.empty()) s += " " + Payloads(outer);
  if (const auto* skf = enc->as<ike::SkfPayload>())
    return s + fmt::format(" SKF {}/{}", skf->fragment_number, skf->total_fragments);
  for (const ike::MessageKeys& k : keys) {
    auto protection = ike::MessageProtection::Create(k);
    if (!protection) continue;
    Message copy = *m;
    if (!(*protection)->Decrypt(copy, message)) continue;
    const size_t body = enc->offset + ike::kGenericPayloadHeaderSize;
    auto opened = (*protection)->crypter(h->initiator()).Unprotect(message.first(body), message.subspan(body));
    const bool zero_iv = opened && std::all_of(opened->iv.begin(), opened->iv.end(), [](uint8_t b) { return b == 0; });
    return s + fmt::format(" SK(pad {}{}) {{ {} }}", opened ? opened->pad_length : 0, zero_iv ? ", zero IV" : "",
                           Payloads(copy.inner));
  }
  return s + " SK(does not verify)";
}

struct Arrival {
  Time at = 0;  // since the run began
  char from = '?';
  std::string text;
  std::string Line() const { return fmt::format("t={} {}> {}", at, from, text); }
};

ike::sa::IkeConfig Tweak(ike::sa::IkeConfig c, std::string_view setup) {
  if (setup == "ecp256") c.proposals = *ike::sa::ParseProposals("aes128gcm16-prfsha256-ecp256", iana::SecurityProtocol::kIke);
  if (setup == "fragments") c.fragment_mtu = 200;
  return c;
}

// Two reference peers, one of them (initiator or responder) deviating,
// run until quiet (ten minutes of fake time: past every retransmission).
struct Session {
  explicit Session(std::string_view setup = "", uint64_t seed = 7)
      : x(Tweak(testing::PskInitiatorConfig(), setup), Tweak(testing::PskResponderConfig(), setup), seed) {
    x.SetHooks(x.initiator(), &initiator_keys);
    x.SetHooks(x.responder(), &responder_keys);
    start = x.clock().Now();
    if (setup == "lose-first") {
      // The network loses the first datagram sent, whatever deviates.
      auto lost = std::make_shared<bool>(false);
      x.network().filter = [lost](const testing::Sent&) { return std::exchange(*lost, true); };
    }
  }
  ike::sa::Peer& Peer(char who) { return who == 'I' ? x.initiator() : x.responder(); }
  Status Deviate(char who, const std::vector<std::string>& specs) { return ApplyDeviations(x, Peer(who), specs); }

  void Go(Time horizon = 600'000) {
    x.initiator().Initiate();
    Settle(horizon);
  }
  void Settle(Time horizon = 600'000) {
    const Time until = x.clock().Now() + horizon;
    for (size_t step = 0; step < 10000; ++step) {
      if (auto d = x.Take()) {
        ByteSpan msg = d->data;
        if (d->destination.port != ike::sa::kIkePort) msg = msg.subspan(std::min(msg.size(), ike::sa::kNonEspMarkerSize));
        std::vector<ike::MessageKeys> keys = initiator_keys.keys;
        keys.insert(keys.end(), responder_keys.keys.begin(), responder_keys.keys.end());
        arrivals.push_back({x.clock().Now() - start, d->source.address == x.initiator().local().address ? 'I' : 'R',
                            Describe(msg, keys)});
        x.Deliver(*d);
        continue;
      }
      std::optional<Time> next;
      for (ike::sa::Peer* p : {&x.initiator(), &x.responder()})
        if (auto t = p->NextDeadline(); t && (!next || *t < *next)) next = t;
      if (!next || *next > until) return;
      x.AdvanceToNextDeadline();
    }
  }
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    for (const Arrival& a : arrivals) out.push_back(a.Line());
    return out;
  }
  // Every message `who` received, in order.
  std::vector<std::string> ReceivedBy(char who) const {
    std::vector<std::string> out;
    for (const Arrival& a : arrivals)
      if (a.from != who) out.push_back(a.text);
    return out;
  }
  bool Established(char who) {
    for (IkeSa* sa : Peer(who).IkeSas())
      if (sa->state == IkeState::kEstablished) return true;
    return false;
  }
  size_t SentBy(char who) {
    size_t n = 0;
    for (const testing::Sent& s : x.network().captured)
      n += s.datagram.source.address == Peer(who).local().address ? 1 : 0;
    return n;
  }

  Exchange x;
  KeyCatcher initiator_keys, responder_keys;
  Time start = 0;
  std::vector<Arrival> arrivals;
};

// The first arrival at which two runs part: "- <before>" and "+ <after>"
// lines (one of them absent when a run simply has fewer arrivals).
std::string FirstDifference(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  for (size_t i = 0; i < std::max(before.size(), after.size()); ++i) {
    const std::string* b = i < before.size() ? &before[i] : nullptr;
    const std::string* a = i < after.size() ? &after[i] : nullptr;
    if (b != nullptr && a != nullptr && *b == *a) continue;
    std::string out;
    if (b != nullptr) out += "- " + *b + "\n";
    if (a != nullptr) out += "+ " + *a + "\n";
    return out;
  }
  return "";
}

// ---------------------------------------------------------------------------
// Every deviation changes what it says: the first arrival where the run
// with it parts from the undeviated run on the same seed.

struct Case {
  std::string spec;
  char target;          // 'I' or 'R'
  std::string setup;    // "" (PSK, AES-GCM, Curve25519), "ecp256", "fragments"
  std::string expected;  // FirstDifference(undeviated, deviated)
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.spec << " on " << c.target; }

class DeviationChanges : public ::testing::TestWithParam<Case> {};

TEST_P(DeviationChanges, WhatItSays) {
  const Case& c = GetParam();
  Session base(c.setup);
  base.Go();
  Session deviated(c.setup);
  ASSERT_TRUE(deviated.Deviate(c.target, {c.spec})) << c.spec;
  deviated.Go();
  const std::string difference = FirstDifference(base.Lines(), deviated.Lines());
  EXPECT_EQ(difference, c.expected) << c.spec;
  if (difference != c.expected)
    std::cout << fmt::format("CASE {{\"{}\", '{}', \"{}\", R\"x({})x\"}},\n", c.spec, c.target, c.setup, difference);
}

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
#include "interop/deviations/deviations_test_cases.inc"
  };
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.spec;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Every, DeviationChanges, ::testing::ValuesIn(Cases()), CaseName);

TEST(DeviationTable, AtLeastFortyEveryOneWithACase) {
  EXPECT_GE(Deviations().size(), 40u);
  std::set<std::string_view> with_case;
  for (const Case& c : Cases()) {
    auto s = ParseSpec(c.spec);
    ASSERT_TRUE(s) << c.spec;
    with_case.insert(s->deviation->name);
  }
  for (const Deviation& d : Deviations()) EXPECT_TRUE(with_case.count(d.name)) << d.name << " has no case";
}

}  // namespace
}  // namespace ipsecref::deviations
