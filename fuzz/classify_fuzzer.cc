// Fuzz target: packet classification (io::Classify): IKE on UDP 500 or
// behind the non-ESP marker on 4500, NAT-keepalive, ESP, ESP in UDP, AH,
// with the SPIs and sequence number it reads.
//
// Input layout:
//
//   cut(1) | IP packet
//
// The packet is classified whole (captured = its size), and as a capture cut
// after min(cut, size) bytes: once in place, with the bytes from there on
// poisoned for AddressSanitizer (the IP header chain excepted: Classify
// parses it from the padded packet by design), and once from a copy
// zero-padded after the cut, as a capture reader hands it over.
//
// Checked:
//  - Classify succeeds exactly when ip::Parse (checksum not verified) does,
//    with the same view, and returns none of the link-layer kinds;
//  - payload_offset <= total length; the kind agrees with the IP protocol
//    and ports (ESP 50, AH 51; IKE UDP 500; the 4500 kinds behind UDP 4500
//    with the marker's four zero bytes or the keepalive's 0xff);
//  - an SPI and sequence number only for ESP, ESP in UDP and AH, read from
//    where RFC 4303 §2 / RFC 4302 §2 put them (AH: 4 bytes in), and for
//    protocols 50 and 51 exactly when the captured bytes hold them; IKE SPIs
//    only for the IKE kinds, at payload_offset (RFC 7296 §3.1); every byte
//    they come from captured and inside the packet's total length;
//  - nothing is read beyond the cut: ASan traps a read of the poisoned
//    bytes, and the in-place and zero-padded results are equal whenever the
//    header chain was captured;
//  - a cut classification that decides a kind (anything but kOther) agrees
//    with the whole packet's on the kind, payload_offset and every SPI; a
//    cut at or beyond the total length changes nothing.
#include <sanitizer/asan_interface.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz/check.h"
#include "reference/bytes/bytes.h"
#include "reference/classify/classify.h"
#include "reference/ip/packet.h"

