#include "interop/deviations/deviations.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <deque>

#include "reference/crypto/ke.h"
#include "reference/crypto/transforms.h"
#include "reference/ike/sa/ike_sa.h"
#include "reference/ike/sa/peer.h"

namespace ipsecref::deviations {

using iana::ExchangeType;
using iana::PayloadType;
using ike::Message;
using ike::Payload;
using ike::SkCrypter;
using ike::sa::IkeSa;

std::string_view Name(Kind kind) { return kind == Kind::kFlow ? "flow" : "content"; }

namespace {

bool SameAddress(const ike::sa::Datagram& d, const ike::sa::Endpoint& e, bool source) {
  return (source ? d.source.address : d.destination.address) == e.address;
}

// The address the target has on the network: its own, or the NAT's outside
// one when it sits behind the harness's NAT.
ike::sa::Endpoint SeenAt(const Target& t) {
  const testing::Network& n = t.exchange.network();
  if (n.nat && n.nat->inside_address.address == t.peer.local().address) return n.nat->outside;
  return t.peer.local();
}

}  // namespace

bool Target::From(const ike::sa::Datagram& d) const { return SameAddress(d, SeenAt(*this), true); }
bool Target::To(const ike::sa::Datagram& d) const { return SameAddress(d, SeenAt(*this), false); }

namespace {

// ---------------------------------------------------------------------------
// Hooks: which messages a content deviation changes, and the chain that
// runs several deviations on one peer.

enum class Direction : uint8_t { kAny, kRequest, kResponse };

struct Selector {
  std::optional<ExchangeType> exchange;  // nullopt: any exchange
  Direction direction = Direction::kAny;
  bool encrypted = false;  // only messages protected by SK (every exchange after IKE_SA_INIT)
  bool once = true;        // only the first message that matches (and its retransmissions)
};

class MessageHooks final : public ike::sa::Hooks {
 public:
  explicit MessageHooks(Selector s) : selector_(s) {}
  // `NAME@EXCHANGE`: the first message of that exchange instead.
  void Retarget(ExchangeType exchange) {
    selector_.exchange = exchange;
    selector_.encrypted = false;
    selector_.once = true;
  }

  std::function<void(const IkeSa&, Message&)> built;
  std::function<void(const IkeSa&, const Message&, SkCrypter::ProtectOptions&)> protect;
  std::function<void(const IkeSa&, const Message&, std::vector<Bytes>&)> encoded;
  std::function<bool(const IkeSa&, uint32_t)> retransmit;

  void OnBuilt(const IkeSa& sa, Message& m) override {
    if (built && Selects(m)) built(sa, m);
  }
  void OnProtect(const IkeSa& sa, const Message& m, SkCrypter::ProtectOptions& o) override {
    if (protect && Selects(m)) protect(sa, m, o);
  }
  void OnEncoded(const IkeSa& sa, const Message& m, std::vector<Bytes>& datagrams) override {
    if (encoded && Selects(m)) encoded(sa, m, datagrams);
  }
  bool OnRetransmit(const IkeSa& sa, uint32_t message_id) override { return !retransmit || retransmit(sa, message_id); }

 private:
  using Key = std::tuple<ExchangeType, bool, uint32_t>;
  bool Selects(const Message& m) {
    const ike::Header& h = m.header;
    if (selector_.exchange && h.exchange_type != *selector_.exchange) return false;
    if (selector_.direction == Direction::kRequest && h.response()) return false;
    if (selector_.direction == Direction::kResponse && !h.response()) return false;
    if (selector_.encrypted && h.exchange_type == ExchangeType::kIkeSaInit) return false;
    if (!selector_.once) return true;
    const Key key{h.exchange_type, h.response(), h.message_id};
    if (!chosen_) chosen_ = key;
    return *chosen_ == key;
  }

  Selector selector_;
  std::optional<Key> chosen_;
};

class HookChain final : public ike::sa::Hooks {
 public:
  std::vector<std::unique_ptr<ike::sa::Hooks>> links;
  ike::sa::Hooks* tail = nullptr;  // what the peer had before

