#include "interop/conformance/dataplane.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "reference/esp/esp_packet.h"
#include "reference/ip/packet.h"

namespace ipsecref::conformance::dataplane {

using ike::sa::ChildSa;
using ike::sa::ChildState;
using ike::sa::IkeSa;

namespace {

constexpr uint8_t kIcmp = static_cast<uint8_t>(iana::IpProtocol::kIcmp);
constexpr size_t kIpv4Header = ip::kIpv4MinHeader;
constexpr size_t kEchoData = 16;
constexpr uint16_t kIdentifier = 0x4953;  // "IS": every echo request of the tester
//= ipsecref#choice
//# A jump of 2^20 packets lies beyond any receive window an implementation
//# picks in practice (RFC 4303 §3.4.3 asks for 32 at least, 64 by default),
//# and far from the 32-bit end.
constexpr uint64_t kJump = uint64_t{1} << 20;


bool InRange(const std::vector<ike::TrafficSelector>& ts, ByteSpan a) {
  const Bytes address(a.begin(), a.end());
  for (const ike::TrafficSelector& t : ts)
    if (t.starting_address.size() == a.size() && t.starting_address <= address && address <= t.ending_address)
      return true;
  return false;
}

std::string Hex32(uint32_t v) { return fmt::format("{:#010x}", v); }

// Where the ESP header sits in an outer packet, or nothing.
std::optional<esp::Located> Locate(ByteSpan packet) {
  auto l = esp::LocateEsp(packet);
  if (!l) return std::nullopt;
  return *l;
}

// The SPI of the ESP or AH packet `packet`.
std::optional<uint32_t> SpiOf(ByteSpan packet) {
  if (auto at = LocateAh(packet)) return LoadU32(packet.data() + *at + 4);
  if (auto loc = Locate(packet); loc && loc->esp_length >= 4) return LoadU32(packet.data() + loc->esp_offset);
  return std::nullopt;
}

std::string_view ProtocolName(iana::SecurityProtocol p) { return p == iana::SecurityProtocol::kAh ? "AH" : "ESP"; }
std::string_view StepKey(iana::SecurityProtocol p) { return p == iana::SecurityProtocol::kAh ? "ah" : "esp"; }

}  // namespace

bool Carries(const ChildSa& c) {
  return (c.protocol == iana::SecurityProtocol::kEsp || c.protocol == iana::SecurityProtocol::kAh) &&
         (c.state == ChildState::kInstalled || c.state == ChildState::kRekeying);
}

ah::SaConfig AhConfigOf(const IkeSa& sa, const ChildSa& c, bool inbound) {
  ah::SaConfig s;
  s.mode = ah::SaConfig::kTunnel;
  s.integ = c.suite.integ;
  s.esn = c.suite.esn == iana::EsnType::kEsn;
  s.spi = inbound ? c.spi_in : c.spi_out;
  s.integ_key = inbound ? c.integ_in() : c.integ_out();
  s.tunnel_src = inbound ? sa.remote.address : sa.local.address;
  s.tunnel_dst = inbound ? sa.local.address : sa.remote.address;
  return s;
}

std::optional<size_t> LocateAh(ByteSpan packet) {
  auto v = ip::Parse(packet, /*verify_checksum=*/false);
  if (!v || v->protocol != static_cast<uint8_t>(iana::IpProtocol::kAh) || v->fragment) return std::nullopt;
  if (packet.size() < v->header_length + ah::kFixedHeaderSize) return std::nullopt;
  return v->header_length;
}

// The SA configuration of one direction of `c`, as `sa`'s end holds it.
esp::SaConfig EspConfigOf(const IkeSa& sa, const ChildSa& c, bool inbound, crypto::Rng* rng) {
  esp::SaConfig s;
  s.mode = esp::Mode::kTunnel;
  s.encr = c.suite.encr;
  s.integ = c.suite.integ;
  s.esn = c.suite.esn == iana::EsnType::kEsn;
  s.rng = rng;
  s.spi = inbound ? c.spi_in : c.spi_out;
  s.encr_key = inbound ? c.encr_in() : c.encr_out();
  s.integ_key = inbound ? c.integ_in() : c.integ_out();
  s.tunnel_src = inbound ? sa.remote.address : sa.local.address;
  s.tunnel_dst = inbound ? sa.local.address : sa.remote.address;
  //= rfc3948#section-2.1
  //# ESP in UDP uses the ports IKE uses (after NAT detection, 4500 here and
  //# whatever port the peer's IKE messages come from).
  if (sa.nat_here || sa.nat_there) s.udp = esp::UdpEncapsulation{sa.local.port, sa.remote.port};
  return s;
}

// --- echo requests ------------------------------------------------------------

Bytes EchoPacket(ByteSpan src, ByteSpan dst, uint16_t id, uint16_t seq, bool reply) {
  Bytes p(kIpv4Header + 8 + kEchoData, 0);
  p[0] = 0x45;
  StoreU16(&p[2], static_cast<uint16_t>(p.size()));
  p[8] = 64;  // TTL
  p[9] = kIcmp;
  std::copy(src.begin(), src.end(), p.begin() + 12);
  std::copy(dst.begin(), dst.end(), p.begin() + 16);
  ip::SetIpv4HeaderChecksum(MutableByteSpan(p).first(kIpv4Header));
  uint8_t* icmp = p.data() + kIpv4Header;
  //= rfc792
  //# Echo: type 8, its reply type 0, code 0; the identifier and sequence
  //# number match a reply to its request; the checksum is the one's
  //# complement sum over the ICMP message.
  icmp[0] = reply ? 0 : 8;
  StoreU16(icmp + 4, id);
  StoreU16(icmp + 6, seq);
  for (size_t i = 0; i < kEchoData; ++i) icmp[8 + i] = static_cast<uint8_t>(0x61 + i);  // "abcdefghijklmnop"
  StoreU16(icmp + 2, ip::InternetChecksum({ByteSpan(icmp, 8 + kEchoData)}));
  return p;
}

std::optional<Echo> ReadEcho(ByteSpan packet) {
  auto v = ip::Parse(packet);
  if (!v || v->version != 4 || v->protocol != kIcmp || v->fragment) return std::nullopt;
  if (v->total_length < v->header_length + 8) return std::nullopt;
  ByteSpan icmp = packet.subspan(v->header_length, v->total_length - v->header_length);
  if ((icmp[0] != 0 && icmp[0] != 8) || icmp[1] != 0 || ip::InternetChecksum({icmp}) != 0) return std::nullopt;
  return Echo{LoadU16(&icmp[4]), LoadU16(&icmp[6]), icmp[0] == 0};
}

// --- the tester ---------------------------------------------------------------------

struct Link::Impl {
  Iut& iut;
  std::optional<testing::Nat> nat;
  std::unique_ptr<crypto::Rng> rng;
  bool lenient = false;
  // A CHILD SA of ESP (in, out, ...) or of AH (ah_in, ah_out, ...).
  struct Child {
    bool is_ah = false;
    std::unique_ptr<esp::Sa> in, out;
    std::unique_ptr<esp::Sa> stranger;  // the outbound keys under an SPI the IUT never chose
    esp::SaConfig out_config;
    std::unique_ptr<ah::Sa> ah_in, ah_out, ah_stranger;
    ah::SaConfig ah_out_config;
    std::vector<ike::TrafficSelector> local_ts, remote_ts;

