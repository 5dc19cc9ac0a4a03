#include "interop/replay/replay.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>

#include "reference/ike/wire/message.h"
#include "reference/classify/classify.h"
#include "reference/base/enum_table.h"
#include "reference/io/keys.h"

namespace ipsecref::io {
namespace {

constexpr size_t kUdpHeader = 8;
constexpr size_t kNonEspMarker = 4;  // RFC 3948 §2.2

Result<ike::Header> ReadIkeHeader(ByteSpan ike, size_t packet_number, const std::string& name) {
  ByteReader r(ike);
  auto h = ike::ParseHeader(r, ike.size());
  ENSURE(h.ok(), kBadFile, kNoOffset, "rfc7296#section-3.1",
         fmt::format("{}: packet {}: IKE header: {}", name, packet_number, h ? "" : h.error().ToString()));
  return std::move(h).value();
}

uint64_t SpiR(ByteSpan ike) {
  auto h = ike::PeekHeader(ike);
  return h ? h->spi_r : 0;
}

// A packet of the capture, read as far as PlanReplay needs.
struct Seen {
  const CapturedPacket* packet = nullptr;
  Classified c;
  std::string src, dst;
  uint16_t sport = 0, dport = 0;
  ByteSpan udp_payload;
};

std::optional<Seen> Look(const CapturedPacket& p) {
  if (!p.is_ip() || p.cut()) return std::nullopt;
  auto c = Classify(p.ip(), p.ip().size());
  if (!c) return std::nullopt;
  Seen s{&p, *c, FormatAddress(c->view.src), FormatAddress(c->view.dst)};
  const ByteSpan ip = p.ip().first(std::min(p.ip().size(), c->view.total_length));
  const size_t udp_at = c->view.header_length;
  ByteReader udp(ip.subspan(std::min(udp_at, ip.size())));
  uint16_t length = 0;
  if (c->view.protocol == 17 && udp.ReadU16(s.sport) && udp.ReadU16(s.dport) && udp.ReadU16(length) &&
      length >= kUdpHeader && udp_at + length <= ip.size())
    s.udp_payload = ip.subspan(udp_at + kUdpHeader, length - kUdpHeader);
  return s;
}

bool IsIke(PacketKind k) { return k == PacketKind::kIke || k == PacketKind::kIkeNatT; }

ByteSpan IkeBytes(const Seen& s) {
  return s.c.kind == PacketKind::kIkeNatT && s.udp_payload.size() >= kNonEspMarker
             ? s.udp_payload.subspan(kNonEspMarker)
             : s.udp_payload;
}

// Why a packet sent to the gateway is not replayed, by kind.
std::string_view NotReplayedWhy(PacketKind k) {
  switch (k) {
    case PacketKind::kEsp:
    case PacketKind::kAh:
      return "ESP/AH without a sequence number: the packet ends inside its header";
    case PacketKind::kNatKeepalive: return "NAT-keepalive: carries nothing to judge (RFC 3948 §2.3)";
    default: return "neither IKE nor ESP";
  }
}

std::string FirstDifference(ByteSpan a, ByteSpan b) {
  const auto mismatch = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return fmt::format("{} bytes against {} captured, first difference at offset {}", a.size(), b.size(),
                     mismatch.first - a.begin());
}

bool HasNotify(const ike::Message& m, iana::NotifyType type) {
  for (const ike::Payload& p : m.payloads)
    if (const auto* n = p.as<ike::NotifyPayload>(); n != nullptr && n->notify_message_type == type) return true;
  return false;
}

std::optional<Bytes> NonceOf(const ike::Message& m) {
  for (const ike::Payload& p : m.payloads)
    if (const auto* n = p.as<ike::NoncePayload>(); n != nullptr) return n->nonce_data;
  return std::nullopt;
}

std::string Labels(const ike::Message& m) {
  std::string out;
  for (const ike::Payload& p : m.payloads) out += (out.empty() ? "" : " ") + ike::PayloadLabel(p);
  return "[ " + out + " ]";
}

struct KindRow {
  ReplayKind kind;
  std::string_view key;
  bool ipsec_sa;
  std::string_view anti_replay;
};
//= rfc4303#section-3.4.3
//# ESP's receiver checks every packet's sequence number against the SA's
//# window and discards a duplicate, whether ESP rides in UDP or straight on IP.
//= rfc4302#section-3.4.3
//# AH's receiver must likewise reject a packet whose sequence number
//# duplicates one already received on the SA, by a sliding receive window,
//# and should do so first, before the ICV.
constexpr std::array<KindRow, 5> kKinds{{
    {ReplayKind::kIkeSaInit, "ike_sa_init", false, ""},
    {ReplayKind::kIkeRequest, "ike_request", false, ""},
    {ReplayKind::kEspInUdp, "esp_in_udp", true, "rfc4303#section-3.4.3"},
    {ReplayKind::kEsp, "esp", true, "rfc4303#section-3.4.3"},
    {ReplayKind::kAh, "ah", true, "rfc4302#section-3.4.3"},
}};
static_assert(RowsInEnumOrder(kKinds, &KindRow::kind), "kKinds: one row per ReplayKind, in order");

const KindRow& RowOf(ReplayKind kind) { return kKinds.at(static_cast<size_t>(kind)); }

}  // namespace

std::string_view ReplayKindKey(ReplayKind kind) { return RowOf(kind).key; }
bool IsIpsecSa(ReplayKind kind) { return RowOf(kind).ipsec_sa; }
std::string_view AntiReplayRequirement(ReplayKind kind) { return RowOf(kind).anti_replay; }

std::string_view ReplayVerdictName(ReplayVerdict v) {
  static constexpr std::array<std::string_view, 3> kNames{"PASS", "FAIL", "NOT JUDGED"};
  return kNames.at(static_cast<size_t>(v));
}

Result<ReplayPlan> PlanReplay(const std::vector<CapturedPacket>& packets, std::optional<std::string> gateway,
                              const std::string& name) {
  std::vector<Seen> seen;
  for (const CapturedPacket& p : packets)
    if (auto s = Look(p)) seen.push_back(std::move(*s));
  if (!gateway) {
    //= rfc7296#section-1.2
    //# The IKE_SA_INIT request goes from the initiator to the responder: the
    //# gateway under test is the responder of the capture's first one.
    for (const Seen& s : seen) {
      if (!IsIke(s.c.kind) || s.c.ike_spi_r != 0u) continue;
      auto h = ReadIkeHeader(IkeBytes(s), s.packet->number, name);
      if (h && h->exchange_type == iana::ExchangeType::kIkeSaInit && !h->response()) {
        gateway = s.dst;
        break;
      }
    }
    ENSURE(gateway.has_value(), kInvalidArgument, kNoOffset, "",
           fmt::format("{}: no IKE_SA_INIT request to tell the gateway by; name it with --gateway-address", name));
  }
  ReplayPlan plan;
  plan.gateway = *gateway;
  std::set<size_t> used_responses;
  for (size_t i = 0; i < seen.size(); ++i) {
    const Seen& s = seen[i];
    if (s.dst != plan.gateway) continue;
    if (plan.peer.empty()) plan.peer = s.src;
    ENSURE(s.src == plan.peer, kInvalidArgument, kNoOffset, "",
           fmt::format("{}: packet {}: sent to the gateway {} from {}, but earlier ones came from {}: replay "
                       "one peer's traffic at a time",
                       name, s.packet->number, plan.gateway, s.src, plan.peer));
    if (s.c.view.fragment) {
      //= ipsecref#choice
      //# A fragment is not replayed: replay sends whole packets as
      //# captured, and a fragment alone is no ESP, AH or IKE message (it is
      //# not reassembled for replay).
      plan.not_replayed.push_back({s.packet->number, "an IP fragment: replay sends whole packets only"});
      continue;
    }
    ReplayPacket r;
    r.packet_number = s.packet->number;
    r.sport = s.sport;
    r.dport = s.dport;
    const bool udp = s.c.kind == PacketKind::kEspInUdp || IsIke(s.c.kind) || s.c.kind == PacketKind::kNatKeepalive;
    if (udp && s.udp_payload.empty()) {
      //= rfc768
      //# The UDP length counts the header and the data: a datagram whose
      //# length does not fit its packet has no payload to send as captured.
      plan.not_replayed.push_back({s.packet->number, "the UDP length disagrees with the packet"});
      continue;
    }
    if (s.c.kind == PacketKind::kEspInUdp && s.c.spi && s.c.seq) {
      r.kind = ReplayKind::kEspInUdp;
      r.udp_payload.assign(s.udp_payload.begin(), s.udp_payload.end());
      r.spi = *s.c.spi;
      r.seq = *s.c.seq;
      plan.packets.push_back(std::move(r));
      continue;
    }
    if ((s.c.kind == PacketKind::kEsp || s.c.kind == PacketKind::kAh) && s.c.spi && s.c.seq) {
      //= rfc4301#section-5.2
      //# The receiver finds a raw ESP or AH packet's SA by its SPI (with
      //# the destination and protocol) and judges the bytes from the ESP/AH
      //# header on: they are replayed as captured, to the same destination.
      r.kind = s.c.kind == PacketKind::kEsp ? ReplayKind::kEsp : ReplayKind::kAh;
      const ByteSpan ip = s.packet->ip().first(std::min(s.packet->ip().size(), s.c.view.total_length));
      const size_t at = std::min(s.c.payload_offset, ip.size());
      r.ip_header.assign(ip.begin(), ip.begin() + static_cast<ptrdiff_t>(at));
      r.ip_payload.assign(ip.begin() + static_cast<ptrdiff_t>(at), ip.end());
      r.spi = *s.c.spi;
      r.seq = *s.c.seq;
      plan.packets.push_back(std::move(r));
      continue;
    }
    if (!IsIke(s.c.kind)) {
      plan.not_replayed.push_back({s.packet->number, std::string(NotReplayedWhy(s.c.kind))});
      continue;
    }
    const ByteSpan ike = IkeBytes(s);
    TRY_ASSIGN(const ike::Header h, ReadIkeHeader(ike, s.packet->number, name));
    if (h.response()) {
      //= rfc7296#section-2.21
      //# A response is never answered, whatever is wrong with it: replaying
      //# one gives the gateway nothing to show.
      plan.not_replayed.push_back({s.packet->number, "an IKE response: never answered (RFC 7296 §2.21)"});
      continue;
    }
    r.kind = h.exchange_type == iana::ExchangeType::kIkeSaInit && h.spi_r == 0 ? ReplayKind::kIkeSaInit
                                                                                 : ReplayKind::kIkeRequest;
    r.udp_payload.assign(s.udp_payload.begin(), s.udp_payload.end());
    r.ike_message.assign(ike.begin(), ike.end());
    r.spi_i = h.spi_i;
    r.spi_r = h.spi_r;
    r.message_id = h.message_id;
    r.exchange = std::string(iana::Name(h.exchange_type));
    for (size_t j = i + 1; j < seen.size(); ++j) {
      const Seen& t = seen[j];
      if (t.src != plan.gateway || t.dst != plan.peer || !IsIke(t.c.kind) || used_responses.contains(j)) continue;
      const ByteSpan answer = IkeBytes(t);
      if (!AnswersRequest(r, answer)) continue;
      used_responses.insert(j);
      r.captured_response = Bytes(answer.begin(), answer.end());
      r.response_packet_number = t.packet->number;
      break;
    }
    plan.packets.push_back(std::move(r));
  }
  // The latest request of each IKE SA, by its SPIs (IKE_SA_INIT's responder
  // SPI is the one its response chose).
  std::map<std::pair<uint64_t, uint64_t>, ReplayPacket*> latest;
  for (ReplayPacket& r : plan.packets) {
    if (IsIpsecSa(r.kind)) continue;
    const uint64_t spi_r = r.kind == ReplayKind::kIkeSaInit && r.captured_response ? SpiR(*r.captured_response)
                                                                                   : r.spi_r;
    ReplayPacket*& at = latest[{r.spi_i, spi_r}];
    if (at == nullptr || r.message_id >= at->message_id) at = &r;
  }
  for (auto& [spis, r] : latest) r->latest_request = true;
  return plan;
}

bool AnswersRequest(const ReplayPacket& request, ByteSpan ike) {
  ByteReader r(ike);
  auto h = ike::ParseHeader(r, ike.size());
  if (!h || !h->response() || h->spi_i != request.spi_i || h->message_id != request.message_id) return false;
  //= rfc7296#section-2.6
  //# The response to an IKE_SA_INIT request carries the SPI the responder
  //# chose (zero with a cookie); every later message carries both SPIs.
  return request.kind == ReplayKind::kIkeSaInit || h->spi_r == request.spi_r;
}

ReplayJudgement JudgeIkeSaInit(const ReplayPacket& request, const std::vector<Bytes>& answers, bool ike_sa_alive) {
  const std::optional<Bytes>& captured = request.captured_response;
  std::optional<ike::Message> old;
  if (captured) {
    if (auto m = ike::Decode(*captured)) old = std::move(m).value();
  }
  for (const Bytes& answer : answers) {
    if (captured && answer == *captured)
      return {ReplayVerdict::kPass, "the response of the captured exchange again, byte for byte", "rfc7296#section-2.1"};
    auto m = ike::Decode(answer);
    if (!m) return {ReplayVerdict::kFail, "an answer that does not decode: " + m.error().ToString(), "rfc7296#section-3"};
    //= rfc7296#section-2.6
    //# A responder that wants proof of the initiator's address answers with
    //# a COOKIE Notify and keeps no state.
    if (HasNotify(*m, iana::NotifyType::kCookie))
      return {ReplayVerdict::kPass, "answered with a cookie, N(COOKIE)", "rfc7296#section-2.6"};
    const bool fresh_spi = m->header.spi_r != 0 && (!old || m->header.spi_r != old->header.spi_r);
    const std::optional<Bytes> nonce = NonceOf(*m);
    if (!fresh_spi || !nonce)
      return {ReplayVerdict::kFail,
              fmt::format("answered {} with responder SPI {:016x}: neither a fresh response nor a cookie",
                          Labels(*m), m->header.spi_r),
              "rfc7296#section-2.6"};
    //= rfc7296#section-2.10
    //# Every exchange uses fresh nonces: a new IKE SA must not reuse Nr.
    if (old && NonceOf(*old) == nonce)
      return {ReplayVerdict::kFail, "a fresh responder SPI, but the captured response's nonce Nr again",
              "rfc7296#section-2.10"};
    return {ReplayVerdict::kPass,
            fmt::format("a fresh response {}: new responder SPI {:016x}, new nonce Nr", Labels(*m), m->header.spi_r),
            "rfc7296#section-2.6"};
  }
  //= rfc7296#section-2.1
  //# A responder need remember a response only until a request with a higher
  //# message ID arrives: when the IKE SA this request opened still lives and
  //# has moved on, its retransmission may go unanswered.
  if (ike_sa_alive)
    return {ReplayVerdict::kPass,
            "no answer, and the IKE SA this request opened still lives (its latest request got the cached "
            "response): a retransmission of message ID 0, whose response the gateway may forget",
            "rfc7296#section-2.1"};
  return {ReplayVerdict::kFail, "no answer: neither a fresh response nor a cookie", "rfc7296#section-2.6"};
}

ReplayJudgement JudgeIkeRequest(const ReplayPacket& request, const std::vector<Bytes>& answers) {
  if (!request.captured_response)
    return {ReplayVerdict::kNotJudged, "the capture holds no response to compare with", ""};
  const Bytes& cached = *request.captured_response;
  //= rfc7296#section-2.1
  //# A retransmitted request gets the response retransmitted, not processed
  //# again: the latest request's response must still be held.
  const std::string_view requirement = request.latest_request ? "rfc7296#section-2.1" : "rfc7296#section-2.2";
  for (const Bytes& answer : answers)
    if (answer != cached)
      return {ReplayVerdict::kFail,
              fmt::format("answered with a response other than the captured one ({}): the request was "
                          "processed again",
                          FirstDifference(answer, cached)),
              requirement};
  if (!answers.empty())
    return {ReplayVerdict::kPass,
            fmt::format("the cached response, byte for byte (captured as packet {})", request.response_packet_number),
            requirement};
  if (request.latest_request)
    return {ReplayVerdict::kFail, "no answer: the latest request of its IKE SA must get the cached response again",
            requirement};
  return {ReplayVerdict::kPass,
          fmt::format("no answer: a later request moved the window past message ID {}, so the response may be "
                      "forgotten",
                      request.message_id),
          requirement};
}

size_t SetAsideUnverifiedEsp(ReplayPlan& plan, const CaptureReport& report) {
  std::map<uint64_t, const PacketResult*> results;
  for (const PacketResult& r : report.notable) results[r.number] = &r;
  size_t set_aside = 0;
  std::vector<ReplayPacket> kept;
  for (ReplayPacket& p : plan.packets) {
    const auto it = results.find(p.packet_number);
    const PacketResult* r = it == results.end() ? nullptr : it->second;
    //= rfc4303#section-3.4.3
    //# The receiver checks the ICV before it updates the window: a packet
    //# that fails it is dropped whatever its sequence number (AH alike,
    //# RFC 4302 §3.4.3).
    if (IsIpsecSa(p.kind) && r != nullptr && r->sa && report.sas.at(*r->sa).keys_known &&
        r->verdict != Verdict::kOk) {
      plan.not_replayed.push_back(
          {p.packet_number, fmt::format("{} SPI {:#010x} seq {} does not verify with the keys ({}): a drop would "
                                        "prove nothing about anti-replay",
                                        p.kind == ReplayKind::kAh ? "AH" : "ESP", p.spi, p.seq,
                                        r->error ? r->error->ToString() : "not verified")});
      ++set_aside;
      continue;
    }
    kept.push_back(std::move(p));
  }
  plan.packets = std::move(kept);
  std::sort(plan.not_replayed.begin(), plan.not_replayed.end(),
            [](const NotReplayed& a, const NotReplayed& b) { return a.packet_number < b.packet_number; });
  return set_aside;
}

ReplayJudgement JudgeEspReplay(uint32_t spi, size_t replayed, std::optional<uint64_t> before,
                         std::optional<uint64_t> after, ReplayKind kind) {
  if (!before)
    return {ReplayVerdict::kNotJudged,
            fmt::format("the gateway lists no inbound SA with SPI {:#010x}: a drop would prove nothing", spi), ""};
  if (!after)
    return {ReplayVerdict::kNotJudged, fmt::format("the inbound SA {:#010x} went away during the replay", spi), ""};
  // kKinds: with anti-replay on, a packet whose sequence number the
  // receiver has already taken is a duplicate and is discarded.
  const std::string_view requirement = AntiReplayRequirement(kind);
  if (*after == *before)
    return {ReplayVerdict::kPass,
            fmt::format("all {} replayed packets dropped: packets-in stayed at {}", replayed, *before), requirement};
  if (*after > *before)
    return {ReplayVerdict::kFail,
            fmt::format("{} of {} replayed packets accepted: packets-in went from {} to {}", *after - *before,
                        replayed, *before, *after),
            requirement};
  return {ReplayVerdict::kNotJudged, fmt::format("packets-in went back from {} to {}", *before, *after), ""};
}

ReplayJudgement JudgeEspReplayByDrops(uint32_t spi, size_t replayed, const GatewayEspCounters& before,
                                      const GatewayEspCounters& after, ReplayKind kind) {
  const auto moved = [&](uint64_t GatewayEspCounters::*field) {
    return after.*field >= before.*field ? after.*field - before.*field : 0;
  };
  const std::string counts = fmt::format("esp_in {} -> {}, dropped.replay {} -> {}", before.esp_in, after.esp_in,
                                         before.replay, after.replay);
  if (after.esp_in < before.esp_in || after.replay < before.replay)
    return {ReplayVerdict::kNotJudged, fmt::format("the gateway's counters went back ({}): restarted?", counts), ""};
  const uint64_t dropped = moved(&GatewayEspCounters::replay);
  if (dropped == replayed)
    return {ReplayVerdict::kPass, fmt::format("all {} replayed packets dropped as replays ({})", replayed, counts),
            AntiReplayRequirement(kind)};
  if (moved(&GatewayEspCounters::esp_in) < replayed)
    return {ReplayVerdict::kNotJudged,
            fmt::format("only {} of {} replayed packets reached the gateway ({})", moved(&GatewayEspCounters::esp_in),
                        replayed, counts),
            ""};
  if (moved(&GatewayEspCounters::unknown_spi) > 0)
    return {ReplayVerdict::kNotJudged,
            fmt::format("the gateway holds no inbound SA with SPI {:#010x} (dropped.unknown_spi +{}): a drop would "
                        "prove nothing",
                        spi, moved(&GatewayEspCounters::unknown_spi)),
            ""};
  if (moved(&GatewayEspCounters::authentication_failed) > 0)
    return {ReplayVerdict::kNotJudged,
            fmt::format("{} dropped for their ICV (dropped.authentication_failed +{}): a drop for the ICV proves "
                        "nothing about anti-replay ({})",
                        moved(&GatewayEspCounters::authentication_failed),
                        moved(&GatewayEspCounters::authentication_failed), counts),
            ""};
  if (dropped > replayed)
    return {ReplayVerdict::kNotJudged,
            fmt::format("{} replay drops for {} replayed packets: something else reached the gateway ({})", dropped,
                        replayed, counts),
            ""};
  return {ReplayVerdict::kFail,
          fmt::format("{} of {} replayed packets not dropped as replays ({})", replayed - dropped, replayed, counts),
          AntiReplayRequirement(kind)};
}

Result<std::map<uint32_t, uint64_t>> ParseSaCounters(std::string_view text) {
  struct Block {
    std::optional<uint32_t> spi;
    std::optional<uint64_t> packets;
    size_t offset = 0;
  };
  std::vector<Block> open{Block{}};
  std::map<uint32_t, uint64_t> counters;
  constexpr std::string_view kSpi = "spi-in=", kPackets = "packets-in=";
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '{') {
      open.push_back({.offset = i});
      ++i;
      continue;
    }
    if (c == '}') {
      ENSURE(open.size() > 1, kBadFile, i, "", "a '}' closes no block");
      const Block b = open.back();
      open.pop_back();
      ENSURE(b.spi.has_value() == b.packets.has_value(), kBadFile, b.offset, "",
             b.spi ? "a block with spi-in but no packets-in" : "a block with packets-in but no spi-in");
      if (b.spi) counters[*b.spi] = *b.packets;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && text[end] != '{' && text[end] != '}' &&
           !std::isspace(static_cast<unsigned char>(text[end])))
      ++end;
    const std::string_view token = text.substr(i, end - i);
    const auto value_of = [&](std::string_view key) -> std::optional<std::string_view> {
      if (token.size() <= key.size() || token.substr(0, key.size()) != key) return std::nullopt;
      return token.substr(key.size());
    };
    if (auto v = value_of(kSpi)) {
      uint32_t spi = 0;
      auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), spi, 16);
      ENSURE(ec == std::errc() && p == v->data() + v->size() && v->size() <= 8, kBadFile, i + kSpi.size(), "",
             fmt::format("spi-in is not 1 to 8 hexadecimal digits: {}", *v));
      open.back().spi = spi;
    } else if (auto v = value_of(kPackets)) {
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n, 10);
      ENSURE(ec == std::errc() && p == v->data() + v->size(), kBadFile, i + kPackets.size(), "",
             fmt::format("packets-in is not a decimal count: {}", *v));
      open.back().packets = n;
    }
    i = end;
  }
  ENSURE(open.size() == 1, kBadFile, open.back().offset, "", "a '{' is never closed");
  return counters;
}

