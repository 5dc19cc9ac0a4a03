// Fuzz target: what `ipsecref replay` reads from outside: a capture (the
// replay plan) and the gateway's counter listing (swanctl --list-sas --raw).
//
// Input: bytes read both as a pcap/pcapng file and as counter text.
//
// Checked: every planned IKE request is answered by its own captured
// response (AnswersRequest), which the judges then pass (the latest request
// with the cached response, IKE_SA_INIT with the response again); every
// planned ESP packet's SPI and sequence number are the first bytes of what
// is sent; IKE on 4500 goes out behind the non-ESP marker; counters that
// parse, written back in the same shape, parse to the same map.
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/check.h"
#include "reference/io/pcap_reader.h"
#include "interop/replay/replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using fuzz::Check;
  const ByteSpan bytes(data, size);

  if (auto reader = io::PcapReader::OpenMemory(bytes, "fuzz.pcap"); reader.ok()) {
    std::vector<io::CapturedPacket> packets;
    for (size_t i = 0; i < 256; ++i) {
      auto next = (*reader)->Next();
      if (!next.ok() || !next->has_value()) break;
      packets.push_back(std::move(**next));
    }
    if (auto plan = io::PlanReplay(packets, std::nullopt, "fuzz.pcap"); plan.ok()) {
      for (const io::ReplayPacket& p : plan->packets) {
        if (p.kind == io::ReplayKind::kEspInUdp) {
          Check(p.udp_payload.size() >= 8 && LoadU32(p.udp_payload.data()) == p.spi &&
                LoadU32(p.udp_payload.data() + 4) == p.seq);
          continue;
        }
        // RFC 4303 §2: ESP starts with the SPI and the sequence number;
        // RFC 4302 §2: AH has them at offsets 4 and 8.
        if (p.kind == io::ReplayKind::kEsp || p.kind == io::ReplayKind::kAh) {
          const size_t at = p.kind == io::ReplayKind::kAh ? 4 : 0;
          Check(p.udp_payload.empty() && p.ip_payload.size() >= at + 8 &&
                LoadU32(p.ip_payload.data() + at) == p.spi && LoadU32(p.ip_payload.data() + at + 4) == p.seq);
          Check(!p.ip_header.empty() && ((p.ip_header[0] >> 4) == 4 || (p.ip_header[0] >> 4) == 6));
          continue;
        }
        const size_t marker = p.udp_payload.size() - p.ike_message.size();
        Check(marker == 0 || (marker == 4 && LoadU32(p.udp_payload.data()) == 0));
        if (!p.captured_response) continue;
        Check(io::AnswersRequest(p, *p.captured_response));
        Check(!io::AnswersRequest(p, p.ike_message));
        if (p.kind == io::ReplayKind::kIkeSaInit)
          Check(io::JudgeIkeSaInit(p, {*p.captured_response}, false).verdict == io::ReplayVerdict::kPass);
        else
          Check(io::JudgeIkeRequest(p, {*p.captured_response}).verdict == io::ReplayVerdict::kPass);
      }
    }
  }

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto counters = io::ParseSaCounters(text); counters.ok()) {
    std::string again = "list-sa event {";
    for (const auto& [spi, n] : *counters) again += fmt::format(" {{spi-in={:08x} packets-in={}}}", spi, n);
    again += "}";
    auto reread = io::ParseSaCounters(again);
    Check(reread.ok() && *reread == *counters);
  }
  return 0;
}
