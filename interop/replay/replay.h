// interop/replay/ (harness, library ipsecref_gateway_replay): `ipsecref
// replay`, on top of the capture judge; its live tests sit beside it.
//
// Replaying a capture against a live gateway, and what each replayed packet
// must get: the protocol knowledge of `ipsecref replay`. The tool sends the
// packets the capture's peer sent to the gateway; these functions pick them
// (PlanReplay) and judge the gateway's answers, each verdict with the
// requirement behind it:
//   - ESP (in UDP or raw, IP protocol 50) and AH (IP protocol 51): a packet
//     the gateway already received is a replay and must be dropped (RFC 4303
//     §3.4.3, RFC 4302 §3.4.3), seen as the SA's inbound packet counter
//     standing still, or with `ipsecref gateway` as its replay drops
//     counting every packet;
//   - a replayed IKE_SA_INIT request gets a fresh response or a cookie
//     (RFC 7296 §2.6), or silence when the IKE SA it opened still lives and
//     has moved past message ID 0 (§2.1);
//   - any other replayed IKE request gets the cached response byte for byte
//     when it was the IKE SA's latest request (§2.1); an older one may get
//     that response again or nothing, but never a new one (§2.2).
// No sockets here: the tool does the I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "interop/check/capture_check.h"
#include "reference/io/pcap_reader.h"

namespace ipsecref::io {

enum class ReplayKind : uint8_t {
  kIkeSaInit,   // IKE_SA_INIT request (message ID 0, responder's SPI zero)
  kIkeRequest,  // any other IKE request
  kEspInUdp,    // ESP in UDP (RFC 3948)
  kEsp,         // raw ESP, IP protocol 50 (RFC 4303)
  kAh,          // AH, IP protocol 51 (RFC 4302)
};
// "ike_sa_init", "ike_request", "esp_in_udp", "esp", "ah"
std::string_view ReplayKindKey(ReplayKind kind);
// ESP in UDP, raw ESP and AH: replayed by SA and judged by its counters.
bool IsIpsecSa(ReplayKind kind);
// The anti-replay requirement of ESP (either) or AH: "rfc4303#section-3.4.3",
// "rfc4302#section-3.4.3"; empty for IKE.
std::string_view AntiReplayRequirement(ReplayKind kind);

struct ReplayPacket {
  size_t packet_number = 0;  // in the capture, 1-based
  ReplayKind kind = ReplayKind::kIkeRequest;
  uint16_t sport = 0, dport = 0;  // as captured: the tool sends from and to these ports
  Bytes udp_payload;              // sent as is (the non-ESP marker included for IKE on 4500)

  // IKE: the header's fields and the gateway's response in the capture.
  uint64_t spi_i = 0, spi_r = 0;
  uint32_t message_id = 0;
  std::string exchange;  // "IKE_AUTH"
  Bytes ike_message;     // from the IKE header on
  std::optional<Bytes> captured_response;
  size_t response_packet_number = 0;
  // The last request of its IKE SA in the capture: the gateway's window has
  // not moved past it, so it must still hold the response (RFC 7296 §2.1).
  bool latest_request = false;