Status CheckTestAddress(std::string_view address) {
  const std::string a(address);
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, a.c_str(), bytes.data()) == 1) {
    //= rfc5737#section-3
    //# TEST-NET-1, -2 and -3 are for documentation and never routed; 127/8
    //# is this host (RFC 1122 §3.2.1.3).
    const uint32_t v = LoadU32(bytes.data());
    const bool ok = (v >> 24) == 127 || (v >> 8) == 0xc00002 || (v >> 8) == 0xc63364 || (v >> 8) == 0xcb0071;
    ENSURE(ok, kInvalidArgument, kNoOffset, "",
           fmt::format("{} is neither loopback (127.0.0.0/8) nor a documentation address (192.0.2.0/24, "
                       "198.51.100.0/24, 203.0.113.0/24) as test namespaces use: replay goes to test gateways only",
                       address));
    return OkStatus();
  }
  ENSURE(inet_pton(AF_INET6, a.c_str(), bytes.data()) == 1, kInvalidArgument, kNoOffset, "",
         fmt::format("{} is not an IPv4 or IPv6 address", address));
  //= rfc3849#section-2
  //# 2001:db8::/32 is the IPv6 documentation prefix; ::1 is loopback.
  static constexpr std::array<uint8_t, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const bool ok = bytes == kLoopback || (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8);
  ENSURE(ok, kInvalidArgument, kNoOffset, "",
         fmt::format("{} is neither loopback (::1) nor a documentation address (2001:db8::/32) as test "
                     "namespaces use: replay goes to test gateways only",
                     address));
  return OkStatus();
}

}  // namespace ipsecref::io
