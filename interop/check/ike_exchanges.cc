#include "interop/check/ike_exchanges.h"

#include <fmt/format.h>

#include <limits>

#include <algorithm>
#include <array>
#include <deque>

#include "reference/base/enum_table.h"
#include "reference/ike/sa/message_ids.h"
#include "reference/ike/wire/header.h"
#include "reference/ike/wire/payload.h"
#include "reference/ikev1/message.h"
#include "reference/ikev1/registry.h"

namespace ipsecref::io {
namespace {

using iana::ExchangeType;
using iana::NotifyType;
using iana::SecurityProtocol;

constexpr std::array<IkeFindingInfo, kIkeFindingKinds> kFindingInfo{{
    {IkeFindingKind::kMalformed, "malformed", "malformed message", IkeSeverity::kError,
     "rfc7296#section-3"},
    {IkeFindingKind::kCutByCapture, "cut_by_capture", "cut by the capture", IkeSeverity::kNote, ""},
    {IkeFindingKind::kDecryptionFailed, "decryption_failed", "SK payload does not verify",
     IkeSeverity::kError, "rfc7296#section-3.14"},
    {IkeFindingKind::kRuleViolation, "rule_violation", "payload rules broken", IkeSeverity::kError,
     "rfc7296#section-1"},
    //= rfc7296#section-2.1
    //# A retransmission is the same message again: the responder resends its
    //# response unchanged, the initiator its request.
    {IkeFindingKind::kChangedRetransmission, "changed_retransmission", "changed retransmission",
     IkeSeverity::kError, "rfc7296#section-2.1"},
    {IkeFindingKind::kResponseWithoutRequest, "response_without_request",
     "response without a request", IkeSeverity::kWarning, "rfc7296#section-2.1"},
    {IkeFindingKind::kUnansweredRequest, "unanswered_request", "request never answered",
     IkeSeverity::kWarning, "rfc7296#section-2.1"},
    //= rfc7296#section-2.2
    //# Each side numbers its own requests 0, 1, 2, ... without gaps; the
    //# responder answers with the request's ID.
    {IkeFindingKind::kMessageIdSkipped, "message_id_skipped", "message ID skipped",
     IkeSeverity::kWarning, "rfc7296#section-2.2"},
    {IkeFindingKind::kMessageIdBackwards, "message_id_backwards", "message ID went backwards",
     IkeSeverity::kError, "rfc7296#section-2.2"},
    //= rfc7296#section-3.1
    //# The I flag is set in every message the original initiator sends and
    //# clear in every message the original responder sends.
    {IkeFindingKind::kWrongInitiatorFlag, "wrong_initiator_flag", "I flag against the initiator",
     IkeSeverity::kError, "rfc7296#section-3.1"},
    {IkeFindingKind::kContentsNotSeen, "contents_not_seen", "encrypted, no keys",
     IkeSeverity::kNote, ""},
    //= rfc7296#section-1.4.1
    //# Once a Delete has been answered, the SAs it names are gone in both
    //# directions: no more traffic on their SPIs.
    {IkeFindingKind::kEspAfterDelete, "ipsec_after_delete", "ESP/AH after its Delete was answered",
     IkeSeverity::kWarning, "rfc7296#section-1.4.1"},
    {IkeFindingKind::kSpiNotCreated, "spi_not_created", "SPI no exchange in the capture created",
     IkeSeverity::kNote, ""},
}};

static_assert(RowsInEnumOrder(kFindingInfo, &IkeFindingInfo::kind),
              "kFindingInfo: one row per IkeFindingKind, in enum order");
static_assert(static_cast<size_t>(IkeFindingKind::kSpiNotCreated) + 1 == kIkeFindingKinds);

// What the header says, read without judging the rest (ike::PeekHeader),
// and the SKF Fragment Number (0 for an unfragmented message).
struct RawHeader : ike::Header {
  uint16_t fragment = 0;
};

std::optional<RawHeader> ReadRawHeader(ByteSpan message) {
  auto h = ike::PeekHeader(message);
  if (!h) return std::nullopt;
  return RawHeader{*h, ike::PeekFragmentNumber(message).value_or(0)};
}

bool Same(ByteSpan a, ByteSpan b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

void AddFinding(std::vector<IkeFinding>& list, IkeFindingKind kind, std::optional<Code> code,
                std::string_view requirement, uint64_t packet, std::string detail) {
  for (IkeFinding& f : list) {
    if (f.kind != kind || f.code != code) continue;
    if (f.packets.empty() || f.packets.back() != packet) f.packets.Add(packet);
    return;
  }
  const IkeFindingInfo& info = Info(kind);
  list.push_back({kind, info.severity, code,
                  requirement.empty() ? info.requirement : requirement, {packet},
                  std::move(detail)});
}

void AddFinding(std::vector<IkeFinding>& list, IkeFindingKind kind, uint64_t packet,
                std::string detail) {
  AddFinding(list, kind, std::nullopt, {}, packet, std::move(detail));
}

void AddError(std::vector<IkeFinding>& list, IkeFindingKind kind, uint64_t packet,
              const Error& e) {
  AddFinding(list, kind, e.code, e.requirement, packet, e.ToString());
}

std::string Labels(const ike::Message& m) {
  std::string out;
  for (const ike::Payload* p : m.Visible())
    out += fmt::format("{}{}", out.empty() ? "" : " ", ike::PayloadLabel(*p));
  if (m.Encrypted() != nullptr && !m.decrypted) out += " (not decrypted)";
  return out;
}

std::optional<SaProtocol> ChildProtocol(uint8_t protocol_id) {
  if (protocol_id == static_cast<uint8_t>(SecurityProtocol::kEsp)) return SaProtocol::kEsp;
  if (protocol_id == static_cast<uint8_t>(SecurityProtocol::kAh)) return SaProtocol::kAh;
  return std::nullopt;
}

void Append(std::string& text, std::string more) {
  text += (text.empty() ? "" : "; ") + std::move(more);
}

// What a request said that its response completes.
struct ExchangeState {
  ike::sa::SentMessages sent;
  std::optional<std::pair<SaProtocol, uint32_t>> child_spi;  // SA payload of a CHILD SA
  std::optional<uint64_t> new_ike_spi_i;                     // SA payload of an IKE SA
  std::optional<size_t> rekey_child;                         // N(REKEY_SA)
  std::vector<size_t> deleting_children;
  bool deleting_ike = false;
  bool request_seen = false, response_seen = false;  // decoded and decrypted
};

struct SaState {
  std::vector<ExchangeState> exchanges;  // parallel to IkeSaReport::exchanges
  std::map<ike::sa::ExchangeKey, size_t> latest;
  std::array<ike::sa::RequestIds, 2> requests;  // [by original initiator]
  bool any_message = false;
};

}  // namespace

std::string_view SeverityName(IkeSeverity severity) {
  switch (severity) {
    case IkeSeverity::kNote: return "note";
    case IkeSeverity::kWarning: return "warning";
    case IkeSeverity::kError: return "error";
  }
  return "?";
}

const IkeFindingInfo& Info(IkeFindingKind kind) {
  return kFindingInfo.at(static_cast<size_t>(kind));
}

struct IkeExchangeTracker::Impl {
  explicit Impl(const KeyStore& keys) : ring(keys.ike_sas()), v1_ring(keys.ikev1_sas()) {}