    uint64_t counter() const { return is_ah ? ah_out->sequence_number_counter() : out->sequence_number_counter(); }
    void AssumeSent(uint64_t seq) { is_ah ? ah_out->AssumeSent(seq) : out->AssumeSent(seq); }
    bool esn() const { return is_ah ? ah_out->esn() : out->config().esn; }
    size_t icv_size() const { return is_ah ? ah_out->icv_size() : out->icv_size(); }

    // The outbound keys under an SPI the IUT did not choose.
    Status MakeStranger() {
      if (is_ah && !ah_stranger) {
        ah::SaConfig c = ah_out_config;
        c.spi ^= 0x80000000u;
        TRY_ASSIGN(ah_stranger, ah::Sa::Create(c));
      } else if (!is_ah && !stranger) {
        esp::SaConfig c = out_config;
        c.spi ^= 0x80000000u;
        TRY_ASSIGN(stranger, esp::Sa::Create(c));
      }
      return OkStatus();
    }

    // `inner` protected on the outbound SA (or the stranger one); AH takes
    // only the sequence number of `options`.
    Result<Bytes> Protect(ByteSpan inner, const esp::ProtectOptions& options, bool under_stranger) {
      if (is_ah) {
        ah::ProtectOptions o;
        o.sequence_number = options.sequence_number;
        return (under_stranger ? *ah_stranger : *ah_out).Protect(inner, o);
      }
      Bytes packet;
      TRY(esp::Encapsulate(under_stranger ? *stranger : *out, inner, packet, options));
      return packet;
    }

