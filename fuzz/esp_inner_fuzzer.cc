// Fuzz target: the ESP receiver after decryption, with a plaintext the
// fuzzer chooses byte for byte. The harness protects Payload Data, Padding,
// Pad Length and Next Header exactly as given under a known SA (so the ICV
// is right and every mutation reaches the code behind it), puts the ESP
// packet in an outer IP header, and hands it to esp::Decapsulate: padding
// checks, dummy packets, tunnel-mode inner packets (next header against the
// inner version, TFC padding after the inner packet's length) and the
// transport-mode rebuild (RFC 4303 §2.4-§2.7, §3.4.4.1).
//
// Input layout:
//   bytes 0-2  SA selector: transforms and keys (see sa_selector.h)
//   byte 3     options:
//                bit 0     extended sequence numbers
//                bits 1-2  mode: 0 transport, 1 tunnel, 2 inferred
//                          (receive only: tunnel for next header 4 or 41), 3 tunnel
//                bit 3     IPv6 outer header (otherwise IPv4)
//                bit 4     ESP in UDP (RFC 3948, port 4500)
//                bit 5     strict padding (SaConfig::strict_padding)
//                bit 6     the padding bytes are the last bytes of the rest
//                          (otherwise the default 1, 2, 3, ...)
//   byte 4     Next Header
//   byte 5     Pad Length wanted; raised to the next value that keeps the
//              ciphertext aligned (RFC 4303 §2.4), or the input is skipped
//   rest       Payload Data (and, with bit 6, the padding after it)
//
// The verdict is predicted from the plaintext the fuzzer chose, rule by rule
// (the comments name them), and the target traps when esp::Decapsulate
// disagrees: a refusal with another code, an accepted packet that is not
// the payload, a finding where the padding was right. Whatever passed the
// ICV has moved the window: the same packet again is a replay.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "fuzz/check.h"
#include "fuzz/sa_selector.h"
#include "reference/esp/esp_packet.h"
#include "reference/esp/esp_sa.h"
#include "reference/ip/packet.h"

namespace ipsecref::fuzz {
namespace {

constexpr uint8_t kEsn = 1 << 0;
constexpr uint8_t kModeShift = 1;
constexpr uint8_t kOuterIpv6 = 1 << 3;
constexpr uint8_t kUdp = 1 << 4;
constexpr uint8_t kStrictPadding = 1 << 5;
constexpr uint8_t kOwnPadding = 1 << 6;
constexpr esp::Mode kModes[] = {esp::Mode::kTransport, esp::Mode::kTunnel, esp::Mode::kInferred,
                                esp::Mode::kTunnel};

constexpr uint8_t kIpv4 = 4, kIpv6 = 41, kNoNextHeader = 59, kEspProtocol = 50, kUdpProtocol = 17;

// The outer IP header (and UDP header) in front of `esp`.
Bytes Wrap(ByteSpan esp, bool ipv6, bool udp) {
  ByteWriter w;
  const uint8_t protocol = udp ? kUdpProtocol : kEspProtocol;
  if (ipv6) {
    w.U32(uint32_t{6} << 28).U16(0).U8(protocol).U8(64).Append(kOuter6Src).Append(kOuter6Dst);
  } else {
    w.U8(0x45).U8(0).U16(0).U16(1).U16(0).U8(64).U8(protocol).U16(0).Append(kOuter4Src).Append(kOuter4Dst);
  }
  const size_t udp_at = w.size();
  if (udp) w.U16(4500).U16(4500).U16(static_cast<uint16_t>(8 + esp.size())).U16(0);
  w.Append(esp);
  Bytes p = std::move(w).Take();
  if (udp && ipv6) {
    MutableByteSpan d(p.data() + udp_at, p.size() - udp_at);
    StoreU16(&d[6], ip::UdpChecksum(ByteSpan(p.data() + 8, 16), ByteSpan(p.data() + 24, 16), d));
  }
  ip::FixLengths(p, ipv6 ? 6 : 4);
  return p;
}

bool DefaultPadding(ByteSpan padding) {
  for (size_t i = 0; i < padding.size(); ++i) {
    if (padding[i] != static_cast<uint8_t>(i + 1)) return false;
  }
  return true;
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  FuzzInput in(data, size);
  uint8_t selector[kSelectorSize];
  uint8_t head[3];
  if (!in.Read(selector) || !in.Read(head)) return 0;
  const uint8_t f = head[0], next_header = head[1];
  const bool ipv6 = (f & kOuterIpv6) != 0, udp = (f & kUdp) != 0;

  esp::SaConfig c;
  if (!SelectTransforms(selector, c)) return 0;
  c.spi = 0x0000c0de;
  c.esn = (f & kEsn) != 0;
  c.mode = kModes[(f >> kModeShift) & 3];
  c.tunnel_src = ipv6 ? kOuter6Src : kOuter4Src;
  c.tunnel_dst = ipv6 ? kOuter6Dst : kOuter4Dst;
  if (udp) c.udp = esp::UdpEncapsulation{};
  c.strict_padding = (f & kStrictPadding) != 0;

  // The sender's SA protects in tunnel mode whatever the receiver's mode:
  // Sa::Protect works on the ESP layer only and takes any Next Header.
  esp::SaConfig sender_config = c;
  sender_config.mode = esp::Mode::kTunnel;
  auto sender_rng = crypto::MakeDeterministicRng(7);
  sender_config.rng = sender_rng.get();
  auto sender = esp::Sa::Create(sender_config);
  if (!sender) return 0;

  // Payload and padding as chosen; the pad length raised until the
  // ciphertext keeps its alignment (RFC 4303 §2.4).
  ByteSpan payload = in.rest();
  std::optional<ByteSpan> own_padding;
  size_t pad_length = head[2];
  if ((f & kOwnPadding) != 0) {
    if (pad_length > payload.size()) return 0;
    own_padding = payload.last(pad_length);
    payload = payload.first(payload.size() - pad_length);
  }
  const size_t alignment = (*sender)->alignment();
  while ((payload.size() + pad_length + esp::kTrailerSize) % alignment != 0) {
    if (own_padding || ++pad_length > 255) return 0;
  }
  esp::ProtectOptions options;
  options.pad_length = pad_length;
  if (own_padding) options.padding = Bytes(own_padding->begin(), own_padding->end());
  Bytes esp_packet;
  if (!(*sender)->Protect(payload, next_header, esp_packet, options).ok()) return 0;
  const Bytes wire = Wrap(esp_packet, ipv6, udp);
  if (wire.size() > 0xffff) return 0;

  auto receiver_rng = crypto::MakeDeterministicRng(8);
  c.rng = receiver_rng.get();
  auto receiver = esp::Sa::Create(c);
  Check(receiver.ok());
  esp::SaLookup lookup = [&](uint32_t spi) { return spi == c.spi ? receiver->get() : nullptr; };
  auto d = esp::Decapsulate(lookup, wire);

  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "  next header %u, pad %zu, payload %zu: %s\n", next_header, pad_length,
                 payload.size(), d.ok() ? "accepted" : d.error().ToString().c_str());
  }

