// The reference IUT of the ESP and AH dataplane (dataplane.h): the
// reference's ESP SAs receiving as RFC 4303 §3.4 says and AH SAs as RFC
// 4302 §3.4 says, the inbound selector check of RFC 4301 §5.2, a host
// behind them that answers echo requests; and the faults of that side for
// mutation testing.
#include <fmt/format.h>

#include <algorithm>

#include "interop/conformance/dataplane.h"
#include "reference/esp/esp_packet.h"
#include "reference/gateway/selectors.h"
#include "reference/ip/packet.h"
#include "reference/spd/selector.h"

namespace ipsecref::conformance::dataplane {

using ike::sa::ChildSa;
using ike::sa::IkeSa;

namespace {

//= rfc4303#section-3.4.3
//# The reference IUT's receive window: 64 packets, the RFC's preferred
//# default.
constexpr uint32_t kWindow = 64;

// The reply a host sends to the echo request `request` (RFC 792): the
// same identifier, sequence number and data, the addresses swapped.
Bytes ReplyTo(ByteSpan request) {
  const auto v = ip::Parse(request);
  Bytes r(request.begin(), request.begin() + static_cast<long>(v->total_length));
  std::copy(v->src.begin(), v->src.end(), r.begin() + 16);
  std::copy(v->dst.begin(), v->dst.end(), r.begin() + 12);
  r[8] = 64;
  ip::SetIpv4HeaderChecksum(MutableByteSpan(r).first(v->header_length));
  uint8_t* icmp = r.data() + v->header_length;
  icmp[0] = 0;
  StoreU16(icmp + 2, 0);
  StoreU16(icmp + 2, ip::InternetChecksum({ByteSpan(icmp, r.size() - v->header_length)}));
  return r;
}

// --- the reference IUT ----------------------------------------------------------

const HostFault kHostFaults[] = {
    {"esp-no-replay-check", "anti-replay disabled: duplicates and packets left of the window are accepted"},
    {"esp-ignore-icv", "an ICV that does not verify is ignored"},
    {"esp-window-before-icv", "the receive window moves for a packet whose ICV failed (or that was too short for one)"},
    {"esp-lenient-padding", "Padding is not inspected (delivered with a finding)"},
    {"esp-ignore-next-header", "the payload is taken for an IP packet whatever Next Header says (59 and 6 too)"},
    {"esp-reject-tfc", "a payload longer than its inner packet (TFC padding) is dropped"},
    {"esp-reject-jumps", "a packet further right of the window than its size is dropped"},
    {"esp-accept-unknown-spi", "a packet of an unknown SPI is tried with the first CHILD SA's inbound keys"},
    {"esp-no-inbound-policy", "no check of the inner packet against the SA's selectors (RFC 4301 §5.2)"},
    {"esp-no-esn", "the SAs are used with 32-bit sequence numbers though ESN was negotiated"},
    {"esp-no-udp", "replies are sent as plain ESP though the SA is ESP in UDP"},
    {"esp-reply-port-4500", "replies in UDP go to port 4500, not to the port the peer's IKE came from"},
    {"esp-udp-zero-checksum-only", "ESP in UDP with a non-zero UDP checksum is dropped"},
    {"esp-sender-starts-late", "the outbound sequence numbers start at 6"},
    {"ah-no-replay-check", "AH anti-replay disabled: duplicates and packets left of the window are accepted"},
    {"ah-ignore-icv", "an AH ICV that does not verify is ignored (the packet after the AH header is taken)"},
    {"ah-tos-covered",
     "the AH ICV is computed over the outer TOS as it arrived (not zeroed): a packet whose DSCP or ECN changed on "
     "the way fails it"},
    {"ah-reject-jumps", "an AH packet further right of the window than its size is dropped"},
    {"ah-accept-unknown-spi", "an AH packet of an unknown SPI is tried with the first AH CHILD SA's inbound key"},
    {"ah-no-inbound-policy", "no check of the inner packet of AH against the SA's selectors (RFC 4301 §5.2)"},
    {"ah-no-esn", "the AH SAs are used with 32-bit sequence numbers though ESN was negotiated"},
    {"ah-sender-starts-late", "the outbound AH sequence numbers start at 6"},
};

class ReferenceHost final : public Iut {
 public:
  ReferenceHost(std::vector<std::string> faults, uint64_t seed)
      : faults_(std::move(faults)), rng_(crypto::MakeDeterministicRng(seed)) {}

