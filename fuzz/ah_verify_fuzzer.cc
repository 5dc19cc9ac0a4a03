// Fuzz target: AH inbound processing (RFC 4302 §3.4) on arbitrary IP
// packets, and AH outbound then inbound on arbitrary packets to protect.
//
// Input layout:
//   byte 0  INTEG transform ID (IKEv2 Transform Type 3): 2 HMAC-SHA1-96,
//           5 AES-XCBC-96, 8 AES-CMAC-96, 12/13/14 HMAC-SHA2-256/384/512.
//           Any other value: the input is skipped.
//   byte 1  key: 0 = the pattern key 80 81 82 ... (as in sa_selector.h),
//           n = the integrity key of kPublishedKeys[n - 1] (the captured AH
//           SAs are there); an entry without one: the input is skipped.
//   byte 2  options:
//             bit 0  extended sequence numbers
//             bit 1  tunnel mode (otherwise transport)
//             bit 2  tunnel mode: IPv6 outer header (otherwise IPv4)
//             bit 3  round trip: the rest is a packet to protect (otherwise
//                    a packet carrying AH, to verify)
//             bit 4  anti-replay off (window size 0)
//             bit 5  round trip: 8 bytes follow, the sequence number to send
//                    (big-endian; without ESN its low half; 0 taken as 1);
//                    the receiver has seen the one before (AssumeReceived)
//   rest    the IPv4/IPv6 packet
// Verify: the SA takes the SPI found in the packet's AH header (256 if there
// is none or it is reserved), so that only the ICV stands in the way.
//
// Checked: a packet that verified once is a replay the second time (with the
// window off it verifies the same); a tunnel payload is an IP packet of its
// stated length. Round trip: whatever Protect accepts, Verify accepts and
// hands back unchanged — the packet up to its stated length, with its IPv4
// header checksum recomputed in transport mode (the checksum is a mutable
// field the ICV does not cover).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "fuzz/check.h"
#include "fuzz/sa_selector.h"
#include "reference/ah/ah_sa.h"
#include "reference/ip/packet.h"

namespace ipsecref::fuzz {
namespace {

constexpr uint8_t kEsn = 1 << 0;
constexpr uint8_t kTunnel = 1 << 1;
constexpr uint8_t kOuterIpv6 = 1 << 2;
constexpr uint8_t kRoundTrip = 1 << 3;
constexpr uint8_t kNoReplayWindow = 1 << 4;
constexpr uint8_t kExplicitSeq = 1 << 5;
constexpr uint32_t kRoundTripSpi = 0x0000a4a4;

template <typename T>
void Report(const char* what, const Result<T>& result) {
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  if (!verbose) return;
  std::fprintf(stderr, "  %s: %s\n", what, result.ok() ? "accepted" : result.error().ToString().c_str());
}

// The SPI of the AH header that follows the IP headers, if there is one.
uint32_t SpiOf(ByteSpan packet) {
  auto v = ip::Parse(packet, /*verify_checksum=*/false);
  if (!v || v->protocol != static_cast<uint8_t>(iana::IpProtocol::kAh) ||
      v->total_length - v->header_length < ah::kFixedHeaderSize) {
    return 256;
  }
  return std::max<uint32_t>(LoadU32(packet.data() + v->header_length + 4), 256);
}

void CheckVerified(const ah::SaConfig& c, const ah::Verified& verified) {
  if (c.mode == ah::SaConfig::kTunnel) {
    auto inner = ip::Parse(verified.packet, /*verify_checksum=*/false);
    Check(inner.ok() && inner->total_length == verified.packet.size());
  }
}

void VerifyOnly(ah::SaConfig c, ByteSpan packet) {
  c.spi = SpiOf(packet);
  auto sa = ah::Sa::Create(c);
  if (!sa) return;
  auto first = (*sa)->Verify(packet);
  Report("Verify", first);
  if (!first) return;
  CheckVerified(c, *first);
  Check(first->packet.size() < packet.size());
  auto second = (*sa)->Verify(packet);
  if (c.replay_window != 0) {
    Check(!second.ok() && second.error().code == Code::kReplay);
  } else {
    Check(second.ok() && second->packet == first->packet &&
          second->sequence_number == first->sequence_number);
  }
}

void RoundTrip(ah::SaConfig c, const ah::ProtectOptions& options, ByteSpan packet) {
  c.spi = kRoundTripSpi;
  auto sender = ah::Sa::Create(c);
  auto receiver = ah::Sa::Create(c);
  if (!sender || !receiver) return;
  const uint64_t seq = options.sequence_number.value_or(1);
  if (seq > 1) (*receiver)->AssumeReceived(seq - 1);
  auto wire = (*sender)->Protect(packet, options);
  Report("Protect", wire);
  if (!wire) return;

  auto verified = (*receiver)->Verify(*wire);
  if (!verified) {
    std::fprintf(stderr, "Protect accepted, Verify refused: %s\n", verified.error().ToString().c_str());
    __builtin_trap();
  }
  CheckVerified(c, *verified);
  Check(verified->sequence_number == seq);

  auto view = ip::Parse(packet, /*verify_checksum=*/false);
  Check(view.ok());  // Protect parsed it
  Bytes expected(packet.begin(), packet.begin() + static_cast<long>(view->total_length));
  if (c.mode == ah::SaConfig::kTransport) ip::FixLengths(expected, view->version);
  Check(verified->packet == expected);
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  FuzzInput in(data, size);
  uint8_t head[3];
  if (!in.Read(head)) return 0;
  const uint8_t f = head[2];

  ah::SaConfig c;
  const crypto::IntegTransform* integ = crypto::FindInteg(static_cast<iana::Integ>(head[0]));
  if (integ == nullptr) return 0;
  c.integ = integ->id;
  if (head[1] == 0) {
    c.integ_key = PatternKey(integ->key_size, 0x80);
  } else if (head[1] <= std::size(kPublishedKeys) && !kPublishedKeys[head[1] - 1].integ.empty()) {
    c.integ_key = TableKey(kPublishedKeys[head[1] - 1].integ);
  } else {
    return 0;
  }
  c.esn = (f & kEsn) != 0;
  c.mode = (f & kTunnel) != 0 ? ah::SaConfig::kTunnel : ah::SaConfig::kTransport;
  c.tunnel_src = (f & kOuterIpv6) != 0 ? kOuter6Src : kOuter4Src;
  c.tunnel_dst = (f & kOuterIpv6) != 0 ? kOuter6Dst : kOuter4Dst;
  c.replay_window = (f & kNoReplayWindow) != 0 ? 0 : 64;

  if ((f & kRoundTrip) == 0) {
    VerifyOnly(std::move(c), in.rest());
    return 0;
  }
  ah::ProtectOptions options;
  if ((f & kExplicitSeq) != 0) {
    uint64_t seq;
    if (!in.ReadU64(seq)) return 0;
    if (!c.esn) seq &= 0xffffffff;
    options.sequence_number = std::max<uint64_t>(seq, 1);
  }
  RoundTrip(std::move(c), options, in.rest());
  return 0;
}