  // The prediction, in the order the receiver applies the rules.
  const bool padding_ok = !own_padding || DefaultPadding(*own_padding);
  const bool ip_in_ip = next_header == kIpv4 || next_header == kIpv6;
  const bool tunnel = c.mode == esp::Mode::kTunnel || (c.mode == esp::Mode::kInferred && ip_in_ip);
  std::optional<Code> refused;
  //= rfc4303#section-2.4
  //# Padding other than 1, 2, 3, ... is refused by a receiver that checks
  //# it strictly, and otherwise reported as a finding.
  if (!padding_ok && c.strict_padding) {
    refused = Code::kBadPadding;
    //= rfc4303#section-2.6
    //# Next Header 59 marks a dummy packet, which the receiver discards.
  } else if (next_header == kNoNextHeader) {
    refused = Code::kDummyPacket;
    //= rfc4303#section-3.4.4.1
    //# In tunnel mode the payload must be an IP packet of the version the
    //# Next Header names.
  } else if (tunnel && !ip_in_ip) {
    refused = Code::kBadNextHeader;
  } else if (tunnel) {
    auto inner = ip::Parse(payload);
    if (!inner.ok() || inner->version != (next_header == kIpv4 ? 4 : 6)) refused = Code::kBadInnerPacket;
  }

  if (refused) {
    if (d.ok() || d.error().code != *refused) {
      std::fprintf(stderr, "expected %s, got %s\n", std::string(Describe(*refused).name).c_str(),
                   d.ok() ? "accepted" : d.error().ToString().c_str());
      __builtin_trap();
    }
    Check(d.error().offset == kNoOffset || d.error().offset < wire.size());
  } else {
    if (!d.ok()) {
      std::fprintf(stderr, "expected acceptance, got %s\n", d.error().ToString().c_str());
      __builtin_trap();
    }
    Check(d->next_header == next_header);
    Check(d->sequence_number == 1);
    Check(d->findings.empty() == padding_ok);
    if (tunnel) {
      //= rfc4303#section-2.7
      //# What follows the inner packet's own length is TFC padding, removed.
      auto inner = ip::Parse(payload);
      Check(inner.ok());
      Check(d->packet.size() == inner->total_length);
      Check(std::equal(d->packet.begin(), d->packet.end(), payload.begin()));
    } else {
      // Transport: the outer IP header again, then the payload, whose
      // protocol the header's next-header field now names.
      const size_t header = ipv6 ? ip::kIpv6Header : 20;
      Check(d->packet.size() == header + payload.size());
      Check(std::equal(payload.begin(), payload.end(), d->packet.begin() + static_cast<long>(header)));
      Check(d->packet[ipv6 ? 6 : 9] == next_header);
    }
  }

  //= rfc4303#section-3.4.3
  //# The window moves once the ICV has been verified, whatever the payload
  //# then turns out to be: the same packet again is a replay. Without an
  //# ICV there is no anti-replay, and the same packet meets the same verdict.
  auto again = esp::Decapsulate(lookup, wire);
  if ((*receiver)->icv_size() > 0) {
    Check(!again.ok() && again.error().code == Code::kReplay);
  } else {
    Check(again.ok() == d.ok() && (d.ok() || again.error().code == d.error().code));
  }
  return 0;
}