  void OnBuilt(const IkeSa& sa, Message& m) override {
    for (auto& l : links) l->OnBuilt(sa, m);
    if (tail != nullptr) tail->OnBuilt(sa, m);
  }
  void OnProtect(const IkeSa& sa, const Message& m, SkCrypter::ProtectOptions& o) override {
    for (auto& l : links) l->OnProtect(sa, m, o);
    if (tail != nullptr) tail->OnProtect(sa, m, o);
  }
  void OnEncoded(const IkeSa& sa, const Message& m, std::vector<Bytes>& datagrams) override {
    for (auto& l : links) l->OnEncoded(sa, m, datagrams);
    if (tail != nullptr) tail->OnEncoded(sa, m, datagrams);
  }
  bool OnRetransmit(const IkeSa& sa, uint32_t message_id) override {
    bool send = true;
    for (auto& l : links) send = l->OnRetransmit(sa, message_id) && send;
    return (tail == nullptr || tail->OnRetransmit(sa, message_id)) && send;
  }
};

// The payloads a sender builds: the plain ones of IKE_SA_INIT, the inner
// ones of an encrypted message.
std::vector<Payload>& Built(Message& m) {
  return m.header.exchange_type == ExchangeType::kIkeSaInit ? m.payloads : m.inner;
}

Payload* First(Message& m, PayloadType type) {
  for (Payload& p : Built(m))
    if (p.type == type) return &p;
  return nullptr;
}

template <typename Body>
Body* FirstBody(Message& m, PayloadType type) {
  Payload* p = First(m, type);
  return p == nullptr ? nullptr : std::get_if<Body>(&p->body);
}

Payload Make(PayloadType type, ike::PayloadBody body, bool critical = false) {
  Payload p;
  p.type = type;
  p.critical = critical;
  p.body = std::move(body);
  return p;
}

Installed WithHooks(std::unique_ptr<MessageHooks> h) {
  Installed i;
  i.hooks = std::move(h);
  return i;
}

// A content deviation that rewrites the built message.
Installed Rewrite(Selector s, std::function<void(const IkeSa&, Message&)> f) {
  auto h = std::make_unique<MessageHooks>(s);
  h->built = std::move(f);
  return WithHooks(std::move(h));
}

// A deviation that rewrites the encoded datagrams of a message.
Installed RewriteDatagrams(Selector s, std::function<void(const IkeSa&, const Message&, std::vector<Bytes>&)> f) {
  auto h = std::make_unique<MessageHooks>(s);
  h->encoded = std::move(f);
  return WithHooks(std::move(h));
}

Installed ChangeProtection(Selector s,
                           std::function<void(const IkeSa&, const Message&, SkCrypter::ProtectOptions&)> f) {
  auto h = std::make_unique<MessageHooks>(s);
  h->protect = std::move(f);
  return WithHooks(std::move(h));
}

constexpr Selector kInit{ExchangeType::kIkeSaInit, Direction::kAny, false, true};
constexpr Selector kAuth{ExchangeType::kIkeAuth, Direction::kAny, false, true};
constexpr Selector kFirstEncrypted{std::nullopt, Direction::kAny, true, true};
constexpr Selector kEvery{std::nullopt, Direction::kAny, false, false};
constexpr Selector kInformational{ExchangeType::kInformational, Direction::kAny, false, true};
constexpr Selector kEveryEncrypted{std::nullopt, Direction::kAny, true, false};

// ---------------------------------------------------------------------------
// Flow: the Nth datagram the target sends ("out") or receives ("in").

enum class Way : uint8_t { kOut, kIn };

// Calls `act` with the count of datagrams the target sent (or was sent) so
// far, this one included, for each datagram going that way; other
// datagrams pass with count 0.
FlowFilter Counting(const Target& t, Way way, std::function<void(uint64_t, const testing::Sent&, FlowVerdict&)> act) {
  auto count = std::make_shared<uint64_t>(0);
  const Target target = t;
  return [target, way, count, act = std::move(act)](const testing::Sent& s, FlowVerdict& v) {
    const bool ours = way == Way::kOut ? target.From(s.datagram) : target.To(s.datagram);
    act(ours ? ++*count : 0, s, v);
  };
}

Result<Installed> Drop(const Target& t, Way way, uint64_t n) {
  Installed i;
  i.filter = Counting(t, way, [n](uint64_t k, const testing::Sent&, FlowVerdict& v) {
    if (k == n) v.deliver = false;
  });
  return i;
}

Result<Installed> Duplicate(const Target& t, Way way, uint64_t n) {
  Installed i;
  i.filter = Counting(t, way, [n](uint64_t k, const testing::Sent& s, FlowVerdict& v) {
    if (k == n) v.then.push_back({s.datagram, true});
  });
  return i;
}

// The Nth datagram goes through; a copy follows the next datagram going
// the same way (an old message replayed).
Result<Installed> Replay(const Target& t, Way way, uint64_t n) {
  auto kept = std::make_shared<std::optional<ike::sa::Datagram>>();
  Installed i;
  i.filter = Counting(t, way, [n, kept](uint64_t k, const testing::Sent& s, FlowVerdict& v) {
    if (k == n) *kept = s.datagram;
    if (k == n + 1 && *kept) {
      v.then.push_back({**kept, true});
      kept->reset();
    }
  });
  return i;
}

// The Nth datagram is held back until the next datagram either peer
// sends, and arrives after it.
Result<Installed> Delay(const Target& t, Way way, uint64_t n) {
  auto held = std::make_shared<std::optional<ike::sa::Datagram>>();
  Installed i;
  i.filter = Counting(t, way, [n, held](uint64_t k, const testing::Sent& s, FlowVerdict& v) {
    if (*held) {
      v.then.push_back({**held, false});
      held->reset();
    }
    if (k == n) {
      *held = s.datagram;
      v.deliver = false;
    }
  });
  return i;
}

Result<Installed> Block(const Target& t, Way way, uint64_t n) {
  Installed i;
  i.filter = Counting(t, way, [n](uint64_t k, const testing::Sent&, FlowVerdict& v) {
    if (k >= n) v.deliver = false;
  });
  return i;
}

// ---------------------------------------------------------------------------
// Content helpers

// Sets every RESERVED bit of each payload's generic header in an
// unencrypted message (the C bit is kept).
void SetPayloadHeaderReserved(Bytes& datagram) {
  auto m = ike::Decode(datagram);
  if (!m) return;
  for (const Payload& p : m->payloads) datagram[p.offset + 1] |= 0x7f;
}

void SetKeReserved(Bytes& datagram) {
  auto m = ike::Decode(datagram);
  if (!m) return;
  for (const Payload& p : m->payloads)
    if (p.type == PayloadType::kKe) StoreU16(&datagram[p.offset + ike::kGenericPayloadHeaderSize + 2], 0xffff);
}

// The Pad Length that keeps inner payloads, padding and Pad Length a
// multiple of the cipher's block size, as large as the octet allows.
std::optional<uint8_t> LargestPadLength(const IkeSa& sa, const Message& m) {
  const crypto::EncrTransform* encr = crypto::FindEncr(sa.suite.encr);
  if (encr == nullptr) return std::nullopt;
  ByteWriter w;
  if (!ike::EncodePayloads(m.inner, w)) return std::nullopt;
  const size_t block = std::max<size_t>(encr->block_size, 1);
  for (size_t pad = 255;; --pad) {
    if ((w.size() + pad + 1) % block == 0) return static_cast<uint8_t>(pad);
    if (pad == 0) return std::nullopt;
  }
}

std::optional<uint8_t> SmallestNonZeroPadLength(const IkeSa& sa, const Message& m) {
  const crypto::EncrTransform* encr = crypto::FindEncr(sa.suite.encr);
  if (encr == nullptr) return std::nullopt;
  ByteWriter w;
  if (!ike::EncodePayloads(m.inner, w)) return std::nullopt;
  const size_t block = std::max<size_t>(encr->block_size, 1);
  for (size_t pad = 1; pad <= 255; ++pad)
    if ((w.size() + pad + 1) % block == 0) return static_cast<uint8_t>(pad);
  return std::nullopt;
}

void ForEachProposal(Message& m, const std::function<void(ike::Proposal&)>& f) {
  if (auto* sa = FirstBody<ike::SaPayload>(m, PayloadType::kSa))
    for (ike::Proposal& p : sa->proposals) f(p);
}

Result<Installed> KeyLength(uint64_t bits) {
  return Rewrite(kInit, [bits](const IkeSa&, Message& m) {
    ForEachProposal(m, [bits](ike::Proposal& p) {
      for (ike::Transform& t : p.transforms) {
        if (t.type != iana::TransformType::kEncr) continue;
        std::erase_if(t.attributes, [](const ike::TransformAttribute& a) {
          return a.type == static_cast<uint16_t>(iana::TransformAttribute::kKeyLength);
        });
        t.attributes.push_back(
            {static_cast<uint16_t>(iana::TransformAttribute::kKeyLength), static_cast<uint16_t>(bits)});
      }
    });
  });
}

Result<Installed> UnknownPayload(Selector s, uint64_t type, bool critical) {
  ENSURE(!ike::IsKnownPayloadType(static_cast<PayloadType>(type)), kInvalidArgument, kNoOffset, "",
         fmt::format("payload type {} ({}) is one the reference knows; pick an unassigned one (e.g. 200)", type,
                     ike::PayloadTypeLabel(static_cast<PayloadType>(type))));
  return Rewrite(s, [type, critical](const IkeSa&, Message& m) {
    const std::string_view text = "ipsecref deviation";
    Built(m).push_back(
        Make(static_cast<PayloadType>(type), ike::UnknownPayload{Bytes(text.begin(), text.end())}, critical));
  });
}

Result<Installed> Omit(Selector s, PayloadType type) {
  return Rewrite(s, [type](const IkeSa&, Message& m) {
    std::erase_if(Built(m), [type](const Payload& p) { return p.type == type; });
  });
}

Result<Installed> ReplaceKeData(std::function<void(Bytes&)> f) {
  return Rewrite(kInit, [f = std::move(f)](const IkeSa&, Message& m) {
    if (auto* ke = FirstBody<ike::KePayload>(m, PayloadType::kKe)) f(ke->key_exchange_data);
  });
}

Result<Installed> AddNotify(uint64_t type) {
  return Rewrite(kInit, [type](const IkeSa&, Message& m) {
    ike::NotifyPayload n;
    n.notify_message_type = static_cast<iana::NotifyType>(type);
    Built(m).push_back(Make(PayloadType::kNotify, n));
  });
}

// ---------------------------------------------------------------------------
// The table

constexpr Argument kNone{};
constexpr Argument Nth(uint64_t fallback = 1) { return {"N", fallback, 1, 1'000'000}; }

std::vector<Deviation> MakeTable() {
  std::vector<Deviation> t;
  // --- flow ---
  t.push_back({"drop-out", Kind::kFlow, "The Nth datagram the target sends is lost.", Nth(),
               "the Nth datagram the target sends", "DeviationReaction.LostRequestIsRetransmitted",
               [](const Target& x, uint64_t n) { return Drop(x, Way::kOut, n); }});
  t.push_back({"drop-in", Kind::kFlow, "The Nth datagram sent to the target is lost.", Nth(),
               "the Nth datagram sent to the target", "DeviationReaction.LostResponseIsResentFromCache",
               [](const Target& x, uint64_t n) { return Drop(x, Way::kIn, n); }});
  t.push_back({"duplicate-out", Kind::kFlow, "The network delivers the Nth datagram the target sends twice.", Nth(),
               "the Nth datagram the target sends", "DeviationReaction.DuplicateRequestAnsweredFromCache",
               [](const Target& x, uint64_t n) { return Duplicate(x, Way::kOut, n); }});
  t.push_back({"duplicate-in", Kind::kFlow, "The network delivers the Nth datagram sent to the target twice.", Nth(),
               "the Nth datagram sent to the target", "DeviationReaction.DuplicateResponseDropped",
               [](const Target& x, uint64_t n) { return Duplicate(x, Way::kIn, n); }});
  t.push_back({"replay-out", Kind::kFlow,
               "The Nth datagram the target sends arrives, and a copy of it arrives again after the target's "
               "next datagram.",
               Nth(), "the Nth datagram the target sends", "DeviationReaction.ReplayedOldRequestDropped",
               [](const Target& x, uint64_t n) { return Replay(x, Way::kOut, n); }});
  t.push_back({"replay-in", Kind::kFlow,
               "The Nth datagram sent to the target arrives, and a copy of it arrives again after the next "
               "datagram sent to the target.",
               Nth(), "the Nth datagram sent to the target", "DeviationReaction.ReplayedResponseDropped",
               [](const Target& x, uint64_t n) { return Replay(x, Way::kIn, n); }});
  t.push_back({"delay-out", Kind::kFlow,
               "The Nth datagram the target sends is held back until the next datagram either peer sends, "
               "and arrives after it.",
               Nth(), "the Nth datagram the target sends", "DeviationReaction.DelayedRequestAnsweredOnce",
               [](const Target& x, uint64_t n) { return Delay(x, Way::kOut, n); }});
  t.push_back({"delay-in", Kind::kFlow,
               "The Nth datagram sent to the target is held back until the next datagram either peer sends, "
               "and arrives after it.",
               Nth(), "the Nth datagram sent to the target", "DeviationReaction.DelayedResponseStillCompletes",
               [](const Target& x, uint64_t n) { return Delay(x, Way::kIn, n); }});
  t.push_back({"block-out", Kind::kFlow, "From the Nth datagram on, nothing the target sends arrives.", Nth(),
               "the target's datagrams from the Nth", "DeviationReaction.SilentPeerDeclaredDead",
               [](const Target& x, uint64_t n) { return Block(x, Way::kOut, n); }});
  t.push_back({"block-in", Kind::kFlow, "From the Nth datagram on, nothing sent to the target arrives.", Nth(),
               "datagrams to the target from the Nth", "DeviationReaction.UnreachableInitiatorGivesUp",
               [](const Target& x, uint64_t n) { return Block(x, Way::kIn, n); }});
  t.push_back({"no-retransmit", Kind::kFlow, "The target never retransmits a request.", kNone, "every retransmission",
               "DeviationReaction.NoRetransmissionInitiatorGivesUp", [](const Target&, uint64_t) -> Result<Installed> {
                 auto h = std::make_unique<MessageHooks>(kEvery);
                 h->retransmit = [](const IkeSa&, uint32_t) { return false; };
                 return WithHooks(std::move(h));
               }});
  t.push_back({"send-twice", Kind::kFlow, "The target sends every datagram twice in a row.", kNone, "every message",
               "DeviationReaction.EveryRequestTwiceAnsweredFromCache", [](const Target&, uint64_t) {
                 return RewriteDatagrams(kEvery, [](const IkeSa&, const Message&, std::vector<Bytes>& d) {
                   std::vector<Bytes> twice;
                   for (const Bytes& b : d) {
                     twice.push_back(b);
                     twice.push_back(b);
                   }
                   d = std::move(twice);
                 });
               }});
  t.push_back(
      {"reverse-fragments", Kind::kFlow, "The target sends the SKF fragments of a message last first.", kNone,
       "every fragmented message", "DeviationReaction.ReversedFragmentsReassembled", [](const Target&, uint64_t) {
         return RewriteDatagrams(
             kEvery, [](const IkeSa&, const Message&, std::vector<Bytes>& d) { std::reverse(d.begin(), d.end()); });
       }});
  t.push_back({"drop-fragment", Kind::kFlow,
               "The target never sends fragment N of a fragmented message (nor in its retransmissions).", Nth(),
               "every fragmented message with at least N fragments", "DeviationReaction.MissingFragmentNeverAnswered",
               [](const Target&, uint64_t n) {
                 return RewriteDatagrams(kEvery, [n](const IkeSa&, const Message&, std::vector<Bytes>& d) {
                   if (d.size() > 1 && n <= d.size()) d.erase(d.begin() + static_cast<ptrdiff_t>(n - 1));
                 });
               }});

  // --- content: the IKE header ---
  t.push_back({"major-version",
               Kind::kContent,
               "The header's Major Version is V.",
               {"V", 3, 0, 15},
               "IKE_SA_INIT (the target's first message)",
               "DeviationReaction.MajorVersionThreeDropped",
               [](const Target&, uint64_t v) {
                 return Rewrite(kInit,
                                [v](const IkeSa&, Message& m) { m.header.major_version = static_cast<uint8_t>(v); });
               }});
  t.push_back({"minor-version",
               Kind::kContent,
               "The header's Minor Version is V.",
               {"V", 1, 0, 15},
               "IKE_SA_INIT",
               "DeviationReaction.MinorVersionIgnored",
               [](const Target&, uint64_t v) {
                 return Rewrite(kInit,
                                [v](const IkeSa&, Message& m) { m.header.minor_version = static_cast<uint8_t>(v); });
               }});
  t.push_back({"version-flag", Kind::kContent, "The V (higher version) flag is set.", kNone, "IKE_SA_INIT",
               "DeviationReaction.VersionFlagIgnored", [](const Target&, uint64_t) {
                 return Rewrite(kInit, [](const IkeSa&, Message& m) { m.header.flags |= ike::kFlagVersion; });
               }});
  t.push_back({"reserved-flags", Kind::kContent, "Every reserved bit of the header's Flags is set.", kNone,
               "IKE_SA_INIT", "DeviationReaction.ReservedFlagsIgnored", [](const Target&, uint64_t) {
                 return Rewrite(kInit, [](const IkeSa&, Message& m) { m.header.flags |= ike::kFlagsReserved; });
               }});
  t.push_back({"flip-response-flag", Kind::kContent, "The R flag is inverted (a request reads as a response).", kNone,
               "IKE_SA_INIT", "DeviationReaction.RequestMarkedResponseNotAnswered", [](const Target&, uint64_t) {
                 return Rewrite(kInit, [](const IkeSa&, Message& m) { m.header.flags ^= ike::kFlagResponse; });
               }});
  t.push_back({"flip-initiator-flag", Kind::kContent,
               "The I flag is inverted in the first encrypted message (the receiver looks for the wrong SPI).", kNone,
               "the first encrypted message", "DeviationReaction.WrongInitiatorFlagGetsInvalidIkeSpi",
               [](const Target&, uint64_t) {
                 return Rewrite(kFirstEncrypted,
                                [](const IkeSa&, Message& m) { m.header.flags ^= ike::kFlagInitiator; });
               }});
  t.push_back({"wrong-spi", Kind::kContent,
               "The peer's IKE SPI in the header of the first encrypted message has its low octet inverted.", kNone,
               "the first encrypted message", "DeviationReaction.UnknownSpiGetsInvalidIkeSpi",
               [](const Target&, uint64_t) {
                 return Rewrite(kFirstEncrypted, [](const IkeSa& sa, Message& m) {
                   (sa.role == ike::sa::Role::kInitiator ? m.header.spi_r : m.header.spi_i) ^= 0xff;
                 });
               }});
  t.push_back({"wrong-message-id",
               Kind::kContent,
               "The Message ID of the first encrypted message is K higher than it should be.",
               {"K", 5, 1, 1u << 31},
               "the first encrypted message",
               "DeviationReaction.MessageIdOutsideWindowDropped",
               [](const Target&, uint64_t k) {
                 return Rewrite(kFirstEncrypted,
                                [k](const IkeSa&, Message& m) { m.header.message_id += static_cast<uint32_t>(k); });
               }});

  // --- content: RESERVED fields ---
  t.push_back({"reserved-payload-headers", Kind::kContent,
               "Every RESERVED bit of every payload's generic header is set.", kNone, "IKE_SA_INIT",
               "DeviationReaction.ReservedFieldsIgnored", [](const Target&, uint64_t) {
                 return RewriteDatagrams(kInit, [](const IkeSa&, const Message&, std::vector<Bytes>& d) {
                   for (Bytes& b : d) SetPayloadHeaderReserved(b);
                 });
               }});
  t.push_back({"reserved-ke", Kind::kContent, "The KE payload's RESERVED field is 0xffff.", kNone, "IKE_SA_INIT",
               "DeviationReaction.KeReservedIgnored", [](const Target&, uint64_t) {
                 return RewriteDatagrams(kInit, [](const IkeSa&, const Message&, std::vector<Bytes>& d) {
                   for (Bytes& b : d) SetKeReserved(b);
                 });
               }});

  // --- content: SK protection ---
  t.push_back({"corrupt-icv", Kind::kContent,
               "The last octet of the Integrity Checksum Data of the first encrypted message (and its "
               "retransmissions) is inverted.",
               kNone, "the first encrypted message", "DeviationReaction.CorruptIcvDroppedSilently",
               [](const Target&, uint64_t) {
                 return RewriteDatagrams(kFirstEncrypted, [](const IkeSa&, const Message&, std::vector<Bytes>& d) {
                   for (Bytes& b : d) b.back() ^= 0xff;
                 });
               }});
  t.push_back({"pad-max", Kind::kContent,
               "SK carries the most padding that keeps the block alignment (Pad Length up to 255).", kNone,
               "every encrypted message", "DeviationReaction.MaximalPaddingAccepted", [](const Target&, uint64_t) {
                 return ChangeProtection({std::nullopt, Direction::kAny, true, false},
                                         [](const IkeSa& sa, const Message& m, SkCrypter::ProtectOptions& o) {
                                           o.pad_length = LargestPadLength(sa, m);
                                         });
               }});
  t.push_back({"pad-nonzero", Kind::kContent,
               "SK's padding is the least non-empty aligned padding, of octets 0xa5 instead of zeros.", kNone,
               "every encrypted message", "DeviationReaction.NonZeroPaddingAccepted", [](const Target&, uint64_t) {
                 return ChangeProtection({std::nullopt, Direction::kAny, true, false},
                                         [](const IkeSa& sa, const Message& m, SkCrypter::ProtectOptions& o) {
                                           o.pad_length = SmallestNonZeroPadLength(sa, m);
                                           if (o.pad_length) o.padding_bytes = Bytes(*o.pad_length, 0xa5);
                                         });
               }});
  t.push_back({"iv-zero", Kind::kContent, "SK's IV is all zeros in every encrypted message (a repeated IV).", kNone,
               "every encrypted message", "Every/DeviationChanges.WhatItSays/iv_zero", [](const Target&, uint64_t) {
                 return ChangeProtection({std::nullopt, Direction::kAny, true, false},
                                         [](const IkeSa& sa, const Message&, SkCrypter::ProtectOptions& o) {
                                           if (const auto* e = crypto::FindEncr(sa.suite.encr))
                                             o.iv = Bytes(e->iv_size, 0);
                                         });
               }});

  // --- content: payloads ---
  t.push_back({"omit-sa", Kind::kContent, "The SA payload is left out.", kNone, "IKE_SA_INIT",
               "DeviationReaction.MissingSaDropped",
               [](const Target&, uint64_t) { return Omit(kInit, PayloadType::kSa); }});
  t.push_back({"omit-ke", Kind::kContent, "The KE payload is left out.", kNone, "IKE_SA_INIT",
               "DeviationReaction.MissingKeDropped",
               [](const Target&, uint64_t) { return Omit(kInit, PayloadType::kKe); }});
  t.push_back({"omit-nonce", Kind::kContent, "The Nonce payload is left out.", kNone, "IKE_SA_INIT",
               "DeviationReaction.MissingNonceDropped",
               [](const Target&, uint64_t) { return Omit(kInit, PayloadType::kNonce); }});
  t.push_back({"omit-auth", Kind::kContent, "The AUTH payload is left out.", kNone, "IKE_AUTH",
               "DeviationReaction.MissingAuthGetsAuthenticationFailed",
               [](const Target&, uint64_t) { return Omit(kAuth, PayloadType::kAuth); }});
  t.push_back({"omit-tsi", Kind::kContent, "The TSi payload is left out (SA and TSr stay).", kNone, "IKE_AUTH",
               "DeviationReaction.MissingTsiGetsInvalidSyntax",
               [](const Target&, uint64_t) { return Omit(kAuth, PayloadType::kTsi); }});
  t.push_back({"duplicate-nonce", Kind::kContent, "The Nonce payload appears twice.", kNone, "IKE_SA_INIT",
               "DeviationReaction.TwoNoncesDropped", [](const Target&, uint64_t) {
                 return Rewrite(kInit, [](const IkeSa&, Message& m) {
                   std::vector<Payload>& ps = Built(m);
                   auto it = std::find_if(ps.begin(), ps.end(),
                                          [](const Payload& p) { return p.type == PayloadType::kNonce; });
                   if (it != ps.end()) ps.insert(it + 1, *it);
                 });
               }});
  t.push_back({"add-vendor-id", Kind::kContent, "A Vendor ID payload (\"ipsecref deviation\") is added.", kNone,
               "IKE_SA_INIT", "DeviationReaction.VendorIdIgnored", [](const Target&, uint64_t) {
                 return Rewrite(kInit, [](const IkeSa&, Message& m) {
                   const std::string_view text = "ipsecref deviation";
                   Built(m).push_back(
                       Make(PayloadType::kVendorId, ike::VendorIdPayload{Bytes(text.begin(), text.end())}));
                 });
               }});
  t.push_back({"reverse-payloads", Kind::kContent, "The payloads are sent in reverse order.", kNone, "IKE_SA_INIT",
               "DeviationReaction.ReversedPayloadsAccepted", [](const Target&, uint64_t) {
                 return Rewrite(kInit,
                                [](const IkeSa&, Message& m) { std::reverse(Built(m).begin(), Built(m).end()); });
               }});
  t.push_back({"unknown-payload",
               Kind::kContent,
               "A payload of unassigned type T, not critical, is added (18 octets of data).",
               {"T", 200, 1, 255},
               "IKE_SA_INIT",
               "DeviationReaction.UnknownPayloadIgnored",
               [](const Target&, uint64_t type) { return UnknownPayload(kInit, type, false); }});
  t.push_back({"unknown-critical-payload",
               Kind::kContent,
               "A payload of unassigned type T with the critical bit set is added.",
               {"T", 200, 1, 255},
               "IKE_SA_INIT",
               "DeviationReaction.UnknownCriticalPayloadRejected",
               [](const Target&, uint64_t type) { return UnknownPayload(kInit, type, true); }});
  t.push_back({"unknown-critical-payload-encrypted",
               Kind::kContent,
               "A payload of unassigned type T with the critical bit set is added inside SK.",
               {"T", 200, 1, 255},
               "IKE_AUTH",
               "DeviationReaction.UnknownCriticalPayloadInSkRejected",
               [](const Target&, uint64_t type) { return UnknownPayload(kAuth, type, true); }});
  t.push_back({"critical-known-payload", Kind::kContent, "The Nonce payload has the critical bit set.", kNone,
               "IKE_SA_INIT", "DeviationReaction.CriticalBitOnKnownPayloadIgnored", [](const Target&, uint64_t) {
                 return Rewrite(kInit, [](const IkeSa&, Message& m) {
                   if (Payload* p = First(m, PayloadType::kNonce)) p->critical = true;
                 });
               }});

  // --- content: KE ---
  t.push_back({"ke-wrong-group",
               Kind::kContent,
               "The KE payload carries a valid public value of group G instead of the proposed group.",
               {"G", 19, 1, 65535},
               "IKE_SA_INIT",
               "DeviationReaction.WrongKeGroupGetsInvalidKePayload",
               [](const Target&, uint64_t g) -> Result<Installed> {
                 auto rng = crypto::MakeDeterministicRng(g);
                 TRY_ASSIGN(auto ke, crypto::MakeKeyExchange(static_cast<iana::KeGroup>(g), *rng));
                 Bytes value(ke->public_value().begin(), ke->public_value().end());
                 return Rewrite(kInit, [g, value](const IkeSa&, Message& m) {
                   if (auto* p = FirstBody<ike::KePayload>(m, PayloadType::kKe)) {
                     p->group = static_cast<iana::KeGroup>(g);
                     p->key_exchange_data = value;
                   }
                 });
               }});
  t.push_back({"ke-truncate",
               Kind::kContent,
               "The Key Exchange Data is OCTETS octets shorter than its group's.",
               {"OCTETS", 1, 1, 1024},
               "IKE_SA_INIT",
               "DeviationReaction.ShortKeDropped",
               [](const Target&, uint64_t n) {
                 return ReplaceKeData([n](Bytes& d) { d.resize(d.size() > n ? d.size() - n : 0); });
               }});
  t.push_back({"ke-zero", Kind::kContent, "The Key Exchange Data is all zeros (its length kept).", kNone, "IKE_SA_INIT",
               "DeviationReaction.ZeroPublicValueDropped", [](const Target&, uint64_t) {
                 return ReplaceKeData([](Bytes& d) { std::fill(d.begin(), d.end(), 0); });
               }});
  t.push_back({"ke-out-of-range", Kind::kContent,
               "The Key Exchange Data is all 0xff octets: for MODP and ECP groups a value at or beyond the "
               "field prime.",
               kNone, "IKE_SA_INIT", "DeviationReaction.OutOfRangePublicValueDropped", [](const Target&, uint64_t) {
                 return ReplaceKeData([](Bytes& d) { std::fill(d.begin(), d.end(), 0xff); });
               }});

  // --- content: SA proposals ---
  t.push_back({"add-transform",
               Kind::kContent,
               "Each proposal gains an ENCR transform of unassigned ID (default 1024, private use).",
               {"ID", 1024, 0, 65535},
               "IKE_SA_INIT",
               "DeviationReaction.UnknownTransformIdSkipped",
               [](const Target&, uint64_t id) {
                 return Rewrite(kInit, [id](const IkeSa&, Message& m) {
                   ForEachProposal(m, [id](ike::Proposal& p) {
                     p.transforms.insert(p.transforms.begin(),
                                         ike::Transform{iana::TransformType::kEncr, static_cast<uint16_t>(id), {}});
                   });
                 });
               }});
  t.push_back({"add-transform-type",
               Kind::kContent,
               "Each proposal gains a transform of unassigned Transform Type T (default 250, private use).",
               {"T", 250, 0, 255},
               "IKE_SA_INIT",
               "DeviationReaction.UnknownTransformTypeProposalRejected",
               [](const Target&, uint64_t type) {
                 return Rewrite(kInit, [type](const IkeSa&, Message& m) {
                   ForEachProposal(m, [type](ike::Proposal& p) {
                     p.transforms.push_back(ike::Transform{static_cast<iana::TransformType>(type), 1, {}});
                   });
                 });
               }});
  t.push_back({"omit-transform",
               Kind::kContent,
               "Each proposal loses its transforms of Transform Type T.",
               {"T", 4, 1, 255},
               "IKE_SA_INIT",
               "DeviationReaction.ProposalWithoutKeRejected",
               [](const Target&, uint64_t type) {
                 return Rewrite(kInit, [type](const IkeSa&, Message& m) {
                   ForEachProposal(m, [type](ike::Proposal& p) {
                     std::erase_if(p.transforms,
                                   [type](const ike::Transform& x) { return static_cast<uint64_t>(x.type) == type; });
                   });
                 });
               }});
  t.push_back({"key-length",
               Kind::kContent,
               "Every ENCR transform's Key Length attribute is BITS (added where there was none).",
               {"BITS", 256, 0, 65535},
               "IKE_SA_INIT",
               "DeviationReaction.UnconfiguredKeyLengthRejected",
               [](const Target&, uint64_t bits) { return KeyLength(bits); }});
  t.push_back({"omit-key-length", Kind::kContent, "Every ENCR transform loses its Key Length attribute.", kNone,
               "IKE_SA_INIT", "DeviationReaction.MissingKeyLengthDropped", [](const Target&, uint64_t) {
                 return Rewrite(kInit, [](const IkeSa&, Message& m) {
                   ForEachProposal(m, [](ike::Proposal& p) {
                     for (ike::Transform& x : p.transforms)
                       if (x.type == iana::TransformType::kEncr) x.attributes.clear();
                   });
                 });
               }});
  t.push_back({"proposal-spi",
               Kind::kContent,
               "Each proposal carries an SPI of OCTETS octets (0x11 each).",
               {"OCTETS", 8, 1, 255},
               "IKE_SA_INIT",
               "DeviationReaction.SpiInInitialProposalDropped",
               [](const Target&, uint64_t n) {
                 return Rewrite(kInit, [n](const IkeSa&, Message& m) {
                   ForEachProposal(m, [n](ike::Proposal& p) { p.spi.assign(n, 0x11); });
                 });
               }});
  t.push_back({"proposal-number",
               Kind::kContent,
               "The first proposal's Proposal Num is NUM.",
               {"NUM", 2, 0, 255},
               "IKE_SA_INIT",
               "DeviationReaction.FirstProposalNotNumberOneDropped",
               [](const Target&, uint64_t n) {
                 return Rewrite(kInit, [n](const IkeSa&, Message& m) {
                   if (auto* sa = FirstBody<ike::SaPayload>(m, PayloadType::kSa); sa && !sa->proposals.empty())
                     sa->proposals.front().proposal_num = static_cast<uint8_t>(n);
                 });
               }});
  t.push_back({"extra-proposal", Kind::kContent,
               "The SA payload repeats its last proposal under the next Proposal Num (a responder then "
               "answers with two).",
               kNone, "IKE_SA_INIT", "DeviationReaction.ResponseWithTwoProposalsRejected", [](const Target&, uint64_t) {
                 return Rewrite(kInit, [](const IkeSa&, Message& m) {
                   if (auto* sa = FirstBody<ike::SaPayload>(m, PayloadType::kSa); sa && !sa->proposals.empty()) {
                     ike::Proposal p = sa->proposals.back();
                     ++p.proposal_num;
                     sa->proposals.push_back(std::move(p));
                   }
                 });
               }});

  // --- content: notifications ---
  t.push_back({"add-notify",
               Kind::kContent,
               "A Notify of status type TYPE (default 40000, unassigned) is added.",
               {"TYPE", 40000, 16384, 65535},
               "IKE_SA_INIT",
               "DeviationReaction.UnknownStatusNotifyIgnored",
               [](const Target&, uint64_t type) { return AddNotify(type); }});
  t.push_back({"add-error-notify",
               Kind::kContent,
               "A Notify of error type TYPE (default 8000, unassigned) is added.",
               {"TYPE", 8000, 1, 16383},
               "IKE_SA_INIT",
               "DeviationReaction.UnknownErrorNotifyInResponseFailsRequest",
               [](const Target&, uint64_t type) { return AddNotify(type); }});
  t.push_back({"omit-notify",
               Kind::kContent,
               "Notifies of type TYPE are left out (default IKEV2_FRAGMENTATION_SUPPORTED).",
               {"TYPE", 16430, 0, 65535},
               "IKE_SA_INIT",
               "DeviationReaction.FragmentationNotAnnouncedNotAnswered",
               [](const Target&, uint64_t type) {
                 return Rewrite(kInit, [type](const IkeSa&, Message& m) {
                   std::erase_if(Built(m), [type](const Payload& p) {
                     const auto* n = p.as<ike::NotifyPayload>();
                     return n != nullptr && static_cast<uint64_t>(n->notify_message_type) == type;
                   });
                 });
               }});

  // --- content: traffic selectors, nonces, authentication ---
  t.push_back({"ts-count",
               Kind::kContent,
               "TSi holds N traffic selectors: its first one repeated, or none for N=0.",
               {"N", 2, 0, 255},
               "IKE_AUTH",
               "DeviationReaction.EmptyTsiGetsInvalidSyntax",
               [](const Target&, uint64_t n) {
                 return Rewrite(kAuth, [n](const IkeSa&, Message& m) {
                   if (auto* ts = FirstBody<ike::TsPayload>(m, PayloadType::kTsi); ts && !ts->traffic_selectors.empty())
                     ts->traffic_selectors.resize(n, ts->traffic_selectors.front());
                 });
               }});
  t.push_back({"nonce-size",
               Kind::kContent,
               "The Nonce Data is OCTETS octets long (cut, or lengthened with 0x5a); the target keeps its own "
               "nonce for the keys.",
               {"OCTETS", 8, 0, 2048},
               "IKE_SA_INIT",
               "DeviationReaction.ShortNonceDropped",
               [](const Target&, uint64_t n) {
                 return Rewrite(kInit, [n](const IkeSa&, Message& m) {
                   if (auto* p = FirstBody<ike::NoncePayload>(m, PayloadType::kNonce)) p->nonce_data.resize(n, 0x5a);
                 });
               }});
  t.push_back({"corrupt-auth", Kind::kContent, "The first octet of the Authentication Data is inverted.", kNone,
               "IKE_AUTH", "DeviationReaction.CorruptAuthGetsAuthenticationFailed", [](const Target&, uint64_t) {
                 return Rewrite(kAuth, [](const IkeSa&, Message& m) {
                   if (auto* a = FirstBody<ike::AuthPayload>(m, PayloadType::kAuth);
                       a && !a->authentication_data.empty())
                     a->authentication_data.front() ^= 0xff;
                 });
               }});
  t.push_back({"auth-method",
               Kind::kContent,
               "The AUTH payload names Auth Method M (default 1, RSA signature).",
               {"M", 1, 0, 255},
               "IKE_AUTH",
               "DeviationReaction.WrongAuthMethodGetsAuthenticationFailed",
               [](const Target&, uint64_t method) {
                 return Rewrite(kAuth, [method](const IkeSa&, Message& m) {
                   if (auto* a = FirstBody<ike::AuthPayload>(m, PayloadType::kAuth))
                     a->auth_method = static_cast<iana::AuthMethod>(method);
                 });
               }});

  // --- content: the exchanges after IKE_AUTH ---
  t.push_back({"omit-payload",
               Kind::kContent,
               "Payloads of type T are left out (default 42, Delete).",
               {"T", 42, 1, 255},
               "INFORMATIONAL (the target's first)",
               "DeviationReaction.DeleteLeftOutKeepsChildSa",
               [](const Target&, uint64_t type) { return Omit(kInformational, static_cast<PayloadType>(type)); }});
  t.push_back({"foreign-spi", Kind::kContent,
               "The SPI of each N(REKEY_SA) and of each ESP or AH Delete has its low octet inverted (an SA the peer "
               "does not have).",
               kNone, "every encrypted message", "DeviationReaction.RekeyOfUnknownSpiGetsChildSaNotFound",
               [](const Target&, uint64_t) {
                 return Rewrite(kEveryEncrypted, [](const IkeSa&, Message& m) {
                   for (Payload& p : Built(m)) {
                     if (auto* n = std::get_if<ike::NotifyPayload>(&p.body);
                         n != nullptr && n->notify_message_type == iana::NotifyType::kRekeySa && !n->spi.empty())
                       n->spi.back() ^= 0xff;
                     if (auto* d = std::get_if<ike::DeletePayload>(&p.body);
                         d != nullptr && d->protocol_id != iana::SecurityProtocol::kIke)
                       for (Bytes& spi : d->spis)
                         if (!spi.empty()) spi.back() ^= 0xff;
                   }
                 });
               }});
  return t;
}

// The network filter every ApplyDeviations on an exchange shares: it owns
// the hooks (the exchange takes plain pointers), runs the flow filters of
// every deviation, then any filter that was there before, and puts the
// datagram in flight itself so that copies and held-back datagrams follow
// the one that released them.
//= ipsecref#choice
//# Returning false to the network and queueing by hand keeps the order of
//# copies exact without a branch in the harness's Send.
struct DeviationFilter {
  struct State {
    std::vector<FlowFilter> filters;
    std::vector<std::shared_ptr<HookChain>> chains;
    std::function<bool(const testing::Sent&)> foreign;
    testing::Network* network = nullptr;
  };
  std::shared_ptr<State> state;
  bool operator()(const testing::Sent& s) const;
};

std::string KnownNames() {
  std::string out;
  for (const Deviation& d : Deviations()) out += fmt::format("{}{}", out.empty() ? "" : ", ", d.name);
  return out;
}

}  // namespace

std::span<const Deviation> Deviations() {
  static const std::vector<Deviation> table = MakeTable();
  return table;
}

namespace {
// Registered deviations: a deque, so that the pointers FindDeviation hands
// out stay valid as more are registered.
std::deque<Deviation>& Registered() {
  static std::deque<Deviation> registered;
  return registered;
}
}  // namespace

const Deviation* FindDeviation(std::string_view name) {
  for (const Deviation& d : Deviations())
    if (d.name == name) return &d;
  for (const Deviation& d : Registered())
    if (d.name == name) return &d;
  return nullptr;
}

Status RegisterDeviation(Deviation d) {
  ENSURE(FindDeviation(d.name) == nullptr, kInvalidArgument, kNoOffset, "",
         fmt::format("deviation '{}' exists already", d.name));
  Registered().push_back(std::move(d));
  return OkStatus();
}

Result<Spec> ParseSpec(std::string_view spec) {
  Spec out;
  if (const size_t at = spec.find('@'); at != std::string_view::npos) {
    const std::string_view exchange = spec.substr(at + 1);
    spec = spec.substr(0, at);
    out.exchange = iana::ExchangeTypeFromName(exchange);
    ENSURE(out.exchange.has_value(), kInvalidArgument, kNoOffset, "",
           fmt::format("deviation '{}': '@{}' is not an exchange (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, "
                       "INFORMATIONAL)",
                       spec, exchange));
  }
  const size_t eq = spec.find('=');
  const std::string_view name = spec.substr(0, eq);
  out.deviation = FindDeviation(name);
  ENSURE(out.deviation != nullptr, kInvalidArgument, kNoOffset, "",
         fmt::format("unknown deviation '{}'; the known ones: {}", name, KnownNames()));
  const Argument& a = out.deviation->argument;
  if (eq == std::string_view::npos) {
    out.argument = a.fallback;
    return out;
  }
  const std::string_view text = spec.substr(eq + 1);
  ENSURE(!a.name.empty(), kInvalidArgument, kNoOffset, "",
         fmt::format("deviation '{}' takes no argument, but was given '{}'", name, text));
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  ENSURE(!text.empty() && ec == std::errc() && end == text.data() + text.size(), kInvalidArgument, kNoOffset, "",
         fmt::format("deviation '{}': argument {} must be a decimal number, not '{}'", name, a.name, text));
  ENSURE(value >= a.min && value <= a.max, kInvalidArgument, kNoOffset, "",
         fmt::format("deviation '{}': argument {}={} is outside {}..{}", name, a.name, value, a.min, a.max));
  out.argument = value;
  return out;
}

Status ApplyDeviations(testing::Exchange& exchange, ike::sa::Peer& target, const std::vector<std::string>& specs) {
  testing::Recorder* recorder = nullptr;
  if (&target == &exchange.initiator()) recorder = &exchange.initiator_log();
  if (&target == &exchange.responder()) recorder = &exchange.responder_log();
  ENSURE(recorder != nullptr, kInvalidArgument, kNoOffset, "", "the target is not a peer of this exchange");
  std::vector<Spec> parsed;
  for (const std::string& s : specs) {
    TRY_ASSIGN(Spec p, ParseSpec(s));
    parsed.push_back(p);
  }
  const Target t{exchange, target};
  auto chain = std::make_shared<HookChain>();
  std::vector<FlowFilter> filters;
  for (const Spec& s : parsed) {
    auto installed = s.deviation->make(t, s.argument);
    if (!installed) {
      Error e = std::move(installed).error();
      e.detail = fmt::format("deviation '{}' (argument {}): {}", s.deviation->name, s.argument, e.detail);
      return e;
    }
    if (s.exchange) {
      auto* hooks = dynamic_cast<MessageHooks*>(installed->hooks.get());
      ENSURE(s.deviation->kind == Kind::kContent && hooks != nullptr, kInvalidArgument, kNoOffset, "",
             fmt::format("deviation '{}' acts on every message or on datagrams in flight: '@{}' does not apply",
                         s.deviation->name, iana::Name(*s.exchange)));
      hooks->Retarget(*s.exchange);
    }
    if (installed->hooks) chain->links.push_back(std::move(installed->hooks));
    if (installed->filter) filters.push_back(std::move(installed->filter));
  }
  testing::Network& network = exchange.network();
  DeviationFilter* ours = network.filter.target<DeviationFilter>();
  if (ours == nullptr) {
    DeviationFilter fresh{std::make_shared<DeviationFilter::State>()};
    fresh.state->network = &network;
    fresh.state->foreign = std::move(network.filter);
    network.filter = fresh;
    ours = network.filter.target<DeviationFilter>();
  }
  for (FlowFilter& f : filters) ours->state->filters.push_back(std::move(f));
  if (!chain->links.empty()) {
    chain->tail = recorder->next;
    exchange.SetHooks(target, chain.get());
    ours->state->chains.push_back(std::move(chain));
  }
  return OkStatus();
}

bool DeviationFilter::operator()(const testing::Sent& s) const {
  FlowVerdict v;
  for (const FlowFilter& f : state->filters) f(s, v);
  if (state->foreign && !state->foreign(s)) v.deliver = false;
  testing::Network& net = *state->network;
  if (v.deliver) net.in_flight.push_back(s);
  for (FlowVerdict::Later& later : v.then) {
    testing::Sent again{net.captured.size() + 1, s.at, std::move(later.datagram)};
    if (later.copy) net.captured.push_back(again);
    net.in_flight.push_back(std::move(again));
  }
  return false;
}

std::string DeviationTableMarkdown() {
  std::string out =
      "| name | kind | what it does | argument (default) | applies to | test |\n"
      "|---|---|---|---|---|---|\n";
  for (const Deviation& d : Deviations()) {
    const std::string arg = d.argument.name.empty() ? std::string("—")
                                                    : fmt::format("`{}` ({}; {}..{})", d.argument.name,
                                                                  d.argument.fallback, d.argument.min, d.argument.max);
    out += fmt::format("| `{}` | {} | {} | {} | {} | `{}` |\n", d.name, Name(d.kind), d.description, arg, d.applies_to,
                       d.test);
  }
  return out;
}

}  // namespace ipsecref::deviations