  // ESP (either) and AH
  uint32_t spi = 0, seq = 0;
  // Raw ESP and AH: the IP header as captured (IPv4 with its options; IPv6
  // with any extension headers before ESP/AH) and what follows it, the ESP
  // or AH header on. The tool sends `ip_payload` behind a header of its own
  // (IPv6) or behind `ip_header` with the addresses replaced (IPv4).
  Bytes ip_header, ip_payload;
};

struct NotReplayed {
  size_t packet_number = 0;
  std::string why;
};

struct ReplayPlan {
  std::string gateway;  // the gateway's address in the capture
  std::string peer;     // the address that sent the replayed packets
  std::vector<ReplayPacket> packets;
  std::vector<NotReplayed> not_replayed;  // sent to the gateway, but not replayed
};

// Picks the packets sent to `gateway` (the capture's address of the gateway;
// without it, the destination of the first IKE_SA_INIT request) by a single
// peer. Errors: kInvalidArgument when no gateway can be told or the capture
// holds packets to it from more than one peer; kBadFile for an IKE message
// to the gateway whose header is malformed (naming the packet).
Result<ReplayPlan> PlanReplay(const std::vector<CapturedPacket>& packets,
                              std::optional<std::string> gateway, const std::string& name);

// With the capture's keys (`ipsecref replay --keys`): an ESP packet that
// its SA's keys cannot verify in the capture is not replayed, since the
// gateway drops it for its ICV anyway and the drop would say nothing about
// anti-replay. `report` is CheckCapture's, with record_all_packets. ESP
// packets of SAs the keys do not know stay in the plan. Returns how many
// were set aside.
size_t SetAsideUnverifiedEsp(ReplayPlan& plan, const CaptureReport& report);

enum class ReplayVerdict : uint8_t { kPass, kFail, kNotJudged };
std::string_view ReplayVerdictName(ReplayVerdict v);  // "PASS", "FAIL", "NOT JUDGED"

struct ReplayJudgement {
  ReplayVerdict verdict = ReplayVerdict::kNotJudged;
  std::string reason;
  std::string_view requirement;  // "rfc7296#section-2.1"
};

// Whether `ike` (an IKE message, the marker removed) answers the replayed
// request: a response (R flag) with its initiator's SPI, message ID and,
// past IKE_SA_INIT, responder's SPI.
bool AnswersRequest(const ReplayPacket& request, ByteSpan ike);

// `answers`: the IKE messages that AnswersRequest() took, in arrival order.
// `ike_sa_alive`: the IKE SA this request opened answered a later replayed
// request with its cached response, so the gateway still holds it.
ReplayJudgement JudgeIkeSaInit(const ReplayPacket& request, const std::vector<Bytes>& answers,
                         bool ike_sa_alive);
ReplayJudgement JudgeIkeRequest(const ReplayPacket& request, const std::vector<Bytes>& answers);

// One inbound ESP or AH SA (`kind` picks the requirement): `replayed`
// packets sent; the gateway's packet counter before and after (nullopt: the
// gateway did not list the SA).
ReplayJudgement JudgeEspReplay(uint32_t spi, size_t replayed, std::optional<uint64_t> before,
                         std::optional<uint64_t> after, ReplayKind kind = ReplayKind::kEspInUdp);

// The counters of `ipsecref gateway` (`ipsecref ctl stats --json`) that
// judge an ESP replay: every ESP packet that arrived, and the drops by reason.
struct GatewayEspCounters {
  uint64_t esp_in = 0;
  uint64_t replay = 0;                 // dropped.replay
  uint64_t unknown_spi = 0;            // dropped.unknown_spi
  uint64_t authentication_failed = 0;  // dropped.authentication_failed
};

// One inbound ESP SA of `ipsecref gateway` whose stats count the gateway as
// a whole: `replayed` packets of the SA sent, and nothing else to the
// gateway between `before` and `after`. PASS when every one was dropped as
// a replay.
ReplayJudgement JudgeEspReplayByDrops(uint32_t spi, size_t replayed, const GatewayEspCounters& before,
                                      const GatewayEspCounters& after, ReplayKind kind = ReplayKind::kEsp);

// The gateway's inbound ESP SAs and their packet counters, from text shaped
// as `swanctl --list-sas --raw` prints them: within one brace block,
// `spi-in=HEX` and `packets-in=DECIMAL`. Errors: kBadFile naming the offset
// of a malformed value, or a block with one key but not the other.
Result<std::map<uint32_t, uint64_t>> ParseSaCounters(std::string_view text);

// Live replay goes only to loopback or to documentation addresses (RFC 5737
// 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24; RFC 3849 2001:db8::/32),
// which test namespaces use. Errors: kInvalidArgument naming the address.
Status CheckTestAddress(std::string_view address);

}  // namespace ipsecref::io