namespace ipsecref::fuzz {
namespace {

using io::Classified;
using io::PacketKind;

constexpr uint8_t kEsp = 50, kAh = 51, kUdp = 17;
constexpr size_t kUdpHeader = 8;

bool SameSpan(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool SameView(const ip::PacketView& a, const ip::PacketView& b) {
  return a.version == b.version && a.ip_header_length == b.ip_header_length &&
         a.header_length == b.header_length && a.protocol == b.protocol &&
         a.protocol_field == b.protocol_field && a.total_length == b.total_length &&
         a.traffic_class == b.traffic_class && a.fragment == b.fragment && SameSpan(a.src, b.src) &&
         SameSpan(a.dst, b.dst);
}

bool SameClassified(const Classified& a, const Classified& b) {
  return a.kind == b.kind && SameView(a.view, b.view) && a.spi == b.spi && a.seq == b.seq &&
         a.ike_spi_i == b.ike_spi_i && a.ike_spi_r == b.ike_spi_r &&
         a.payload_offset == b.payload_offset;
}

// IPSECREF_FUZZ_VERBOSE=1 prints each classification (to see what the seeds
// are taken for).
void Report(const char* what, const Result<Classified>& c) {
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  if (!verbose) return;
  if (!c.ok()) {
    std::fprintf(stderr, "  %s: %s\n", what, c.error().ToString().c_str());
    return;
  }
  std::fprintf(stderr, "  %s: %s at %zu", what, std::string(io::KindName(c->kind)).c_str(),
               c->payload_offset);
  if (c->spi) std::fprintf(stderr, ", SPI %08x", *c->spi);
  if (c->seq) std::fprintf(stderr, ", seq %u", *c->seq);
  if (c->ike_spi_i)
    std::fprintf(stderr, ", IKE SPIs %016llx %016llx",
                 static_cast<unsigned long long>(*c->ike_spi_i),
                 static_cast<unsigned long long>(*c->ike_spi_r));
  std::fprintf(stderr, "\n");
}

bool IsUdpKind(PacketKind k) {
  return k == PacketKind::kIke || k == PacketKind::kIkeNatT || k == PacketKind::kNatKeepalive ||
         k == PacketKind::kEspInUdp;
}

// The invariants of one classification of `ip`, of which `captured` bytes are real.
void CheckClassified(const Classified& c, ByteSpan ip, size_t captured) {
  Check(c.kind != PacketKind::kNotIp && c.kind != PacketKind::kLinkError &&
        c.kind != PacketKind::kMalformedIp);
  const ip::PacketView& v = c.view;
  Check(v.total_length <= ip.size());
  Check(c.payload_offset <= v.total_length);
  // What may be read: captured, and inside the packet.
  const size_t real = std::min(captured, v.total_length);
  const size_t at = v.header_length;

  if (v.header_length > captured) {
    // The header chain itself was cut: nothing past it is known.
    Check(c.kind == PacketKind::kOther && !c.spi && !c.seq && !c.ike_spi_i && !c.ike_spi_r);
    return;
  }

  if (c.kind == PacketKind::kEsp) Check(v.protocol == kEsp);
  if (c.kind == PacketKind::kAh) Check(v.protocol == kAh);
  if (v.protocol == kEsp) Check(c.kind == PacketKind::kEsp);
  if (v.protocol == kAh) Check(c.kind == PacketKind::kAh);
  if (IsUdpKind(c.kind)) {
    Check(v.protocol == kUdp);
    Check(at + kUdpHeader <= real);
    const uint16_t sport = LoadU16(&ip[at]), dport = LoadU16(&ip[at + 2]);
    const bool ike = sport == io::kIkePort || dport == io::kIkePort;
    const bool nat_t = sport == io::kNatTPort || dport == io::kNatTPort;
    if (c.kind == PacketKind::kIke) {
      Check(ike);
      Check(c.payload_offset == at + kUdpHeader);
    } else {
      Check(!ike && nat_t);
    }
  }

  if (c.kind == PacketKind::kIkeNatT) {
    //= rfc3948#section-2.2
    //# IKE on port 4500 starts with the non-ESP marker: four zero bytes.
    Check(c.payload_offset == at + kUdpHeader + 4);
    Check(c.payload_offset <= real);
    Check(LoadU32(&ip[c.payload_offset - 4]) == 0);
  }
  if (c.kind == PacketKind::kNatKeepalive) {
    //= rfc3948#section-2.3
    //# A NAT-keepalive is a UDP payload of the single byte 0xff.
    Check(c.payload_offset == at + kUdpHeader);
    Check(c.payload_offset + 1 <= real && ip[c.payload_offset] == 0xff);
  }
  if (c.kind == PacketKind::kEsp || c.kind == PacketKind::kAh) Check(c.payload_offset == at);
  if (c.kind == PacketKind::kEspInUdp) Check(c.payload_offset == at + kUdpHeader);

  // SPI and sequence number: ESP's first two words, AH's second and third.
  const bool ipsec = c.kind == PacketKind::kEsp || c.kind == PacketKind::kEspInUdp ||
                     c.kind == PacketKind::kAh;
  if (!ipsec) Check(!c.spi && !c.seq);
  if (c.seq) Check(c.spi.has_value());
  const size_t spi_at = c.payload_offset + (c.kind == PacketKind::kAh ? 4 : 0);
  if (c.spi) {
    Check(spi_at + 4 <= real);
    Check(LoadU32(&ip[spi_at]) == *c.spi);
  }
  if (c.seq) {
    Check(spi_at + 8 <= real);
    Check(LoadU32(&ip[spi_at + 4]) == *c.seq);
  }
  if (c.kind == PacketKind::kEsp || c.kind == PacketKind::kAh) {
    Check(c.spi.has_value() == (spi_at + 4 <= real));
    Check(c.seq.has_value() == (spi_at + 8 <= real));
  }
  if (c.kind == PacketKind::kEspInUdp) {
    //= rfc3948#section-2.2
    //# ESP in UDP is told by its header: 8 bytes, a non-zero SPI (zero is
    //# the non-ESP marker).
    Check(c.spi.has_value() && c.seq.has_value());
    Check(*c.spi != 0);
  }

  // IKE SPIs: both or neither, only for IKE, at the IKE header.
  Check(c.ike_spi_i.has_value() == c.ike_spi_r.has_value());
  if (c.ike_spi_i) {
    Check(c.kind == PacketKind::kIke || c.kind == PacketKind::kIkeNatT);
    Check(c.payload_offset + 16 <= real);
    Check(LoadU64(&ip[c.payload_offset]) == *c.ike_spi_i);
    Check(LoadU64(&ip[c.payload_offset + 8]) == *c.ike_spi_r);
  }
}

// A classification of a cut capture against the whole packet's.
void CheckAgainstWhole(const Classified& cut, const Classified& whole, size_t captured) {
  Check(SameView(cut.view, whole.view));
  if (captured >= whole.view.total_length) {
    Check(SameClassified(cut, whole));
    return;
  }
  if (cut.kind == PacketKind::kOther) return;  // cut too early to tell
  Check(cut.kind == whole.kind);
  Check(cut.payload_offset == whole.payload_offset);
  if (cut.spi) Check(cut.spi == whole.spi);
  if (cut.seq) Check(cut.seq == whole.seq);
  if (cut.ike_spi_i) Check(cut.ike_spi_i == whole.ike_spi_i && cut.ike_spi_r == whole.ike_spi_r);
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  if (size < 1) return 0;
  const size_t cut = data[0];
  // Exact-size heap copies: a read past the packet's end is an ASan report.
  std::vector<uint8_t> packet(data + 1, data + size);
  const ByteSpan ip(packet);
  const size_t captured = std::min(cut, packet.size());

  auto parsed = ip::Parse(ip, /*verify_checksum=*/false);
  auto whole = io::Classify(ip);
  Report("whole", whole);
  Check(whole.ok() == parsed.ok());
  if (!whole.ok()) return 0;
  Check(SameView(whole->view, *parsed));
  CheckClassified(*whole, ip, ip.size());

  // The capture cut after `captured` bytes, zero-padded to the packet's size.
  std::vector<uint8_t> padded(packet.size(), 0);
  std::copy_n(packet.begin(), captured, padded.begin());
  auto zero_padded = io::Classify(padded, captured);

  // The same cut in place: what lies beyond it, the header chain excepted,
  // must not be read.
  const size_t readable = std::max(captured, parsed->header_length);
  ASAN_POISON_MEMORY_REGION(packet.data() + readable, packet.size() - readable);
  auto in_place = io::Classify(ip, captured);
  ASAN_UNPOISON_MEMORY_REGION(packet.data() + readable, packet.size() - readable);

  Report(("cut at " + std::to_string(captured)).c_str(), in_place);
  Check(in_place.ok());
  CheckClassified(*in_place, ip, captured);
  CheckAgainstWhole(*in_place, *whole, captured);
  if (parsed->header_length <= captured) {
    // The header chain was captured: the padding changes nothing.
    Check(zero_padded.ok());
    CheckClassified(*zero_padded, padded, captured);
    Check(SameClassified(*zero_padded, *in_place));
  } else if (zero_padded.ok()) {
    CheckClassified(*zero_padded, padded, captured);
  }
  return 0;
}