  Status Sync(const IkeSa& sa) override {
    for (const ChildSa& c : sa.children) {
      if (!Carries(c) || children_.count(c.spi_in) != 0) continue;
      ENSURE(!c.transport_mode, kUnsupported, kNoOffset, "",
             fmt::format("CHILD SA {:08x}: the dataplane carries tunnel mode only", c.spi_in));
      if (c.protocol == iana::SecurityProtocol::kAh) {
        TRY(SyncAh(sa, c));
        continue;
      }
      esp::SaConfig in = EspConfigOf(sa, c, true, rng_.get()), out = EspConfigOf(sa, c, false, rng_.get());
      for (esp::SaConfig* s : {&in, &out}) {
        if (Has("esp-no-esn")) s->esn = false;
      }
      in.replay_window = Has("esp-no-replay-check") ? 0 : kWindow;
      in.fuzzing_ignore_icv = Has("esp-ignore-icv");
      //= rfc4303#section-2.4
      //# With the default padding the receiver should inspect it: this one
      //# drops a packet whose padding is not 1, 2, 3, ...
      in.strict_padding = !Has("esp-lenient-padding");
      if (out.udp && Has("esp-no-udp")) out.udp.reset();
      if (out.udp && Has("esp-reply-port-4500")) out.udp->dst_port = ike::sa::kNatTraversalPort;
      Child child;
      TRY_ASSIGN(child.in, esp::Sa::Create(in));
      TRY_ASSIGN(child.out, esp::Sa::Create(out));
      if (Has("esp-sender-starts-late")) child.out->AssumeSent(5);
      child.in_config = in;
      Install(c, std::move(child));
    }
    return OkStatus();
  }

  std::vector<Bytes> Receive(ByteSpan packet) override {
    if (auto at = LocateAh(packet)) return ReceiveAh(packet, *at);
    auto loc = esp::LocateEsp(packet);
    if (!loc) return {};
    if (loc->udp && Has("esp-udp-zero-checksum-only") && LoadU16(packet.data() + loc->udp_offset + 6) != 0) return {};
    auto spi = esp::PeekSpi(packet.subspan(loc->esp_offset, loc->esp_length));
    if (!spi) return {};
    esp::Sa* sa = nullptr;
    std::unique_ptr<esp::Sa> stranger;
    if (auto it = children_.find(*spi); it != children_.end()) sa = it->second.in.get();
    Child* child = sa != nullptr ? &children_.at(*spi) : nullptr;
    if (sa == nullptr && Has("esp-accept-unknown-spi") && (child = FirstOf(false)) != nullptr) {
      esp::SaConfig c = child->in_config;
      c.spi = *spi;
      auto made = esp::Sa::Create(c);
      if (!made) return {};
      stranger = std::move(*made);
      sa = stranger.get();
    }
    //= rfc4303#section-3.4.2
    //# No SA for the SPI: the packet is discarded.
    if (sa == nullptr) return {};
    const ByteSpan esp_bytes = packet.subspan(loc->esp_offset, loc->esp_length);
    std::optional<uint64_t> seq;
    if (esp_bytes.size() >= esp::kHeaderSize)
      if (auto s = sa->replay_window().Check(LoadU32(esp_bytes.data() + 4)); s) seq = *s;
    if (Has("esp-reject-jumps") && seq && *seq > sa->replay_window().highest() + kWindow) return {};
    Bytes buffer(packet.begin(), packet.end());
    auto d = esp::DecapsulateInPlace([&](uint32_t s) { return s == *spi ? sa : nullptr; }, buffer);
    ByteSpan inner;
    if (d) {
      inner = d->packet;
      if (Has("esp-reject-tfc") && PayloadSize(*sa, *loc, buffer) > inner.size()) return {};
    } else {
      const Code code = d.error().code;
      if (Has("esp-window-before-icv") && seq && (code == Code::kIcvMismatch || code == Code::kTruncated))
        sa->AssumeReceived(*seq);
      if (!Has("esp-ignore-next-header") || (code != Code::kDummyPacket && code != Code::kBadNextHeader)) return {};
      // The faulty receiver reads the decrypted payload as an IP packet.
      const size_t payload = PayloadSize(*sa, *loc, buffer);
      inner = ByteSpan(buffer).subspan(loc->esp_offset + esp::kHeaderSize + sa->iv_size(), payload);
      auto v = ip::Parse(inner);
      if (!v) return {};
      inner = inner.first(v->total_length);
    }
    //= rfc4301#section-5.2
    //# After ESP processing the inner packet must lie in the selectors of
    //# the SA it came on; otherwise it is discarded.
    if (!Has("esp-no-inbound-policy") && !gateway::CheckInboundSelectors(child->inbound, inner).ok()) return {};
    return Answer(inner);
  }