  IkeKeyRing ring;
  Ikev1KeyRing v1_ring;
  IkeReport report;
  std::deque<SaState> states;                // parallel to report.sas (stable references)
  std::multimap<uint64_t, size_t> by_spi_i;  // into report.sas
  std::map<std::pair<SaProtocol, uint32_t>, size_t> child_by_spi;
  std::map<size_t, size_t> delete_sa;  // CHILD SA -> the IKE SA that deleted it
  std::vector<size_t> owner;           // CHILD SA -> the IKE SA it now belongs to
  // The owner of a Quick Mode's SA: no IKEv2 SA.
  static constexpr size_t kNoOwner = std::numeric_limits<size_t>::max();
  bool contents_seen = false;
  std::multimap<uint64_t, size_t> v1_by_cookie_i;  // into report.ikev1_sas
  // A Quick Mode under way: who started it and the SPIs its first message
  // offered, by ISAKMP SA and Message ID.
  struct QuickMode {
    Bytes initiator;
    std::vector<std::pair<SaProtocol, uint32_t>> spis;
  };
  std::map<std::pair<size_t, uint32_t>, QuickMode> quick_modes;

  void ObserveIkev1(const IkeDatagram& d);
  void LearnIkev1(size_t sa_index, Ikev1Exchange& ex, const ikev1::Message& m, const IkeDatagram& d);

  size_t NewSa(uint64_t spi_i, uint64_t spi_r, ByteSpan initiator, ByteSpan responder) {
    IkeSaReport r;
    r.spi_i = spi_i;
    r.spi_r = spi_r;
    r.initiator.assign(initiator.begin(), initiator.end());
    r.responder.assign(responder.begin(), responder.end());
    r.keys_known = spi_r != 0 && ring.Knows(spi_i, spi_r);
    report.sas.push_back(std::move(r));
    states.emplace_back();
    by_spi_i.emplace(spi_i, report.sas.size() - 1);
    return report.sas.size() - 1;
  }

  // The IKE SA of a message; none when it would be a new one beyond kIkeSasTracked.
  std::optional<size_t> SaFor(const RawHeader& h, const IkeDatagram& d) {
    auto [begin, end] = by_spi_i.equal_range(h.spi_i);
    std::optional<size_t> unknown_r, any;
    for (auto it = begin; it != end; ++it) {
      const IkeSaReport& sa = report.sas[it->second];
      if (sa.spi_r == h.spi_r) return it->second;
      if (sa.spi_r == 0) unknown_r = it->second;
      any = it->second;
    }
    //= rfc7296#section-3.1
    //# The responder's SPI is zero in the IKE_SA_INIT request (and in a
    //# response asking for a COOKIE or another KE group): such a message
    //# belongs to the SA of its initiator's SPI.
    if (h.spi_r == 0 && any) return *any;
    if (unknown_r) {
      IkeSaReport& sa = report.sas[*unknown_r];
      sa.spi_r = h.spi_r;
      sa.keys_known = ring.Knows(sa.spi_i, sa.spi_r);
      return *unknown_r;
    }
    if (report.sas.size() >= kIkeSasTracked) return std::nullopt;
    const bool from_i = h.initiator();
    const size_t i = NewSa(h.spi_i, h.spi_r, from_i ? d.src : d.dst, from_i ? d.dst : d.src);
    report.sas[i].seen_from_start =
        h.exchange_type == ExchangeType::kIkeSaInit && !h.response() && h.message_id == 0;
    return i;
  }

