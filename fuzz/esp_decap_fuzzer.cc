// Fuzz target: the ESP receiver (RFC 4303 §3.4) on whole IP packets, and
// Sa::UnprotectInPlace on raw ESP, under every transform the registry has.
//
// Input layout:
//   bytes 0-2  SA selector: transforms and keys (see sa_selector.h)
//   byte 3     options:
//                bit 0     extended sequence numbers
//                bits 1-2  mode: 0 transport, 1 tunnel, 2 and 3 inferred
//                bit 3     fuzzing_ignore_icv: an ICV mismatch is ignored, so
//                          that decryption, padding and next-header checks
//                          see mutated bytes
//                bit 4     strict padding
//                bit 5     raw: the rest is ESP (SPI .. ICV), not an IP packet
//                bit 6     anti-replay off (window size 0)
//                bit 7     an 8-byte big-endian sequence number follows, that
//                          the SA has received already (for ESN vectors that
//                          start mid-stream)
//   rest       an IPv4/IPv6 packet carrying ESP, directly or in UDP on port
//              4500 (or raw ESP, bit 5)
// The SA is created when Decapsulate looks the SPI up, with that SPI (even a
// reserved one: published vectors use SPI 0).
//
// Checked beyond "no crash": a packet that decapsulated once is a replay the
// second time (or, with the window off, decapsulates the same); a tunnel
// payload is an IP packet of exactly its stated length; the rebuilt IPv4
// transport packet parses, checksum included; raw ESP accounts for every byte.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "fuzz/check.h"
#include "fuzz/sa_selector.h"
#include "reference/esp/esp_packet.h"
#include "reference/esp/esp_sa.h"
#include "reference/ip/packet.h"

namespace ipsecref::fuzz {
namespace {

// IPSECREF_FUZZ_VERBOSE=1 prints what became of each input (to see how deep
// the seeds reach).
template <typename T>
void Report(const char* what, const Result<T>& result) {
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  if (!verbose) return;
  if (result.ok()) {
    std::fprintf(stderr, "  %s: accepted\n", what);
  } else {
    std::fprintf(stderr, "  %s: %s\n", what, result.error().ToString().c_str());
  }
}

constexpr uint8_t kEsn = 1 << 0;
constexpr uint8_t kModeShift = 1;
constexpr uint8_t kIgnoreIcv = 1 << 3;
constexpr uint8_t kStrictPadding = 1 << 4;
constexpr uint8_t kRaw = 1 << 5;
constexpr uint8_t kNoReplayWindow = 1 << 6;
constexpr uint8_t kAssumeReceived = 1 << 7;

esp::Mode ModeOf(uint8_t flags) {
  switch ((flags >> kModeShift) & 3) {
    case 0: return esp::Mode::kTransport;
    case 1: return esp::Mode::kTunnel;
    default: return esp::Mode::kInferred;
  }
}

struct Receiver {
  esp::SaConfig config;
  std::optional<uint64_t> assume_received;
  std::unique_ptr<crypto::Rng> rng = crypto::MakeDeterministicRng(1);
  std::unique_ptr<esp::Sa> sa;

  esp::Sa* Lookup(uint32_t spi) {
    if (sa != nullptr) return sa->spi() == spi ? sa.get() : nullptr;
    config.spi = spi;
    config.rng = rng.get();
    auto created = esp::Sa::Create(config);
    if (!created) return nullptr;
    sa = std::move(*created);
    if (assume_received) sa->AssumeReceived(*assume_received);
    return sa.get();
  }
};

void Raw(Receiver& receiver, ByteSpan esp_bytes) {
  auto spi = esp::PeekSpi(esp_bytes);
  if (!spi) return;
  esp::Sa* sa = receiver.Lookup(*spi);
  if (sa == nullptr) return;
  Bytes copy(esp_bytes.begin(), esp_bytes.end());
  auto u = sa->UnprotectInPlace(copy);
  Report("UnprotectInPlace", u);
  if (!u) return;
  const uint8_t* begin = copy.data() + esp::kHeaderSize + sa->iv_size();
  Check(u->payload.data() == begin);
  Check(esp::kHeaderSize + sa->iv_size() + u->payload.size() + u->pad_length + esp::kTrailerSize +
            sa->icv_size() ==
        copy.size());
  Check(u->next_header != static_cast<uint8_t>(iana::IpProtocol::kNoNextHeader));
  Check(static_cast<uint32_t>(u->sequence_number) == LoadU32(copy.data() + 4));
}

void Packet(Receiver& receiver, ByteSpan packet) {
  esp::SaLookup lookup = [&receiver](uint32_t spi) { return receiver.Lookup(spi); };
  auto first = esp::Decapsulate(lookup, packet);
  Report("Decapsulate", first);
  if (!first) return;
  const esp::Decapsulated& d = *first;
  Check(d.packet.size() <= packet.size());

  const esp::Mode mode = receiver.config.mode;
  const bool ip_in_ip = d.next_header == static_cast<uint8_t>(iana::IpProtocol::kIpv4) ||
                        d.next_header == static_cast<uint8_t>(iana::IpProtocol::kIpv6);
  if (mode == esp::Mode::kTunnel || (mode == esp::Mode::kInferred && ip_in_ip)) {
    auto inner = ip::Parse(d.packet);
    Check(inner.ok());
    Check(inner->total_length == d.packet.size());
  } else if (d.packet[0] >> 4 == 4) {
    // Transport over IPv4: lengths and header checksum were rewritten.
    auto rebuilt = ip::Parse(d.packet);
    Check(rebuilt.ok());
    Check(rebuilt->total_length == d.packet.size());
    Check(rebuilt->protocol == d.next_header);
  }

  // The same packet again: its sequence number is now in the window (when
  // the SA has one: encryption-only SAs have no anti-replay).
  auto second = esp::Decapsulate(lookup, packet);
  if (receiver.sa->replay_window().enabled()) {
    Check(!second.ok() && second.error().code == Code::kReplay);
  } else {
    Check(second.ok() && second->packet == d.packet && second->sequence_number == d.sequence_number);
  }
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  fuzz::FuzzInput in(data, size);
  uint8_t selector[fuzz::kSelectorSize];
  uint8_t flags[1];
  if (!in.Read(selector) || !in.Read(flags)) return 0;

  fuzz::Receiver receiver;
  esp::SaConfig& c = receiver.config;
  if (!fuzz::SelectTransforms(selector, c)) return 0;
  c.esn = (flags[0] & fuzz::kEsn) != 0;
  c.mode = fuzz::ModeOf(flags[0]);
  c.fuzzing_ignore_icv = (flags[0] & fuzz::kIgnoreIcv) != 0;
  c.strict_padding = (flags[0] & fuzz::kStrictPadding) != 0;
  c.replay_window = (flags[0] & fuzz::kNoReplayWindow) != 0 ? 0 : 64;
  c.allow_reserved_spi = true;
  c.tunnel_src = {192, 0, 2, 1};
  c.tunnel_dst = {192, 0, 2, 2};
  if ((flags[0] & fuzz::kAssumeReceived) != 0) {
    uint64_t seq;
    if (!in.ReadU64(seq)) return 0;
    receiver.assume_received = seq;
  }

  if ((flags[0] & fuzz::kRaw) != 0) {
    fuzz::Raw(receiver, in.rest());
  } else {
    fuzz::Packet(receiver, in.rest());
  }
  return 0;
}