  bool Has(std::string_view fault) const { return std::find(faults_.begin(), faults_.end(), fault) != faults_.end(); }

 private:
  struct Child {
    bool is_ah = false;
    std::unique_ptr<esp::Sa> in, out;
    esp::SaConfig in_config;
    std::unique_ptr<ah::Sa> ah_in, ah_out;
    ah::SaConfig ah_in_config;
    std::vector<spd::Selector> inbound;
  };

  Status SyncAh(const IkeSa& sa, const ChildSa& c) {
    ah::SaConfig in = AhConfigOf(sa, c, true), out = AhConfigOf(sa, c, false);
    if (Has("ah-no-esn")) in.esn = out.esn = false;
    //= rfc4302#section-3.4.3
    //# The receiver's anti-replay window: 64 packets here too.
    in.replay_window = Has("ah-no-replay-check") ? 0 : kWindow;
    Child child;
    child.is_ah = true;
    TRY_ASSIGN(child.ah_in, ah::Sa::Create(in));
    TRY_ASSIGN(child.ah_out, ah::Sa::Create(out));
    if (Has("ah-sender-starts-late")) child.ah_out->AssumeSent(5);
    child.ah_in_config = in;
    Install(c, std::move(child));
    return OkStatus();
  }

  // `child`, the host's SAs of `c`, with the selectors of its inbound check.
  void Install(const ChildSa& c, Child child) {
    child.inbound = gateway::SelectorsOf(c.local_ts, c.remote_ts);
    order_.push_back(c.spi_in);
    children_.emplace(c.spi_in, std::move(child));
  }

  // The first CHILD SA installed of ESP (or of AH), for the faults that try
  // an unknown SPI with its keys; nullptr if there is none.
  Child* FirstOf(bool ah) {
    for (uint32_t spi : order_)
      if (Child& c = children_.at(spi); c.is_ah == ah) return &c;
    return nullptr;
  }