  std::optional<size_t> FindChild(SaProtocol protocol, uint32_t spi) const {
    auto it = child_by_spi.find({protocol, spi});
    return it == child_by_spi.end() ? std::nullopt : std::optional<size_t>(it->second);
  }

  void Observe(const IkeDatagram& d);
  size_t ExchangeFor(size_t sa_index, const RawHeader& h, const IkeDatagram& d, bool& judge);
  void CheckMessageId(size_t sa_index, bool by_oi, uint32_t id, uint64_t packet);
  void Learn(size_t sa_index, size_t ex_index, const ike::Message& m, const IkeDatagram& d);
  void LearnResponse(size_t sa_index, size_t ex_index, const ike::Message& m,
                     const IkeDatagram& d);
};

IkeExchangeTracker::IkeExchangeTracker(const KeyStore& keys)
    : impl_(std::make_unique<Impl>(keys)) {}
IkeExchangeTracker::~IkeExchangeTracker() = default;

void IkeExchangeTracker::Observe(const IkeDatagram& d) { impl_->Observe(d); }

void IkeExchangeTracker::Impl::CheckMessageId(size_t sa_index, bool by_oi, uint32_t id,
                                              uint64_t packet) {
  IkeSaReport& sa = report.sas[sa_index];
  ike::sa::RequestIds& ids = states[sa_index].requests[by_oi ? 1 : 0];
  (by_oi ? sa.initiator_ids : sa.responder_ids).push_back(id);
  const std::string side = by_oi ? "original initiator" : "original responder";
  switch (ids.Judge(id)) {
    case ike::sa::RequestIds::Verdict::kFirst:
      // A new IKE SA's requests start at 0 on both sides (§2.2, §2.18); of an
      // SA seen late, the first request seen sets where its side stands.
      if (sa.seen_from_start && id != 0)
        AddFinding(sa.findings, IkeFindingKind::kMessageIdSkipped, packet,
                   fmt::format("the {}'s first request has message ID {}, not 0", side, id));
      break;
    case ike::sa::RequestIds::Verdict::kSkipped:
      AddFinding(sa.findings, IkeFindingKind::kMessageIdSkipped, packet,
                 fmt::format("the {}'s request has message ID {} after {}", side, id, *ids.highest()));
      break;
    case ike::sa::RequestIds::Verdict::kBackwards:
      AddFinding(sa.findings, IkeFindingKind::kMessageIdBackwards, packet,
                 fmt::format("the {}'s new request has message ID {}, below {} already used", side,
                             id, *ids.highest()));
      break;
    case ike::sa::RequestIds::Verdict::kNext:
    case ike::sa::RequestIds::Verdict::kSame:
      break;
  }
  ids.Record(id);
}

// The exchange a message belongs to, made when it starts one; `judge` is
// cleared for an identical retransmission (judged when first seen).
size_t IkeExchangeTracker::Impl::ExchangeFor(size_t sa_index, const RawHeader& h,
                                             const IkeDatagram& d, bool& judge) {
  IkeSaReport& sa = report.sas[sa_index];
  SaState& state = states[sa_index];
  const bool response = h.response();
  const ike::sa::ExchangeKey key = ike::sa::KeyOf(h);
  const bool by_oi = key.by_original_initiator;
  auto start = [&]() {
    IkeExchange ex;
    ex.type = h.exchange_type;
    ex.message_id = h.message_id;
    ex.by_original_initiator = by_oi;
    sa.exchanges.push_back(std::move(ex));
    state.exchanges.emplace_back();
    state.latest[key] = sa.exchanges.size() - 1;
    return sa.exchanges.size() - 1;
  };
  auto it = state.latest.find(key);
  size_t index = 0;
  if (it == state.latest.end()) {
    if (!response) {
      CheckMessageId(sa_index, by_oi, h.message_id, d.number);
    } else {
      // A capture that starts late misses the request of the first response.
      if (sa.seen_from_start || state.any_message)
        AddFinding(sa.findings, IkeFindingKind::kResponseWithoutRequest, d.number,
                   fmt::format("{} response with message ID {}: its request was not seen",
                               iana::Name(h.exchange_type), h.message_id));
      state.requests[by_oi ? 1 : 0].Record(h.message_id);
    }
    index = start();
  } else {
    index = it->second;
    const IkeExchange& ex = sa.exchanges[index];
    //= rfc7296#section-2.6
    //# After a COOKIE or INVALID_KE_PAYLOAD answer the initiator starts
    //# IKE_SA_INIT again with message ID 0: a new exchange, not a
    //# retransmission.
    if (!response && ex.retry_asked && h.exchange_type == ExchangeType::kIkeSaInit) index = start();
  }
  IkeExchange& ex = sa.exchanges[index];
  ExchangeState& es = state.exchanges[index];
  (response ? ex.responses : ex.requests).Add(d.number);
  const auto copy = es.sent.Remember(response, h.fragment, d.message, /*keep=*/!d.cut);
  if (copy != ike::sa::SentMessages::Copy::kFirst) {
    ++(response ? ex.response_retransmissions : ex.request_retransmissions);
    if (copy == ike::sa::SentMessages::Copy::kIdentical) {
      judge = false;
    } else {
      AddFinding(sa.findings, IkeFindingKind::kChangedRetransmission, d.number,
                 fmt::format("{} {} with message ID {} again, with different bytes",
                             iana::Name(h.exchange_type), response ? "response" : "request",
                             h.message_id));
    }
  }
  return index;
}

// An IKEv1 message: placed in its ISAKMP SA (by the initiator cookie, and
// the responder cookie once it is known) and its exchange (type and
// Message ID), decoded, and listed; never judged by IKEv2's rules.
void IkeExchangeTracker::Impl::ObserveIkev1(const IkeDatagram& d) {
  const std::optional<ikev1::Header> h = ikev1::PeekHeader(d.message);
  std::optional<size_t> found;
  auto [begin, end] = v1_by_cookie_i.equal_range(h->initiator_cookie);
  for (auto it = begin; it != end && !found; ++it) {
    Ikev1SaReport& sa = report.ikev1_sas[it->second];
    if (sa.cookie_r == h->responder_cookie) found = it->second;
    //= rfc2408#section-3.1
    //# The responder cookie is 0 in the initiator's first message and is
    //# set from the responder's first message on.
    else if (sa.cookie_r == 0 || h->responder_cookie == 0) {
      if (sa.cookie_r == 0) sa.cookie_r = h->responder_cookie;
      found = it->second;
    }
  }
  if (!found) {
    if (report.ikev1_sas.size() >= kIkeSasTracked) {
      ++report.untracked_messages;
      return;
    }
    Ikev1SaReport sa;
    sa.cookie_i = h->initiator_cookie;
    sa.cookie_r = h->responder_cookie;
    sa.initiator.assign(d.src.begin(), d.src.end());
    sa.responder.assign(d.dst.begin(), d.dst.end());
    report.ikev1_sas.push_back(std::move(sa));
    found = report.ikev1_sas.size() - 1;
    v1_by_cookie_i.emplace(h->initiator_cookie, *found);
  }
  Ikev1SaReport& sa = report.ikev1_sas[*found];
  if (sa.packets == 0) sa.first = d.timestamp;
  sa.last = d.timestamp;
  ++sa.packets;
  sa.bytes += d.ip_length;
  if (Same(d.src, sa.initiator)) sa.initiator_port = d.sport;
  if (Same(d.src, sa.responder)) sa.responder_port = d.sport;
  const uint8_t type = static_cast<uint8_t>(h->exchange_type);
  auto ex = std::find_if(sa.exchanges.begin(), sa.exchanges.end(), [&](const Ikev1Exchange& e) {
    return e.type == type && e.message_id == h->message_id;
  });
  if (ex == sa.exchanges.end()) {
    sa.exchanges.push_back({type, h->message_id, {}, {}, false});
    ex = sa.exchanges.end() - 1;
  }
  ex->messages.Add(d.number);
  if (ex->messages.count() == 1) ex->contents_seen = true;
  std::string what = Same(d.src, sa.initiator) ? "I: " : "R: ";
  if (d.cut) {
    AddFinding(sa.findings, IkeFindingKind::kCutByCapture, std::nullopt, "", d.number,
               "the capture holds only part of the datagram: not judged");
    ex->contents_seen = false;
    what += "(cut)";
    ex->payloads += (ex->payloads.empty() ? "" : " | ") + what;
    return;
  }
  Ikev1MessageOutcome o = v1_ring.Judge(d.message);
  sa.keys_known = sa.keys_known || o.keys_known;
  if (o.decode_error) AddError(sa.findings, IkeFindingKind::kMalformed, d.number, *o.decode_error);
  if (o.decrypt_error) AddError(sa.findings, IkeFindingKind::kDecryptionFailed, d.number, *o.decrypt_error);
  for (const Error& v : o.violations) AddError(sa.findings, IkeFindingKind::kRuleViolation, d.number, v);
  if (!o.message) {
    what += "(malformed)";
  } else if (o.message->header.encrypted()) ex->encrypted = true;
  if (o.message && !o.contents_seen()) {
    what += "(encrypted)";
    if (!o.keys_known)
      AddFinding(sa.findings, IkeFindingKind::kContentsNotSeen, std::nullopt, "", d.number,
                 fmt::format("no keys for ISAKMP SA {:016x}_i", h->initiator_cookie));
  } else if (o.message) {
    std::string labels;
    for (const ikev1::Payload& p : o.message->payloads)
      labels += fmt::format("{}{}", labels.empty() ? "" : " ", ikev1::PayloadLabel(p));
    what += labels;
    LearnIkev1(*found, *ex, *o.message, d);
  }
  if (!o.contents_seen()) ex->contents_seen = false;
  ex->payloads += (ex->payloads.empty() ? "" : " | ") + what;
}

// What a decoded (and decrypted) IKEv1 message says of SAs: Quick Mode's
// SPIs, Deletes, DPD.
void IkeExchangeTracker::Impl::LearnIkev1(size_t sa_index, Ikev1Exchange& ex, const ikev1::Message& m,
                                          const IkeDatagram& d) {
  Ikev1SaReport& sa = report.ikev1_sas[sa_index];
  const auto type = static_cast<ikev1::ExchangeType>(ex.type);
  if (type == ikev1::ExchangeType::kQuickMode) {
    //= rfc2409#section-5.5
    //# Each side's Quick Mode SA payload carries the SPI it chose, the one
    //# it receives on: the initiator's offers, the responder's chosen proposal.
    std::vector<std::pair<SaProtocol, uint32_t>> spis;
    for (const ikev1::Payload& p : m.payloads) {
      const auto* s = p.as<ikev1::SaPayload>();
      if (s == nullptr) continue;
      for (const ikev1::Proposal& proposal : s->proposals) {
        const auto child = ChildProtocol(proposal.protocol_id);
        if (!child || proposal.spi.size() != 4) continue;
        const bool have = std::any_of(spis.begin(), spis.end(), [&](const auto& e) { return e.first == *child; });
        if (!have) spis.emplace_back(*child, LoadU32(proposal.spi.data()));
      }
    }
    // Only the two messages with SA payloads count (the third carries HASH
    // alone); the exchange's state goes once the second is seen.
    if (spis.empty()) return;
    //= ipsecref#choice
    //# At most kIkeSasTracked Quick Modes wait for their second message at a
    //# time (memory bound); the SAs of further ones are not linked.
    const auto key = std::make_pair(sa_index, m.header.message_id);
    if (quick_modes.size() >= kIkeSasTracked && !quick_modes.contains(key)) return;
    auto [it, first] = quick_modes.try_emplace(key);
    QuickMode& qm = it->second;
    if (first) {
      qm.initiator.assign(d.src.begin(), d.src.end());
      qm.spis = std::move(spis);
    } else if (!Same(d.src, qm.initiator)) {
      for (const auto& [protocol, spi] : spis) {
        ChildSaReport c;
        c.protocol = protocol;
        c.ikev1_sa = sa_index;
        c.created_message_id = m.header.message_id;
        c.created_at = d.number;
        for (const auto& [offered, offered_spi] : qm.spis)
          if (offered == protocol) c.at_initiator.spi = offered_spi;
        c.at_initiator.address = qm.initiator;
        c.at_responder.spi = spi;
        c.at_responder.address.assign(d.src.begin(), d.src.end());
        const size_t index = report.child_sas.size();
        for (const auto& side : {c.at_initiator, c.at_responder})
          if (side.spi) child_by_spi[{protocol, *side.spi}] = index;
        Append(ex.outcome, fmt::format("{} SA {}/0x{:08x} created", ProtocolName(protocol),
                                       c.at_initiator.spi ? fmt::format("0x{:08x}", *c.at_initiator.spi) : "?",
                                       spi));
        report.child_sas.push_back(std::move(c));
        owner.push_back(kNoOwner);
      }
      quick_modes.erase(it);
    }
    return;
  }
  for (const ikev1::Payload& p : m.payloads) {
    if (const auto* del = p.as<ikev1::DeletePayload>()) {
      //= rfc2408#section-3.15
      //# A Delete names an ISAKMP SA by its two cookies (protocol ISAKMP),
      //# IPsec SAs by the SPIs their sender receives on.
      if (del->protocol_id == ikev1::kProtoIsakmp) {
        if (!sa.deleted_at) sa.deleted_at = d.number;
        Append(ex.outcome, "Delete ISAKMP SA");
        continue;
      }
      const auto child = ChildProtocol(del->protocol_id);
      for (const Bytes& spi : del->spis) {
        if (!child || spi.size() != 4) continue;
        if (const auto c = FindChild(*child, LoadU32(spi.data()))) {
          ChildSaReport& cr = report.child_sas[*c];
          if (!cr.delete_requested) cr.delete_requested = d.number;
        }
        Append(ex.outcome, fmt::format("Delete {} 0x{}", ProtocolName(*child), ToHex(spi)));
      }
    } else if (const auto* a = p.as<ikev1::AttributePayload>()) {
      // Mode Config and XAuth (draft-dukes-ike-mode-cfg-02 §3.2,
      // draft-beaulieu-ike-xauth-02 §4): the message type and its
      // attributes, passwords as their length only.
      std::string what(ikev1::CfgTypeName(a->cfg_type));
      if (what.empty()) what = fmt::format("CFG type {}", a->cfg_type);
      for (const ikev1::DataAttribute& attr : a->attributes) {
        const std::string_view name = ikev1::CfgAttributeName(attr.type);
        const std::string value = ikev1::DescribeCfgAttribute(attr);
        what += fmt::format(" {}{}", name.empty() ? fmt::format("attribute {}", attr.type) : std::string(name),
                            value.empty() || value == "(empty)" ? "" : "=" + value);
      }
      Append(ex.outcome, what);
    } else if (const auto* n = p.as<ikev1::NotificationPayload>()) {
      //= rfc3706#section-5.3
      //# DPD's R-U-THERE (36136) and R-U-THERE-ACK (36137) travel in
      //# Informational exchanges.
      if (n->notify_message_type == 36136) Append(ex.outcome, "DPD R-U-THERE");
      if (n->notify_message_type == 36137) Append(ex.outcome, "DPD R-U-THERE-ACK");
    }
  }
}

void IkeExchangeTracker::Impl::Observe(const IkeDatagram& d) {
  ++report.messages;
  const std::optional<RawHeader> h = ReadRawHeader(d.message);
  if (!h) {
    AddFinding(report.findings, d.cut ? IkeFindingKind::kCutByCapture : IkeFindingKind::kMalformed,
               Code::kTruncated, "rfc7296#section-3.1", d.number,
               fmt::format("{} bytes, shorter than the IKE header", d.message.size()));
    return;
  }
  //= rfc2408#section-3.1
  //# Major version 1 is ISAKMP (IKEv1): listed per ISAKMP SA, not judged as IKEv2.
  if (h->major_version == 1) {
    ObserveIkev1(d);
    return;
  }
  const std::optional<size_t> tracked = SaFor(*h, d);
  if (!tracked) {
    // Still judged on its own; its findings are tied to no IKE SA.
    ++report.untracked_messages;
    if (d.cut) return;
    const IkeMessageOutcome o = JudgeIkeMessage(d.message, &ring);
    if (o.decode_error) AddError(report.findings, IkeFindingKind::kMalformed, d.number, *o.decode_error);
    if (o.decrypt_error)
      AddError(report.findings, IkeFindingKind::kDecryptionFailed, d.number, *o.decrypt_error);
    for (const ike::Violation& v : o.validation.violations)
      AddError(report.findings, IkeFindingKind::kRuleViolation, d.number, v.error);
    return;
  }
  const size_t sa_index = *tracked;
  IkeSaReport& sa = report.sas[sa_index];
  if (sa.packets == 0) sa.first = d.timestamp;
  sa.last = d.timestamp;
  ++sa.packets;
  sa.bytes += d.ip_length;
  const bool from_initiator_address = Same(d.src, sa.initiator);
  if (from_initiator_address || Same(d.src, sa.responder)) {
    if (h->initiator() != from_initiator_address)
      AddFinding(sa.findings, IkeFindingKind::kWrongInitiatorFlag, d.number,
                 fmt::format("sent by the original {} with the I flag {}",
                             from_initiator_address ? "initiator" : "responder",
                             h->initiator() ? "set" : "clear"));
    (from_initiator_address ? sa.initiator_port : sa.responder_port) = d.sport;
  }
  bool judge = true;
  const size_t ex_index = ExchangeFor(sa_index, *h, d, judge);
  states[sa_index].any_message = true;
  if (d.cut) {
    AddFinding(sa.findings, IkeFindingKind::kCutByCapture, std::nullopt, "", d.number,
               "the capture holds only part of the datagram: not judged");
    return;
  }
  if (!judge) return;
  IkeMessageOutcome o = JudgeIkeMessage(d.message, &ring);
  if (o.decode_error) AddError(sa.findings, IkeFindingKind::kMalformed, d.number, *o.decode_error);
  if (o.decrypt_error)
    AddError(sa.findings, IkeFindingKind::kDecryptionFailed, d.number, *o.decrypt_error);
  for (const ike::Violation& v : o.validation.violations)
    AddError(sa.findings, IkeFindingKind::kRuleViolation, d.number, v.error);
  if (!o.message) return;
  IkeExchange& ex = sa.exchanges[ex_index];
  (h->response() ? ex.response_payloads : ex.request_payloads) = Labels(*o.message);
  if (o.message->Encrypted() != nullptr && !o.keys_known)
    AddFinding(sa.findings, IkeFindingKind::kContentsNotSeen, std::nullopt, "", d.number,
               fmt::format("no keys for IKE SA {:016x}_i {:016x}_r", h->spi_i, h->spi_r));
  if (!o.contents_seen()) return;
  ex.contents_seen = true;
  contents_seen = true;
  ExchangeState& es = states[sa_index].exchanges[ex_index];
  bool& seen = h->response() ? es.response_seen : es.request_seen;
  if (seen) return;  // a changed retransmission: what it says was learned once
  seen = true;
  if (h->response())
    LearnResponse(sa_index, ex_index, *o.message, d);
  else
    Learn(sa_index, ex_index, *o.message, d);
}

// A request: what its response will complete.
void IkeExchangeTracker::Impl::Learn(size_t sa_index, size_t ex_index, const ike::Message& m,
                                     const IkeDatagram& d) {
  ExchangeState& es = states[sa_index].exchanges[ex_index];
  IkeSaReport& sa = report.sas[sa_index];
  for (const ike::Payload* p : m.Visible()) {
    if (const auto* s = p->as<ike::SaPayload>(); s != nullptr && !s->proposals.empty()) {
      //= rfc7296#section-3.3.1
      //# Every proposal of one SA payload carries the same SPI: the sender's
      //# inbound SPI for a CHILD SA, its new IKE SPI when rekeying the IKE SA.
      const ike::Proposal& proposal = s->proposals.front();
      const auto child = ChildProtocol(static_cast<uint8_t>(proposal.protocol_id));
      if (child && proposal.spi.size() == 4)
        es.child_spi = std::make_pair(*child, LoadU32(proposal.spi.data()));
      if (proposal.protocol_id == SecurityProtocol::kIke && proposal.spi.size() == 8)
        es.new_ike_spi_i = LoadU64(proposal.spi.data());
    } else if (const auto* n = p->as<ike::NotifyPayload>(); n != nullptr) {
      //= rfc7296#section-1.3.3
      //# REKEY_SA names the CHILD SA being rekeyed by its SPI.
      const auto child = ChildProtocol(n->protocol_id);
      if (n->notify_message_type == NotifyType::kRekeySa && child && n->spi.size() == 4)
        es.rekey_child = FindChild(*child, LoadU32(n->spi.data()));
    } else if (const auto* del = p->as<ike::DeletePayload>(); del != nullptr) {
      //= rfc7296#section-3.11
      //# A Delete of the IKE SA carries no SPI; one of ESP/AH SAs carries the
      //# sender's inbound SPIs.
      if (del->protocol_id == SecurityProtocol::kIke) {
        es.deleting_ike = true;
        if (!sa.delete_requested) sa.delete_requested = d.number;
        continue;
      }
      const auto child = ChildProtocol(static_cast<uint8_t>(del->protocol_id));
      for (const Bytes& spi : del->spis) {
        if (!child || spi.size() != 4) continue;
        const auto c = FindChild(*child, LoadU32(spi.data()));
        if (!c) continue;
        es.deleting_children.push_back(*c);
        ChildSaReport& cr = report.child_sas[*c];
        if (!cr.delete_requested) cr.delete_requested = d.number;
      }
      Append(sa.exchanges[ex_index].outcome,
             fmt::format("Delete {}{}", iana::Name(del->protocol_id),
                         del->spis.size() == 1 ? fmt::format(" 0x{}", ToHex(del->spis[0]))
                                               : fmt::format(" ({} SPIs)", del->spis.size())));
    }
  }
  if (es.deleting_ike) Append(sa.exchanges[ex_index].outcome, "Delete IKE SA");
}

// A response: the exchange's outcome.
void IkeExchangeTracker::Impl::LearnResponse(size_t sa_index, size_t ex_index,
                                             const ike::Message& m, const IkeDatagram& d) {
  IkeExchange& ex = report.sas[sa_index].exchanges[ex_index];
  for (const ike::Payload* p : m.Visible()) {
    if (const auto* n = p->as<ike::NotifyPayload>(); n != nullptr) {
      const auto type = n->notify_message_type;
      //= rfc7296#section-2.6
      //# A COOKIE answer (or, §1.2, INVALID_KE_PAYLOAD) asks the initiator to
      //# start IKE_SA_INIT again.
      if (ex.type == ExchangeType::kIkeSaInit &&
          (type == NotifyType::kCookie || type == NotifyType::kInvalidKePayload))
        ex.retry_asked = true;
      if (static_cast<uint16_t>(type) < 16384 || type == NotifyType::kCookie)
        Append(ex.outcome, ike::NotifyName(type));
    } else if (const auto* del = p->as<ike::DeletePayload>(); del != nullptr) {
      const auto child = ChildProtocol(static_cast<uint8_t>(del->protocol_id));
      for (const Bytes& spi : del->spis) {
        if (!child || spi.size() != 4) continue;
        if (const auto c = FindChild(*child, LoadU32(spi.data())))
          states[sa_index].exchanges[ex_index].deleting_children.push_back(*c);
      }
    }
  }
  ExchangeState& es = states[sa_index].exchanges[ex_index];
  const ike::Payload* sa_payload = nullptr;
  for (const ike::Payload* p : m.Visible())
    if (p->type == iana::PayloadType::kSa) sa_payload = p;
  const ike::SaPayload* chosen = sa_payload ? sa_payload->as<ike::SaPayload>() : nullptr;
  if (chosen != nullptr && !chosen->proposals.empty()) {
    //= rfc7296#section-3.3
    //# The response's SA payload holds the one proposal chosen, with the
    //# responder's SPI.
    const ike::Proposal& proposal = chosen->proposals.front();
    const auto child = ChildProtocol(static_cast<uint8_t>(proposal.protocol_id));
    if (child && proposal.spi.size() == 4 && ex.type != ExchangeType::kIkeSaInit) {
      ChildSaReport c;
      c.protocol = *child;
      c.ike_sa = sa_index;
      c.created_by = ex.type;
      c.created_message_id = ex.message_id;
      c.created_at = d.number;
      if (es.child_spi && es.child_spi->first == *child) c.at_initiator.spi = es.child_spi->second;
      c.at_initiator.address.assign(d.dst.begin(), d.dst.end());
      c.at_responder.spi = LoadU32(proposal.spi.data());
      c.at_responder.address.assign(d.src.begin(), d.src.end());
      c.rekey_of = es.rekey_child;
      const size_t index = report.child_sas.size();
      if (es.rekey_child) {
        ChildSaReport& old = report.child_sas[*es.rekey_child];
        old.rekeyed_by = index;
        old.rekeyed_at = d.number;
      }
      for (const auto& side : {c.at_initiator, c.at_responder})
        if (side.spi) child_by_spi[{*child, *side.spi}] = index;
      Append(ex.outcome,
             fmt::format("CHILD SA {} {}/0x{:08x} {}", ProtocolName(*child),
                         c.at_initiator.spi ? fmt::format("0x{:08x}", *c.at_initiator.spi) : "?",
                         *c.at_responder.spi, es.rekey_child ? "rekeyed" : "created"));
      report.child_sas.push_back(std::move(c));
      owner.push_back(sa_index);
    }
    if (proposal.protocol_id == SecurityProtocol::kIke && proposal.spi.size() == 8 &&
        es.new_ike_spi_i && ex.type == ExchangeType::kCreateChildSa) {
      //= rfc7296#section-1.3.2
      //# A rekeyed IKE SA takes the SPIs of the CREATE_CHILD_SA exchange; the
      //# peer that started the rekey is its original initiator.
      const uint64_t spi_r = LoadU64(proposal.spi.data());
      const size_t next = NewSa(*es.new_ike_spi_i, spi_r, d.dst, d.src);
      report.sas[next].seen_from_start = true;
      report.sas[next].rekeyed_from = sa_index;
      IkeSaReport& old = report.sas[sa_index];
      if (!old.rekeyed_to) {
        old.rekeyed_to = next;
        old.rekeyed_at = d.number;
        //= rfc7296#section-2.8
        //# The CHILD SAs of a rekeyed IKE SA move to the new one.
        for (size_t& o : owner)
          if (o == sa_index) o = next;
      }
      Append(report.sas[sa_index].exchanges[ex_index].outcome,
             fmt::format("IKE SA rekeyed: {:016x}_i {:016x}_r", *es.new_ike_spi_i, spi_r));
    }
  }
  IkeSaReport& sa = report.sas[sa_index];
  if (es.deleting_ike && !sa.delete_answered) {
    sa.delete_answered = d.number;
    //= rfc7296#section-1.4.1
    //# Deleting an IKE SA closes the CHILD SAs it holds.
    for (size_t c = 0; c < owner.size(); ++c)
      if (owner[c] == sa_index) es.deleting_children.push_back(c);
  }
  for (size_t c : es.deleting_children) {
    ChildSaReport& cr = report.child_sas[c];
    if (cr.delete_answered) continue;
    if (!cr.delete_requested) cr.delete_requested = sa.delete_requested;
    cr.delete_answered = d.number;
    cr.delete_answered_time = d.timestamp;
    delete_sa[c] = sa_index;
  }
}

void IkeExchangeTracker::ObserveIpsec(SaProtocol protocol, uint32_t spi, ByteSpan dst,
                                      uint64_t number, Timestamp timestamp) {
  const auto c = impl_->FindChild(protocol, spi);
  if (!c) return;
  const ChildSaReport& child = impl_->report.child_sas[*c];
  if (!child.delete_answered) return;
  const int64_t late = timestamp.ToNanoseconds() - child.delete_answered_time.ToNanoseconds();
  if (late <= kDeleteGraceNanoseconds) return;
  AddFinding(impl_->report.sas[impl_->delete_sa[*c]].findings, IkeFindingKind::kEspAfterDelete,
             number,
             fmt::format("{} SPI 0x{:08x} to {}, {:.3f} s after its Delete was answered (packet {})",
                         ProtocolName(protocol), spi, FormatAddress(dst), late / 1e9,
                         *child.delete_answered));
}

IkeReport IkeExchangeTracker::Finish(const std::vector<SeenSa>& sas) {
  IkeReport& report = impl_->report;
  for (IkeSaReport& sa : report.sas)
    for (const IkeExchange& ex : sa.exchanges)
      if (!ex.requests.empty() && ex.responses.empty())
        AddFinding(sa.findings, IkeFindingKind::kUnansweredRequest, ex.requests.front(),
                   fmt::format("{} request with message ID {} from the original {}",
                               iana::Name(ex.type), ex.message_id,
                               ex.by_original_initiator ? "initiator" : "responder"));
  std::vector<bool> linked(sas.size(), false);
  for (ChildSaReport& c : report.child_sas) {
    for (ChildSaSide* side : {&c.at_initiator, &c.at_responder}) {
      if (!side->spi) continue;
      std::optional<size_t> by_spi;
      size_t matches = 0;
      for (size_t i = 0; i < sas.size(); ++i) {
        if (sas[i].protocol != c.protocol || sas[i].spi != *side->spi) continue;
        ++matches;
        by_spi = i;
        if (Same(sas[i].dst, side->address)) {
          side->sa = i;
          break;
        }
      }
      // Behind a NAT the SA's destination on the wire may differ from the
      // IKE peer's address: one SA with the SPI is still the one.
      if (!side->sa && matches == 1) side->sa = by_spi;
      if (side->sa) linked[*side->sa] = true;
    }
  }
  if (impl_->contents_seen) {
    for (size_t i = 0; i < sas.size(); ++i) {
      if (linked[i]) continue;
      AddFinding(report.findings, IkeFindingKind::kSpiNotCreated, std::nullopt, "",
                 sas[i].first_packet,
                 fmt::format("{} SPI 0x{:08x} to {}: no IKE exchange in the capture created it "
                             "(the capture may start late)",
                             ProtocolName(sas[i].protocol), sas[i].spi,
                             FormatAddress(sas[i].dst)));
    }
  }
  return std::move(report);
}

Result<IkeDatagram> IkeDatagramOf(ByteSpan ip, size_t captured, const Classified& c) {
  const size_t udp_at = c.view.header_length;
  ByteReader udp(ip.first(std::min(captured, c.view.total_length)).subspan(
      std::min(udp_at, std::min(captured, c.view.total_length))));
  IkeDatagram d;
  uint16_t length = 0;
  ENSURE(udp.ReadU16(d.sport) && udp.ReadU16(d.dport) && udp.ReadU16(length), kTruncated, udp_at,
         "rfc768", "the UDP header is not whole");
  //= rfc768
  //# The UDP length covers header and data; link layers may pad beyond it.
  size_t end = c.view.total_length;
  if (length >= 8 && udp_at + length <= end) end = udp_at + length;
  ENSURE(c.payload_offset <= end, kTruncated, udp_at, "rfc3948#section-2.2",
         "the datagram ends before the IKE message starts");
  d.cut = end > captured;
  const size_t real_end = std::min(end, captured);
  d.message = ip.subspan(c.payload_offset, real_end > c.payload_offset ? real_end - c.payload_offset : 0);
  d.src = c.view.src;
  d.dst = c.view.dst;
  d.ip_length = c.view.total_length;
  return d;
}

}  // namespace ipsecref::io