    // One packet of the IUT on the inbound SA: its inner packet and full
    // sequence number.
    Result<std::pair<Bytes, uint64_t>> Unprotect(ByteSpan packet) {
      if (is_ah) {
        TRY_ASSIGN(ah::Verified v, ah_in->Verify(packet));
        return std::pair{std::move(v.packet), v.sequence_number};
      }
      const uint32_t spi = in->spi();
      TRY_ASSIGN(auto d, esp::Decapsulate([&](uint32_t s) { return s == spi ? in.get() : nullptr; }, packet));
      return std::pair{std::move(d.packet), d.sequence_number};
    }
  };
  std::map<uint32_t, Child> children;  // by inbound SPI
  std::vector<uint32_t> order;
  uint16_t next_echo = 1;

  Status Sync(const IkeSa& sa) {
    for (const ChildSa& c : sa.children) {
      if (!Carries(c) || children.count(c.spi_in) != 0) continue;
      Child child;
      // The tester reads every reply, duplicates included.
      constexpr uint32_t kReadAll = 1024;
      if (c.protocol == iana::SecurityProtocol::kAh) {
        child.is_ah = true;
        ah::SaConfig in = AhConfigOf(sa, c, true);
        in.replay_window = kReadAll;
        child.ah_out_config = AhConfigOf(sa, c, false);
        TRY_ASSIGN(child.ah_in, ah::Sa::Create(in));
        TRY_ASSIGN(child.ah_out, ah::Sa::Create(child.ah_out_config));
      } else {
        esp::SaConfig in = EspConfigOf(sa, c, true, rng.get()), out = EspConfigOf(sa, c, false, rng.get());
        in.replay_window = kReadAll;
        TRY_ASSIGN(child.in, esp::Sa::Create(in));
        TRY_ASSIGN(child.out, esp::Sa::Create(out));
        child.out_config = out;
      }
      child.local_ts = c.local_ts;
      child.remote_ts = c.remote_ts;
      order.push_back(c.spi_in);
      children.emplace(c.spi_in, std::move(child));
    }
    return OkStatus();
  }

  // The NAT in front of the tester, on the way out: the source address and
  // the UDP source port are the NAT's (the IP and, when it is not zero, the
  // UDP checksum follow).
  void NatOut(Bytes& packet) const {
    if (!nat) return;
    auto v = ip::Parse(packet);
    if (!v || v->version != 4 || !std::equal(v->src.begin(), v->src.end(), nat->inside_address.address.begin(),
                                             nat->inside_address.address.end()))
      return;
    std::copy(nat->outside.address.begin(), nat->outside.address.end(), packet.begin() + 12);
    ip::SetIpv4HeaderChecksum(MutableByteSpan(packet).first(v->header_length));
    if (v->protocol != static_cast<uint8_t>(iana::IpProtocol::kUdp)) return;
    uint8_t* udp = packet.data() + v->header_length;
    StoreU16(udp, LoadU16(udp) == ike::sa::kIkePort ? nat->outside.port : static_cast<uint16_t>(nat->outside.port + 1));
    FixUdpChecksum(packet, v->header_length);
  }

  // On the way in: only what the NAT has a mapping for reaches the tester
  // (UDP to the port it gave the tester's 4500); false: taken off.
  bool NatIn(Bytes& packet) const {
    if (!nat) return true;
    auto v = ip::Parse(packet);
    if (!v || v->version != 4) return false;
    if (!std::equal(v->dst.begin(), v->dst.end(), nat->outside.address.begin(), nat->outside.address.end()))
      return true;
    if (v->protocol != static_cast<uint8_t>(iana::IpProtocol::kUdp)) return false;
    uint8_t* udp = packet.data() + v->header_length;
    if (LoadU16(udp + 2) != nat->outside.port + 1) return false;
    std::copy(nat->inside_address.address.begin(), nat->inside_address.address.end(), packet.begin() + 16);
    ip::SetIpv4HeaderChecksum(MutableByteSpan(packet).first(v->header_length));
    StoreU16(udp + 2, ike::sa::kNatTraversalPort);
    FixUdpChecksum(packet, v->header_length);
    return true;
  }