  // An AH packet (its header at `at`), received as RFC 4302 §3.4 says.
  std::vector<Bytes> ReceiveAh(ByteSpan packet, size_t at) {
    const uint32_t spi = LoadU32(packet.data() + at + 4);
    ah::Sa* sa = nullptr;
    std::unique_ptr<ah::Sa> stranger;
    Child* child = nullptr;
    if (auto it = children_.find(spi); it != children_.end() && it->second.is_ah) {
      child = &it->second;
      sa = child->ah_in.get();
    }
    if (sa == nullptr && Has("ah-accept-unknown-spi") && (child = FirstOf(true)) != nullptr) {
      ah::SaConfig config = child->ah_in_config;
      config.spi = spi;
      auto made = ah::Sa::Create(config);
      if (!made) return {};
      stranger = std::move(*made);
      sa = stranger.get();
    }
    //= rfc4302#section-3.4.2
    //# No SA for the SPI: the packet is discarded.
    if (sa == nullptr) return {};
    // The faulty receiver's ICV covers the TOS as it arrived; the sender's
    // covered zero there (RFC 4302 §3.3.3.1.1.1), so the two agree only
    // when the TOS arrives as zero.
    if (Has("ah-tos-covered") && packet[0] >> 4 == 4 && packet[1] != 0) return {};
    if (Has("ah-reject-jumps"))
      if (auto s = sa->replay_window().Check(LoadU32(packet.data() + at + 8));
          s && *s > sa->replay_window().highest() + kWindow)
        return {};
    auto v = sa->Verify(packet);
    Bytes inner;
    if (v) {
      inner = std::move(v->packet);
    } else if (Has("ah-ignore-icv") && v.error().code == Code::kIcvMismatch) {
      // The faulty receiver takes what follows the AH header as the inner packet.
      const size_t after = at + 4 * (size_t{packet[at + 1]} + 2);
      if (after >= packet.size()) return {};
      inner.assign(packet.begin() + static_cast<long>(after), packet.end());
    } else {
      return {};
    }
    //= rfc4301#section-5.2
    //# After AH processing the inner packet must lie in the selectors of the
    //# SA it came on; otherwise it is discarded.
    if (!Has("ah-no-inbound-policy") && !gateway::CheckInboundSelectors(child->inbound, inner).ok()) return {};
    return Answer(inner);
  }

  // The host behind the gateway answers an echo request.
  std::vector<Bytes> Answer(ByteSpan inner) {
    const auto echo = ReadEcho(inner);
    if (!echo || echo->reply) return {};
    const Bytes reply = ReplyTo(inner);
    // The SPD picks the outbound SA: the first CHILD SA whose selectors
    // hold the reply.
    auto selectors = spd::ExtractSelectors(reply);
    if (!selectors) return {};
    for (uint32_t in_spi : order_) {
      Child& c = children_.at(in_spi);
      bool holds = false;
      for (const spd::Selector& s : c.inbound) holds = holds || spd::Matches(s, *selectors, spd::Direction::kOutbound);
      if (!holds) continue;
      if (c.is_ah) {
        auto out = c.ah_out->Protect(reply);
        if (!out) return {};
        return {std::move(*out)};
      }
      Bytes out;
      if (!esp::Encapsulate(*c.out, reply, out).ok()) return {};
      return {std::move(out)};
    }
    return {};
  }

  // The Payload Data of the decrypted ESP packet in `buffer` (TFC padding
  // included): what lies before Padding, Pad Length and Next Header.
  static size_t PayloadSize(const esp::Sa& sa, const esp::Located& loc, ByteSpan buffer) {
    const size_t text = loc.esp_length - esp::kHeaderSize - sa.iv_size() - sa.icv_size();
    const uint8_t pad = buffer[loc.esp_offset + esp::kHeaderSize + sa.iv_size() + text - 2];
    return text >= size_t{pad} + esp::kTrailerSize ? text - pad - esp::kTrailerSize : 0;
  }

  std::vector<std::string> faults_;
  std::unique_ptr<crypto::Rng> rng_;
  std::map<uint32_t, Child> children_;
  std::vector<uint32_t> order_;  // inbound SPIs in the order installed
};

}  // namespace

std::span<const HostFault> HostFaults() { return kHostFaults; }

bool IsHostFault(std::string_view name) {
  for (const HostFault& f : kHostFaults)
    if (f.name == name) return true;
  return false;
}

Result<std::unique_ptr<Iut>> MakeReferenceHost(std::vector<std::string> faults, uint64_t seed) {
  for (const std::string& f : faults)
    ENSURE(IsHostFault(f), kInvalidArgument, kNoOffset, "", fmt::format("unknown dataplane fault '{}'", f));
  return std::unique_ptr<Iut>(std::make_unique<ReferenceHost>(std::move(faults), seed));
}

}  // namespace ipsecref::conformance::dataplane
