// Fuzz target: whatever Encapsulate accepts, Decapsulate under a receiving SA
// of the same configuration gives back unchanged (RFC 4303 §3.3 then §3.4).
//
// Input layout:
//   bytes 0-2  SA selector: transforms and keys (see sa_selector.h)
//   byte 3     options:
//                bit 0     extended sequence numbers
//                bit 1     tunnel mode (otherwise transport)
//                bit 2     tunnel mode: IPv6 outer header (otherwise IPv4)
//                bit 3     ESP in UDP (RFC 3948, port 4500)
//                bits 4-5  TFC padding of tunnel payloads to 0 (off), 128,
//                          1500 or 65535 bytes
//                bit 6     an 8-byte big-endian sequence number follows, sent
//                          instead of 1 (the receiver has seen the one before)
//                bit 7     one byte follows: the pad length to use
//   rest       the IPv4/IPv6 packet to protect
//
// On mismatch the target traps. "Unchanged" means byte for byte, up to the
// packet's stated total length (link padding after it is not protected).
// Encapsulate must refuse what it cannot carry (a result beyond the IP length
// field), never send it broken.
// In tunnel mode (sequence numbers from the counter) a dummy packet follows,
// which the receiver must discard (kDummyPacket).
// Transport mode of a packet whose next header is 59 must be refused by the
// sender: the receiver would take it for a dummy packet (RFC 4303 §2.6).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "fuzz/check.h"
#include "fuzz/sa_selector.h"
#include "reference/esp/esp_packet.h"
#include "reference/esp/esp_sa.h"
#include "reference/ip/packet.h"

namespace ipsecref::fuzz {
namespace {

constexpr uint8_t kEsn = 1 << 0;
constexpr uint8_t kTunnel = 1 << 1;
constexpr uint8_t kOuterIpv6 = 1 << 2;
constexpr uint8_t kUdp = 1 << 3;
constexpr uint8_t kTfcShift = 4;
constexpr uint8_t kExplicitSeq = 1 << 6;
constexpr uint8_t kExplicitPad = 1 << 7;
constexpr size_t kTfcSizes[] = {0, 128, 1500, 65535};

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  FuzzInput in(data, size);
  uint8_t selector[kSelectorSize];
  uint8_t flags[1];
  if (!in.Read(selector) || !in.Read(flags)) return 0;
  const uint8_t f = flags[0];

  esp::SaConfig c;
  if (!SelectTransforms(selector, c)) return 0;
  c.spi = 0x0000c0de;
  c.esn = (f & kEsn) != 0;
  c.mode = (f & kTunnel) != 0 ? esp::Mode::kTunnel : esp::Mode::kTransport;
  c.tunnel_src = (f & kOuterIpv6) != 0 ? kOuter6Src : kOuter4Src;
  c.tunnel_dst = (f & kOuterIpv6) != 0 ? kOuter6Dst : kOuter4Dst;
  if ((f & kUdp) != 0) c.udp = esp::UdpEncapsulation{};
  c.tfc_pad_to = kTfcSizes[(f >> kTfcShift) & 3];
  c.strict_padding = true;

  esp::ProtectOptions options;
  uint64_t seq = 1;
  if ((f & kExplicitSeq) != 0) {
    if (!in.ReadU64(seq)) return 0;
    // Without ESN only the low half exists; 0 is never sent (RFC 4303 §3.3.3).
    if (!c.esn) seq &= 0xffffffff;
    if (seq == 0) seq = 1;
    options.sequence_number = seq;
  }
  if ((f & kExplicitPad) != 0) {
    uint8_t pad[1];
    if (!in.Read(pad)) return 0;
    options.pad_length = pad[0];
  }
  const ByteSpan packet = in.rest();

  auto sender_rng = crypto::MakeDeterministicRng(7);
  c.rng = sender_rng.get();
  auto sender = esp::Sa::Create(c);
  if (!sender) return 0;
  Bytes wire;
  const Status protected_ = esp::Encapsulate(**sender, packet, wire, options);
  // IPSECREF_FUZZ_VERBOSE=1 tells which inputs get past Encapsulate.
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "  Encapsulate: %s\n",
                 protected_.ok() ? "accepted" : protected_.error().ToString().c_str());
  }
  if (!protected_.ok()) return 0;

  auto view = ip::Parse(packet);
  Check(view.ok());  // Encapsulate parsed it
  const ByteSpan original = packet.first(view->total_length);
  uint8_t next_header;
  if (c.mode == esp::Mode::kTunnel) {
    next_header = static_cast<uint8_t>(view->version == 4 ? iana::IpProtocol::kIpv4
                                                          : iana::IpProtocol::kIpv6);
  } else {
    auto at = ip::TransportInsertionPoint(packet);
    Check(at.ok());
    next_header = at->protocol;
    // Next header 59 would read as a dummy packet (RFC 4303 §2.6): the sender
    // must refuse such a packet in transport mode.
    Check(next_header != static_cast<uint8_t>(iana::IpProtocol::kNoNextHeader));
  }

  auto receiver_rng = crypto::MakeDeterministicRng(8);
  c.rng = receiver_rng.get();
  auto receiver = esp::Sa::Create(c);
  Check(receiver.ok());
  if (seq > 1) (*receiver)->AssumeReceived(seq - 1);
  esp::SaLookup lookup = [&](uint32_t spi) { return spi == c.spi ? receiver->get() : nullptr; };
  auto d = esp::Decapsulate(lookup, wire);
  if (!d.ok()) {
    fprintf(stderr, "Encapsulate accepted, Decapsulate refused: %s\n", d.error().ToString().c_str());
    __builtin_trap();
  }
  Check(d->sequence_number == seq);
  Check(d->next_header == next_header);
  Check(d->findings.empty());
  Check(d->packet.size() == original.size());
  Check(std::equal(d->packet.begin(), d->packet.end(), original.begin()));

  //= rfc4303#section-2.6
  //# A dummy packet of the same size, next in sequence, must be discarded.
  if (c.mode == esp::Mode::kTunnel && !options.sequence_number) {
    Bytes dummy;
    auto junk_rng = crypto::MakeDeterministicRng(original.size());
    if (!esp::MakeDummy(**sender, original.size(), *junk_rng, dummy).ok()) return 0;
    auto dropped = esp::Decapsulate(lookup, dummy);
    Check(!dropped.ok() && dropped.error().code == Code::kDummyPacket);
  }
  return 0;
}