  static void FixUdpChecksum(Bytes& packet, size_t udp_offset) {
    uint8_t* udp = packet.data() + udp_offset;
    if (LoadU16(udp + 6) == 0) return;
    StoreU16(udp + 6, 0);
    StoreU16(udp + 6, ip::UdpChecksum(ByteSpan(packet).subspan(12, 4), ByteSpan(packet).subspan(16, 4),
                                      ByteSpan(packet).subspan(udp_offset)));
  }

  // Text for the ladder: SPI and sequence number, and what it carries.
  static std::string Describe(ByteSpan packet, std::string_view carries) {
    if (auto ah_at = LocateAh(packet))
      return fmt::format("AH SPI {} seq {}: {}", Hex32(LoadU32(packet.data() + *ah_at + 4)),
                         LoadU32(packet.data() + *ah_at + 8), carries);
    auto loc = Locate(packet);
    if (!loc || loc->esp_length < esp::kHeaderSize)
      return fmt::format("ESP (cut short, {} bytes): {}", packet.size(), carries);
    const uint8_t* e = packet.data() + loc->esp_offset;
    const uint8_t* u = packet.data() + loc->udp_offset;
    return fmt::format("ESP{} SPI {} seq {}: {}",
                       loc->udp ? fmt::format(" in UDP {}->{}", LoadU16(u), LoadU16(u + 2)) : "",
                       Hex32(LoadU32(e)), LoadU32(e + 4), carries);
  }
};

namespace {

// One deviant packet being built.
struct Build {
  Bytes inner;
  esp::ProtectOptions options;
  bool stranger = false;  // under the stranger SPI (Child::MakeStranger)
  std::function<void(Bytes& packet)> after;
};

// The tester during one drive step.
struct Step {
  Link::Impl& link;
  Link::Impl::Child& child;
  uint64_t first_clean = 0;  // the ESP sequence number of the step's first clean probe
  uint64_t before_jump = 0;  // the counter before the deviation moved it
  size_t k = 0;              // which deviant packet (0-based)
  std::function<void()> clean;  // sends one more clean probe
};

using Before = Status (*)(Step&);
using Shape = Status (*)(Step&, Build&);

Status Nothing(Step&) { return OkStatus(); }
Status Plain(Step&, Build&) { return OkStatus(); }

// A sequence number far right of the window, the counter untouched: the
// ICV decides (RFC 4303 §3.4.3: the window moves only when it holds).
Status FarAhead(Step& s, Build& b) {
  b.options.sequence_number = s.child.counter() + kJump + s.k;
  return OkStatus();
}

// The outer IPv4 header's fields changed (`change`) after the ICV was
// computed, its header checksum made right again (RFC 791). The deviations
// `mutable` and `immutable` are IPv4's: an IPv6 outer header is refused.
Status ChangeIpv4Header(Step& s, Build& b, std::string_view deviation, std::function<void(Bytes&)> change) {
  ENSURE(s.child.ah_out_config.tunnel_src.size() == 4, kUnsupported, kNoOffset, "",
         fmt::format("{}: the outer header is not IPv4 (the fields it changes are IPv4's)", deviation));
  b.after = [change = std::move(change)](Bytes& p) {
    auto v = ip::Parse(p, /*verify_checksum=*/false);
    if (!v || v->version != 4) return;
    change(p);
    ip::SetIpv4HeaderChecksum(MutableByteSpan(p).first(v->ip_header_length));
  };
  return OkStatus();
}

// Cuts the ESP packet of `packet` to `esp_length` octets (the IP and UDP
// lengths follow).
void CutEsp(Bytes& packet, size_t esp_length) {
  auto loc = Locate(packet);
  if (!loc) return;
  packet.resize(loc->esp_offset + esp_length);
  if (loc->udp) {
    StoreU16(&packet[loc->udp_offset + 4], static_cast<uint16_t>(packet.size() - loc->udp_offset));
    StoreU16(&packet[loc->udp_offset + 6], 0);
  }
  ip::FixLengths(packet, 4);
}

struct Row {
  EspDeviation deviation;
  Before before;  // once, after the first clean probe
  Shape shape;    // each deviant packet
};

const Row kRows[] = {
    {{"clean", "rfc4303#section-3.4", true, "nothing: COUNT more echo requests as the RFC says", true, true,
      "rfc4302#section-3.4"},
     Nothing, Plain},
    {{"replay", "rfc4303#section-3.4.3", false,
      "a new echo request under the sequence number of the step's first (accepted) packet", true, true,
      "rfc4302#section-3.4.3"},
     Nothing,
     [](Step& s, Build& b) -> Status {
       b.options.sequence_number = s.first_clean;
       return OkStatus();
     }},
    {{"old", "rfc4303#section-3.4.3", false,
      "the counter jumps 2^20 ahead (an accepted echo request there), then echo requests under the sequence numbers "
      "skipped, now left of the window",
      true, true, "rfc4302#section-3.4.3"},
     [](Step& s) -> Status {
       s.before_jump = s.child.counter();
       s.child.AssumeSent(s.before_jump + kJump);
       s.clean();
       return OkStatus();
     },
     [](Step& s, Build& b) -> Status {
       b.options.sequence_number = s.before_jump + 1 + s.k;
       return OkStatus();
     }},
    {{"seq-jump", "rfc4303#section-3.4.3", true,
      "the counter jumps 2^20 ahead: right of the window, accepted once the ICV holds", true, true,
      "rfc4302#section-3.4.3"},
     [](Step& s) -> Status {
       s.child.AssumeSent(s.child.counter() + kJump);
       return OkStatus();
     },
     Plain},
    {{"bad-icv", "rfc4303#section-3.4.4", false,
      "the ICV's last octet inverted, under a sequence number 2^20 ahead (the counter untouched)", true, true,
      "rfc4302#section-3.4.4"},
     Nothing,
     [](Step& s, Build& b) -> Status {
       TRY(FarAhead(s, b));
       if (!s.child.is_ah) {
         b.after = [](Bytes& p) { p.back() ^= 0xff; };
         return OkStatus();
       }
       // AH: the ICV sits in the header, before the protected packet.
       b.after = [icv = s.child.icv_size()](Bytes& p) {
         if (auto at = LocateAh(p); at && p.size() >= *at + ah::kFixedHeaderSize + icv)
           p[*at + ah::kFixedHeaderSize + icv - 1] ^= 0xff;
       };
       return OkStatus();
     }},
    {{"truncated", "rfc4303#section-3.4.4", false,
      "the ESP packet cut to the SPI, the sequence number (2^20 ahead) and fewer octets than the ICV"},
     Nothing,
     [](Step& s, Build& b) -> Status {
       TRY(FarAhead(s, b));
       const size_t keep = esp::kHeaderSize + s.child.icv_size() - 1;
       b.after = [keep](Bytes& p) { CutEsp(p, keep); };
       return OkStatus();
     }},
    {{"bad-padding", "rfc4303#section-2.4", false,
      "Padding counting down (n, ..., 2, 1) instead of 1, 2, ..., n, at least two octets of it"},
     Nothing,
     [](Step& s, Build& b) -> Status {
       const esp::Sa& sa = *s.child.out;
       size_t pad = sa.PadLength(b.inner.size());
       while (pad < 2) pad += sa.alignment();
       Bytes padding(pad);
       for (size_t i = 0; i < pad; ++i) padding[i] = static_cast<uint8_t>(pad - i);
       b.options.padding = std::move(padding);
       return OkStatus();
     }},
    {{"bad-next-header", "rfc4303#section-2.6", false,
      "the echo request (an IPv4 packet) with Next Header 6 (TCP) on the tunnel-mode SA"},
     Nothing,
     [](Step&, Build& b) -> Status {
       b.options.next_header = static_cast<uint8_t>(iana::IpProtocol::kTcp);
       return OkStatus();
     }},
    {{"dummy", "rfc4303#section-2.6", false, "the echo request with Next Header 59: a dummy packet"},
     Nothing,
     [](Step&, Build& b) -> Status {
       b.options.next_header = static_cast<uint8_t>(iana::IpProtocol::kNoNextHeader);
       return OkStatus();
     }},
    {{"tfc", "rfc4303#section-2.7", true, "200 zero octets of TFC padding after the echo request"},
     Nothing,
     [](Step&, Build& b) -> Status {
       b.options.tfc_padding = 200;
       return OkStatus();
     }},
    {{"wrong-spi", "rfc4303#section-3.4.2", false,
      "the echo request under an SPI the IUT did not choose (the ICV computed over it)", true, true,
      "rfc4302#section-3.4.2"},
     Nothing,
     [](Step& s, Build& b) -> Status {
       TRY(s.child.MakeStranger());
       b.stranger = true;
       return OkStatus();
     }},
    {{"outside-ts", "rfc4301#section-5.2", false,
      "an echo request whose addresses lie in another CHILD SA's selectors (or, without one, from outside the "
      "tester's)",
      true, true, "rfc4301#section-5.2"},
     Nothing,
     [](Step& s, Build& b) -> Status {
       const std::vector<ike::TrafficSelector>* local = nullptr;
       const std::vector<ike::TrafficSelector>* remote = &s.child.remote_ts;
       for (uint32_t spi : s.link.order) {
         const Link::Impl::Child& other = s.link.children.at(spi);
         if (&other == &s.child || other.local_ts == s.child.local_ts) continue;
         local = &other.local_ts;
         remote = &other.remote_ts;
         break;
       }
       Bytes src = local != nullptr ? AddressIn(*local) : Bytes{203, 0, 113, 7};
       ENSURE(local != nullptr || !InRange(s.child.local_ts, src), kUnsupported, kNoOffset, "",
              "outside-ts: 203.0.113.7 lies in the tester's selectors");
       const Bytes dst = AddressIn(*remote);
       ENSURE(!src.empty() && !dst.empty(), kUnsupported, kNoOffset, "", "outside-ts: no IPv4 selectors");
       const auto old = ReadEcho(b.inner);
       b.inner = EchoPacket(src, dst, old->id, old->seq);
       return OkStatus();
     }},
    {{"udp-checksum", "rfc3948#section-2.1", true,
      "ESP in UDP with a correct, non-zero UDP checksum (the sender should send zero)"},
     Nothing,
     [](Step& s, Build& b) -> Status {
       ENSURE(s.child.out_config.udp.has_value(), kUnsupported, kNoOffset, "",
              "udp-checksum: the CHILD SA is not ESP in UDP (setup \"nat\")");
       b.after = [](Bytes& p) {
         auto loc = Locate(p);
         if (!loc || !loc->udp) return;
         const size_t u = loc->udp_offset;
         StoreU16(&p[u + 6], 0);
         uint16_t sum = ip::UdpChecksum(ByteSpan(p).subspan(12, 4), ByteSpan(p).subspan(16, 4), ByteSpan(p).subspan(u));
         StoreU16(&p[u + 6], sum == 0 ? 0xffff : sum);
       };
       return OkStatus();
     }},
    {{"esn-wrap", "rfc4303#section-2.2.1", true,
      "the counter jumps to 2^32 - 2: the deviant packets and the one after cross into the next 2^32 subspace "
      "(an ESN SA)",
      true, true, "rfc4302#section-2.5.1"},
     [](Step& s) -> Status {
       ENSURE(s.child.esn(), kUnsupported, kNoOffset, "",
              "esn-wrap: the CHILD SA has 32-bit sequence numbers (setup \"esp=...-esn\" or \"ah=...-esn\")");
       s.child.AssumeSent(std::max<uint64_t>(s.child.counter(), 0xfffffffeull));
       return OkStatus();
     },
     Plain},
    {{"mutable", "rfc4302#section-3.3.3.1.1.1", true,
      "the outer IPv4 header's mutable fields changed on the way (TTL 17, DSCP 46 with ECN CE, DF set; header "
      "checksum made right), as routers may: the ICV does not cover them",
      false, true, "rfc4302#section-3.3.3.1.1.1"},
     Nothing,
     [](Step& s, Build& b) -> Status {
       return ChangeIpv4Header(s, b, "mutable", [](Bytes& h) {
         h[1] = 0xbb;   // DSCP 46 (EF), ECN 3 (CE)
         h[6] |= 0x40;  // DF
         h[8] = 17;     // TTL
       });
     }},
    {{"immutable", "rfc4302#section-3.3.3.1.1.1", false,
      "the outer IPv4 header's Identification changed after the ICV was computed (header checksum made right): "
      "the ICV covers it",
      false, true, "rfc4302#section-3.3.3.1.1.1"},
     Nothing,
     [](Step& s, Build& b) -> Status {
       return ChangeIpv4Header(s, b, "immutable", [](Bytes& h) { StoreU16(&h[4], LoadU16(&h[4]) ^ 0x5a5a); });
     }},
};

const Row* FindRow(std::string_view name) {
  for (const Row& r : kRows)
    if (r.deviation.name == name) return &r;
  return nullptr;
}

}  // namespace

std::span<const EspDeviation> EspDeviations() {
  static const std::vector<EspDeviation> out = [] {
    std::vector<EspDeviation> v;
    for (const Row& r : kRows) v.push_back(r.deviation);
    return v;
  }();
  return out;
}

bool IsDataplaneStep(std::string_view what) { return what.starts_with("esp=") || what.starts_with("ah="); }

Result<EspSpec> ParseEspSpec(std::string_view step) {
  EspSpec spec;
  ENSURE(IsDataplaneStep(step), kInvalidArgument, kNoOffset, "",
         fmt::format("'{}': a dataplane step is esp=SPEC or ah=SPEC", step));
  const bool ah = step.starts_with("ah=");
  if (ah) spec.protocol = iana::SecurityProtocol::kAh;
  const std::string_view text = step.substr(ah ? 3 : 4);
  const size_t colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  const Row* row = FindRow(name);
  ENSURE(row != nullptr, kInvalidArgument, kNoOffset, "",
         fmt::format("{}: unknown deviation '{}' (dataplane.cc lists them)", step, name));
  ENSURE(ah ? row->deviation.ah : row->deviation.esp, kInvalidArgument, kNoOffset, "",
         fmt::format("{}: '{}' is not a deviation of {} (interop/conformance/README.md lists those that are)", step,
                     name, ah ? "AH" : "ESP"));
  for (const EspDeviation& d : EspDeviations())
    if (d.name == name) spec.deviation = &d;
  if (colon != std::string_view::npos) {
    const std::string_view count = text.substr(colon + 1);
    size_t n = 0;
    bool digits = !count.empty() && count.size() <= 2;
    for (char c : count) {
      digits = digits && c >= '0' && c <= '9';
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    ENSURE(digits && n >= 1 && n <= 64, kInvalidArgument, kNoOffset, "",
           fmt::format("{}: COUNT '{}' is not a number from 1 to 64", step, count));
    spec.count = n;
  }
  return spec;
}

Link::Link(Iut& iut, std::optional<testing::Nat> nat, uint64_t seed, bool lenient)
    : impl_(std::make_unique<Impl>(
          Impl{iut, std::move(nat), crypto::MakeDeterministicRng(seed), lenient, {}, {}, 1})) {}

Link::~Link() = default;

void Link::Send(const EspSpec& spec, const IkeSa* tester, const IkeSa* iut, int64_t at, size_t ike_before) {
  Impl& l = *impl_;
  steps_.emplace_back(ike_before, wire_.size());
  if (tester == nullptr || (iut == nullptr && !l.iut.installs_own_sas())) {
    notes_.push_back(fmt::format("esp={}: no established IKE SA at {}", spec.deviation->name,
                                 tester == nullptr ? "the tester" : "the IUT"));
    return;
  }
  if (Status s = l.Sync(*tester); !s) return notes_.push_back("esp: the tester's CHILD SA: " + s.error().ToString());
  if (iut != nullptr)
    if (Status s = l.iut.Sync(*iut); !s) return notes_.push_back("esp: the IUT's CHILD SA: " + s.error().ToString());
  Impl::Child* child = nullptr;
  for (const ChildSa& c : tester->children)
    if (child == nullptr && Carries(c) && c.protocol == spec.protocol && l.children.count(c.spi_in) != 0)
      child = &l.children.at(c.spi_in);
  if (child == nullptr)
    return notes_.push_back(fmt::format("{}={}: no CHILD SA of {} to send on", StepKey(spec.protocol),
                                        spec.deviation->name, ProtocolName(spec.protocol)));
  const Row& row = *FindRow(spec.deviation->name);
  // "clean" sends its COUNT echo requests as clean ones.
  const Row* shaped = row.deviation.name == "clean" ? nullptr : &row;

  // Sends one probe (deviant when `deviant` is given) and reads the answers.
  auto probe = [&](const Row* deviant, Step* step) {
    Probe p;
    p.icmp_sequence = l.next_echo++;
    Build b;
    const Bytes src = AddressIn(child->local_ts), dst = AddressIn(child->remote_ts);
    if (src.empty() || dst.empty()) return notes_.push_back("esp: the CHILD SA has no IPv4 selectors");
    b.inner = EchoPacket(src, dst, kIdentifier, p.icmp_sequence);
    if (deviant != nullptr && !l.lenient) {
      p.deviation = std::string(deviant->deviation.name);
      if (Status s = deviant->shape(*step, b); !s) return notes_.push_back(s.error().detail);
    } else if (deviant != nullptr) {
      p.deviation = std::string(deviant->deviation.name);  // lenient: sent clean all the same
    }
    auto protected_packet = child->Protect(b.inner, b.options, b.stranger);
    if (!protected_packet)
      return notes_.push_back(fmt::format("{}: echo request {} not sent: {}", StepKey(spec.protocol), p.icmp_sequence,
                                          protected_packet.error().ToString()));
    Bytes packet = std::move(*protected_packet);
    p.esp_sequence = b.options.sequence_number.value_or(child->counter());
    if (b.after) b.after(packet);
    l.NatOut(packet);
    wire_.push_back({at, false, false, packet,
                     Impl::Describe(packet, fmt::format("echo request {}{}", p.icmp_sequence,
                                                        p.deviation.empty() ? "" : " (" + p.deviation + ")"))});
    probes_.push_back(p);
    for (Bytes& answer : l.iut.Receive(packet)) {
      WirePacket w{at, true, false, answer, ""};
      const bool arrives = l.NatIn(answer);
      std::string carries = "not for the tester";
      if (!arrives) {
        w.lost = true;
        carries = "no NAT mapping: dropped before the tester";
      } else if (auto spi = SpiOf(answer)) {
        auto it = l.children.find(*spi);
        if (it == l.children.end()) {
          carries = "an SPI the tester did not choose";
        } else {
          auto d = it->second.Unprotect(answer);
          if (d) replies_.emplace_back(*spi, d->second);
          if (!d) {
            carries = "refused: " + d.error().ToString();
          } else if (auto e = ReadEcho(d->first); e && e->reply && e->id == kIdentifier) {
            carries = fmt::format("echo reply {}", e->seq);
            for (Probe& q : probes_)
              if (q.icmp_sequence == e->seq) ++q.answers;
          } else {
            carries = "not an echo reply of the tester's";
          }
        }
      }
      w.text = Impl::Describe(w.packet, carries);
      wire_.push_back(std::move(w));
    }
  };

  Step step{l, *child, 0, 0, 0, [&] { probe(nullptr, nullptr); }};
  probe(nullptr, nullptr);
  if (!probes_.empty()) step.first_clean = probes_.back().esp_sequence;
  if (!l.lenient)
    if (Status s = row.before(step); !s) return notes_.push_back(s.error().detail);
  for (size_t k = 0; k < spec.count; ++k) {
    step.k = k;
    probe(shaped, &step);
  }
  probe(nullptr, nullptr);
}

Bytes AddressIn(const std::vector<ike::TrafficSelector>& ts) {
  for (const ike::TrafficSelector& t : ts) {
    if (t.ts_type != iana::TsType::kIpv4AddrRange || t.starting_address.size() != 4) continue;
    Bytes a = t.starting_address;
    if (a != t.ending_address) StoreU32(a.data(), LoadU32(a.data()) + 1);
    return a;
  }
  return {};
}

}  // namespace ipsecref::conformance::dataplane
