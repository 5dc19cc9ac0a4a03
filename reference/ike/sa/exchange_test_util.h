// What the exchange tests (exchange_rfc_test.cc, collision_test.cc,
// exchange_properties_test.cc) share on top of the harness in
// reference/testing/exchange.h: the two ends by role, picking one datagram
// in flight by what it is (a request or a response, from which end) to
// deliver or lose, reading nonces and SPIs out of what each end built, and
// the end state RFC 7296 asks for after any sequence of exchanges: both
// ends hold the same IKE SAs and the same CHILD SAs (SPIs crosswise, keys
// crosswise), nothing orphaned or duplicated, Message IDs in step.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "reference/ike/sa/task.h"
#include "reference/ike/wire/header.h"
#include "reference/testing/exchange.h"

namespace ipsecref::ike::sa::exchange_testing {

using ipsecref::testing::Exchange;
using ipsecref::testing::Recorder;

// Long enough for every retransmission of the default schedule (4 s * 1.8^n,
// five retransmissions: about 165 s) to run out.
inline constexpr Time kQuiescence = 10 * 60 * 1000;

// The two ends by their role in the first IKE SA (either may start any
// later exchange).
enum class Side : uint8_t { kInitiator, kResponder };
inline Side Other(Side s) { return s == Side::kInitiator ? Side::kResponder : Side::kInitiator; }
inline std::string_view Name(Side s) { return s == Side::kInitiator ? "Initiator" : "Responder"; }
inline Peer& PeerOf(Exchange& x, Side s) { return s == Side::kInitiator ? x.initiator() : x.responder(); }
inline Recorder& LogOf(Exchange& x, Side s) { return s == Side::kInitiator ? x.initiator_log() : x.responder_log(); }

// --- Datagrams in flight ---

// The IKE header of a datagram (after the non-ESP marker on port 4500).
// The header of a datagram's IKE message; the non-ESP marker comes first
// on the flows of the NAT-T port (the other end's port may be a NAT's).
inline std::optional<Header> HeaderOf(const Datagram& d) {
  ByteSpan message = d.data;
  if (d.source.port == kNatTraversalPort || d.destination.port == kNatTraversalPort) {
    if (message.size() < kNonEspMarkerSize) return std::nullopt;
    message = message.subspan(kNonEspMarkerSize);
  }
  return PeekHeader(message);
}

using Match = std::function<bool(const Datagram&)>;

inline Match Any() {
  return [](const Datagram&) { return true; };
}
// A request (or response) sent by the end `from`.
inline Match RequestFrom(Exchange& x, Side from, bool response = false) {
  const Bytes address = PeerOf(x, from).local().address;
  return [address, response](const Datagram& d) {
    const std::optional<Header> h = HeaderOf(d);
    return h && d.source.address == address && h->response() == response;
  };
}
inline Match ResponseFrom(Exchange& x, Side from) { return RequestFrom(x, from, true); }
inline Match Exchanged(Match m, iana::ExchangeType exchange) {
  return [m = std::move(m), exchange](const Datagram& d) {
    const std::optional<Header> h = HeaderOf(d);
    return h && h->exchange_type == exchange && m(d);
  };
}

// The oldest datagram in flight that `match` accepts, taken off the queue.
inline std::optional<Datagram> TakeFirst(Exchange& x, const Match& match) {
  auto& q = x.network().in_flight;
  for (auto it = q.begin(); it != q.end(); ++it) {
    if (!match(it->datagram)) continue;
    Datagram d = std::move(it->datagram);
    q.erase(it);
    return d;
  }
  return std::nullopt;
}
inline bool DeliverFirst(Exchange& x, const Match& match) {
  std::optional<Datagram> d = TakeFirst(x, match);
  if (d) x.Deliver(*d);
  return d.has_value();
}
inline bool DropFirst(Exchange& x, const Match& match) { return TakeFirst(x, match).has_value(); }
inline size_t CountInFlight(Exchange& x, const Match& match) {
  size_t n = 0;
  for (const auto& s : x.network().in_flight) n += match(s.datagram) ? 1 : 0;
  return n;
}

// --- What the ends built (the Recorder holds messages before encryption) ---

// The payloads of a message as built: the inner ones of an encrypted
// message (the Recorder keeps messages before encryption).
inline const std::vector<Payload>& PayloadsOf(const Message& m) { return m.inner.empty() ? m.payloads : m.inner; }
template <typename Body>
const Body* BodyIn(const Message& m) {
  for (const Payload& p : PayloadsOf(m))
    if (const Body* b = p.as<Body>()) return b;
  return nullptr;
}
inline const NotifyPayload* NotifyIn(const Message& m, iana::NotifyType type) {
  for (const Payload& p : PayloadsOf(m))
    if (const NotifyPayload* n = p.as<NotifyPayload>(); n != nullptr && n->notify_message_type == type) return n;
  return nullptr;
}
inline const Bytes* NonceIn(const Message& m) {
  const NoncePayload* n = BodyIn<NoncePayload>(m);
  return n == nullptr ? nullptr : &n->nonce_data;
}
inline const Proposal* ProposalIn(const Message& m) {
  const SaPayload* sa = BodyIn<SaPayload>(m);
  return sa == nullptr || sa->proposals.empty() ? nullptr : &sa->proposals.front();
}
// The SPI in the first proposal of the message's SA payload (an ESP/AH SPI
// of 4 octets or an IKE SPI of 8), 0 if none.
inline uint64_t ProposedSpi(const Message& m) {
  const Proposal* p = ProposalIn(m);
  if (p == nullptr) return 0;
  uint64_t spi = 0;
  for (uint8_t b : p->spi) spi = spi << 8 | b;
  return spi;
}
inline bool IsResponse(const Message& m) { return m.header.response(); }
// The messages of `exchange` a log holds, from index `from` on.
inline std::vector<const Message*> Built(const Recorder& log, iana::ExchangeType exchange, size_t from = 0) {
  std::vector<const Message*> out;
  for (size_t i = from; i < log.built.size(); ++i)
    if (log.built[i].header.exchange_type == exchange) out.push_back(&log.built[i]);
  return out;
}
inline std::vector<std::string> Ladders(const Recorder& log, size_t from = 0) {
  std::vector<std::string> out;
  for (size_t i = from; i < log.built.size(); ++i) out.push_back(ipsecref::testing::Ladder(log.built[i]));
  return out;
}
// Both ends' events and built messages, for failure messages.
inline std::string Transcript(Exchange& x) {
  std::string out;
  for (Side side : {Side::kInitiator, Side::kResponder}) {
    out += fmt::format("--- {}\n", Name(side));
    for (const std::string& l : Ladders(LogOf(x, side))) out += "  built " + l + "\n";
    for (const Event& e : PeerOf(x, side).events()) out += fmt::format("  {:>9} {}\n", e.at, e.text);
  }
  return out;
}
inline bool Lower(ByteSpan a, ByteSpan b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

// --- The state both ends must agree on ---

// The two ends of one CHILD SA: SPIs crosswise, keys crosswise, the same
// transforms, selectors mirrored.
inline void ExpectPaired(const ChildSa& a, const ChildSa& b) {
  EXPECT_EQ(a.spi_in, b.spi_out);
  EXPECT_EQ(a.spi_out, b.spi_in);
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.suite, b.suite);
  EXPECT_TRUE(a.encr_out() == b.encr_in())
      << "CHILD SA " << a.spi_in << ": outbound key differs from the peer's inbound";
  EXPECT_TRUE(a.encr_in() == b.encr_out())
      << "CHILD SA " << a.spi_in << ": inbound key differs from the peer's outbound";
  EXPECT_TRUE(a.integ_out() == b.integ_in());
  EXPECT_TRUE(a.integ_in() == b.integ_out());
  EXPECT_EQ(a.local_ts, b.remote_ts);
  EXPECT_EQ(a.remote_ts, b.local_ts);
  EXPECT_EQ(a.transport_mode, b.transport_mode);
  EXPECT_FALSE(a.encr_out().empty());
}

// The two ends of one IKE SA: the same SPIs, opposite roles, the same keys,
// and CHILD SAs that pair up one to one.
inline void ExpectPaired(const IkeSa& a, const IkeSa& b) {
  EXPECT_EQ(a.spi_i, b.spi_i);
  EXPECT_EQ(a.spi_r, b.spi_r);
  EXPECT_NE(a.role, b.role);
  EXPECT_EQ(a.suite, b.suite);
  EXPECT_TRUE(a.keys.sk_d == b.keys.sk_d);
  EXPECT_TRUE(a.keys.sk_ei == b.keys.sk_ei);
  EXPECT_TRUE(a.keys.sk_er == b.keys.sk_er);
  EXPECT_TRUE(a.keys.sk_ai == b.keys.sk_ai);
  EXPECT_TRUE(a.keys.sk_ar == b.keys.sk_ar);
  ASSERT_EQ(a.children.size(), b.children.size()) << "CHILD SAs of IKE SA " << a.spi_i;
  for (const ChildSa& c : a.children) {
    size_t halves = 0;
    for (const ChildSa& d : b.children)
      if (d.spi_in == c.spi_out) {
        ++halves;
        ExpectPaired(c, d);
      }
    EXPECT_EQ(halves, 1u) << "CHILD SA " << c.spi_in << " has " << halves << " peer halves";
  }
}

struct Agreement {
  // The number of IKE SAs both must hold (nullopt: any, the same on both).
  std::optional<size_t> ike_sas = 1;
  // The number of CHILD SAs each IKE SA must hold (nullopt: any).
  std::optional<size_t> children;
  // Whether two CHILD SAs of one IKE SA may cover the same traffic (a test
  // that creates the same CHILD SA twice on purpose).
  bool duplicates_allowed = false;
};

// After quiescence: both ends hold the same IKE SAs, all ESTABLISHED, with
// the same CHILD SAs, all INSTALLED (no rekey or delete left half-done),
// none orphaned or duplicated.
inline void ExpectAgreement(Exchange& x, Agreement want = {}) {
  const std::vector<IkeSa*> a = x.initiator().IkeSas(), b = x.responder().IkeSas();
  ASSERT_EQ(a.size(), b.size()) << "the ends hold different numbers of IKE SAs";
  if (want.ike_sas) {
    ASSERT_EQ(a.size(), *want.ike_sas);
  }
  for (const IkeSa* s : a) {
    const IkeSa* peer = nullptr;
    for (const IkeSa* t : b)
      if (t->spi_i == s->spi_i && t->spi_r == s->spi_r) peer = t;
    ASSERT_NE(peer, nullptr) << "IKE SA " << s->spi_i << " has no peer half";
    EXPECT_EQ(s->state, IkeState::kEstablished) << Name(s->state);
    EXPECT_EQ(peer->state, IkeState::kEstablished) << Name(peer->state);
    if (want.children) {
      EXPECT_EQ(s->children.size(), *want.children);
    }
    ExpectPaired(*s, *peer);
    for (const IkeSa* end : {s, peer}) {
      for (size_t i = 0; i < end->children.size(); ++i) {
        const ChildSa& c = end->children[i];
        EXPECT_EQ(c.state, ChildState::kInstalled)
            << "CHILD SA " << c.spi_in << " left in state " << static_cast<int>(c.state);
        for (size_t j = i + 1; j < end->children.size() && !want.duplicates_allowed; ++j)
          EXPECT_FALSE(end->children[j].config_name == c.config_name && end->children[j].local_ts == c.local_ts &&
                       end->children[j].remote_ts == c.remote_ts)
              << "CHILD SAs " << c.spi_in << " and " << end->children[j].spi_in << " duplicate each other";
      }
    }
  }
}

// Message IDs in step (RFC 7296 §2.2): each end's next request is taken and
// answered by the other, on every IKE SA, with nothing else outstanding.
inline void ExpectMessageIdsInStep(Exchange& x) {
  for (Side side : {Side::kInitiator, Side::kResponder}) {
    for (IkeSa* sa : PeerOf(x, side).IkeSas()) {
      const uint64_t spi = sa->local_spi();
      const size_t built = LogOf(x, Other(side)).built.size();
      ASSERT_TRUE(PeerOf(x, side).CheckLiveness(spi).ok());
      x.Settle(kQuiescence);
      EXPECT_NE(PeerOf(x, side).Find(spi), nullptr) << Name(side) << "'s liveness check went unanswered\n"
                                                    << Transcript(x);
      EXPECT_GT(LogOf(x, Other(side)).built.size(), built) << "no response to " << Name(side) << "'s liveness check";
    }
  }
  EXPECT_FALSE(x.initiator().NextDeadline().has_value());
  EXPECT_FALSE(x.responder().NextDeadline().has_value());
}

// The only IKE SA of an end (null with a failure otherwise).
inline IkeSa* OnlyIkeSa(Exchange& x, Side side) {
  IkeSa* sa = x.OnlyIkeSa(PeerOf(x, side));
  EXPECT_NE(sa, nullptr) << Name(side) << " holds " << PeerOf(x, side).IkeSas().size() << " IKE SAs, not one";
  return sa;
}

}  // namespace ipsecref::ike::sa::exchange_testing
